/**
 * The reference client: what a frontend of this API does, with nothing but the
 * codegen-typed documents (web/generated/, from operations/*.graphql) and fetch.
 *
 * sign in (development token) -> topics -> sessionCheck -> "Resume session" |
 * "Start new session" | "Another user is using this topic" -> chat, pause, complete.
 */
import {
  CompleteSessionDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
  type MessageFieldsFragment,
  type SessionCheckQuery,
  type SessionFieldsFragment,
  type TopicsQuery,
  type TypedDocumentString,
} from './generated/graphql.js';

// ---- the API ----------------------------------------------------------------

const params = new URLSearchParams(location.search);
/** The GraphQL endpoint: ?api=<url>, or /graphql next to /demo/ when the server serves the page. */
const API_URL = params.get('api') ?? new URL('../graphql', location.href).toString();
const TOKEN_URL = new URL('/demo/token', API_URL).toString();

class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let token: string | null = sessionStorage.getItem('demo.token');

/** One typed operation over HTTP: the variables and the result type follow from the document. */
async function run<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R> {
  let res: Response;
  try {
    res = await fetch(API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: doc.toString(), variables }),
    });
  } catch {
    throw new ApiError('The API cannot be reached', 'NETWORK_ERROR');
  }
  const body = (await res.json().catch(() => ({}))) as {
    data?: R | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, String(error.extensions?.code ?? 'ERROR'), error.extensions);
  if (!body.data) throw new ApiError(`HTTP ${res.status}`, 'ERROR');
  return body.data;
}

// ---- state ------------------------------------------------------------------

type Topic = TopicsQuery['topics'][number];
type Check = SessionCheckQuery['sessionCheck'];
type Session = SessionFieldsFragment;

const state: {
  who: { tenantId: string; userId: string } | null;
  topics: Topic[];
  topic: Topic | null;
  check: Check | null;
  /** When the caller's held session went idle (from `idleSince`), while it is offered for resuming. */
  idleSince: string | null;
  session: Session | null;
  messages: MessageFieldsFragment[];
  /** Shown on a session resumed after being idle: "Resumed after being idle for 5 days". */
  resumedIdle: string | null;
} = { who: null, topics: [], topic: null, check: null, idleSince: null, session: null, messages: [], resumedIdle: null };

// ---- helpers ----------------------------------------------------------------

const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};
const byTest = <T extends HTMLElement = HTMLElement>(id: string) => $<T>(`[data-testid="${id}"]`);
const show = (el: HTMLElement, visible: boolean) => (el.hidden = !visible);

/** "5 days", "1 hour", "12 minutes", "40 seconds": how long ago `iso` was. */
export function durationSince(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size || size === 1) {
      const n = Math.floor(seconds / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return '0 seconds';
}

const STATUS_LABEL: Record<string, string> = {
  NOT_STARTED: 'not started',
  IN_PROGRESS: 'in progress',
  PAUSED: 'paused',
  COMPLETED: 'completed',
  ACTIVE: 'active',
  CANCELLED: 'cancelled',
  ABANDONED: 'abandoned',
};

function showError(e: unknown) {
  const box = byTest('error');
  if (e === null) return show(box, false);
  const err = e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e), 'ERROR');
  box.textContent = `${err.message} (${err.code})`;
  show(box, true);
}

/** Runs a user action with its button disabled; errors land in the banner. */
function action(button: HTMLButtonElement | null, fn: () => Promise<void>) {
  return async () => {
    showError(null);
    if (button) button.disabled = true;
    try {
      await fn();
    } catch (e) {
      showError(e);
    } finally {
      if (button) button.disabled = false;
    }
  };
}

// ---- sign in ----------------------------------------------------------------

async function signIn(tenantId: string, userId: string) {
  const res = await fetch(TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId, userId }),
  }).catch(() => null);
  if (!res || res.status === 404) {
    throw new ApiError('This server issues no development tokens: paste a token instead', 'NO_DEV_TOKENS');
  }
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new ApiError(body.error ?? `HTTP ${res.status}`, 'BAD_USER_INPUT');
  useToken(body.token);
  await enter();
}

function useToken(value: string) {
  token = value.trim();
  sessionStorage.setItem('demo.token', token);
}

/** The token's own claims, for the header only (the server is what checks it). */
function claims(): { tenantId: string; userId: string } | null {
  try {
    const payload = JSON.parse(atob(token!.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const tenant = Object.entries(payload).find(([k]) => /tenant/.test(k))?.[1];
    return { tenantId: String(tenant ?? '?'), userId: String(payload.sub ?? '?') };
  } catch {
    return null;
  }
}

async function enter() {
  state.who = claims();
  await loadTopics();
  byTest('whoami-text').textContent = `Signed in as ${state.who?.userId} (tenant ${state.who?.tenantId})`;
  show($('#whoami'), true);
  show($('#signin'), false);
  show($('#workspace'), true);
}

function signOut() {
  token = null;
  sessionStorage.removeItem('demo.token');
  Object.assign(state, { who: null, topics: [], topic: null, check: null, session: null, messages: [], idleSince: null, resumedIdle: null });
  show($('#whoami'), false);
  show($('#workspace'), false);
  show($('#signin'), true);
  showError(null);
}

// ---- topics and the session check ---------------------------------------------

async function loadTopics() {
  state.topics = (await run(TopicsDocument, {})).topics;
  renderTopics();
}

function renderTopics() {
  const list = $('#topic-list');
  list.replaceChildren(
    ...state.topics.map((t) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = `topic-${t.id}`;
      button.setAttribute('aria-current', String(state.topic?.id === t.id));
      const name = document.createElement('span');
      name.textContent = t.name;
      const badge = document.createElement('span');
      badge.className = `badge ${t.myStatus}`;
      badge.dataset.testid = `topic-status-${t.id}`;
      badge.textContent = STATUS_LABEL[t.myStatus] ?? t.myStatus;
      button.append(name, badge);
      button.addEventListener('click', action(button, () => selectTopic(t)));
      li.append(button);
      return li;
    }),
  );
}

async function selectTopic(topic: Topic) {
  state.topic = topic;
  state.session = null;
  state.resumedIdle = null;
  renderTopics();
  await check();
}

/** sessionCheck: one read, no side effects; then what the original design showed. */
async function check() {
  const topic = state.topic!;
  state.check = (await run(SessionCheckDocument, { topicId: topic.id })).sessionCheck;
  state.idleSince = null;
  if (state.check.hasSession && state.check.isIdle && state.check.sessionId) {
    // The check says "idle"; the session says since when (for "idle for N days").
    const s = (await run(SessionDocument, { id: state.check.sessionId, last: 1 })).session;
    state.idleSince = s?.idleSince ?? null;
  }
  renderCheck();
}

function renderCheck() {
  const c = state.check!;
  const title = byTest('check-title');
  const detail = byTest('check-detail');
  const idle = byTest('idle-note');
  const box = $('#check');
  box.classList.toggle('conflict', c.conflict);
  show($('#pick-topic'), false);
  show($('#chat'), false);
  show(box, true);
  show($('#resume-btn'), c.hasSession);
  show($('#restart-btn'), c.hasSession);
  show($('#start-btn'), !c.hasSession && !c.conflict);
  show($('#recheck-btn'), c.conflict);
  show(idle, false);
  if (c.conflict) {
    title.textContent = 'Another user is using this topic';
    detail.textContent = `${c.conflictUserId ?? 'Someone'} in your team has a session of "${state.topic!.name}" open. It frees up when they complete it.`;
  } else if (c.hasSession) {
    title.textContent = 'Resume session';
    detail.textContent = `You have a ${STATUS_LABEL[c.status ?? ''] ?? ''} session of "${state.topic!.name}".`;
    if (c.isIdle) {
      idle.textContent = state.idleSince ? `Idle for ${durationSince(state.idleSince)}` : 'Idle';
      show(idle, true);
    }
  } else {
    title.textContent = 'Start new session';
    detail.textContent = state.topic!.description ?? `No session of "${state.topic!.name}" yet.`;
  }
}

// ---- sessions -----------------------------------------------------------------

async function start(restart: boolean) {
  try {
    const s = (await run(StartSessionDocument, { topicId: state.topic!.id, restart })).startSession;
    state.resumedIdle = null;
    openChat(s, s.messages.edges.map((e) => e.node));
  } catch (e) {
    if (e instanceof ApiError && e.code === 'SESSION_CONFLICT') {
      // Someone else won the race for this topic: show it as the check would.
      state.check = {
        hasSession: false,
        sessionId: null,
        status: null,
        isIdle: false,
        conflict: true,
        conflictUserId: String(e.extensions.conflictUserId ?? ''),
        lastActivityAt: null,
        idleSince: null,
        expiresAt: null,
        conflictIdleSince: null,
      };
      renderCheck();
      return;
    }
    throw e;
  }
  await loadTopics();
}

async function resume() {
  const c = state.check!;
  const idleFor = c.isIdle && state.idleSince ? durationSince(state.idleSince) : null;
  // An ACTIVE session is resumed by startSession as is; a PAUSED one becomes ACTIVE.
  const s =
    c.status === 'PAUSED'
      ? (await run(ResumeSessionDocument, { sessionId: c.sessionId! })).resumeSession
      : (await run(StartSessionDocument, { topicId: state.topic!.id })).startSession;
  const full = (await run(SessionDocument, { id: s.id, last: 50 })).session;
  state.resumedIdle = idleFor;
  openChat(s, full?.messages.edges.map((e) => e.node) ?? []);
  await loadTopics();
}

function openChat(s: Session, messages: MessageFieldsFragment[]) {
  state.session = s;
  state.messages = messages;
  show($('#check'), false);
  show($('#pick-topic'), false);
  show($('#chat'), true);
  renderChat();
}

function renderChat() {
  const s = state.session!;
  byTest('chat-topic').textContent = state.topic?.name ?? s.topicId;
  const status = byTest('session-status');
  status.textContent = STATUS_LABEL[s.status] ?? s.status;
  status.className = `badge ${s.status}`;
  const resumed = byTest('resumed-idle');
  resumed.textContent = state.resumedIdle ? `Resumed after being idle for ${state.resumedIdle}` : '';
  show(resumed, state.resumedIdle !== null);
  const live = s.status === 'ACTIVE' || s.status === 'PAUSED';
  byTest('session-meta').textContent = live
    ? `${s.messageCount} messages · expires ${new Date(s.expiresAt).toLocaleString()} unless you come back`
    : `${s.messageCount} messages · ${STATUS_LABEL[s.status]} ${s.endedAt ? new Date(s.endedAt).toLocaleString() : ''}`;
  $('#messages').replaceChildren(
    ...state.messages.map((m, i) => {
      const li = document.createElement('li');
      li.className = m.role;
      li.dataset.testid = `message-${m.role.toLowerCase()}`;
      li.dataset.messageId = m.id;
      if (m.inReplyTo) li.dataset.replyTo = m.inReplyTo;
      li.textContent = m.content;
      // Threading: a reply names the message it answers; when that is not the one just above, say which.
      const answered = m.inReplyTo ? state.messages.find((x) => x.id === m.inReplyTo) : undefined;
      if (answered && state.messages[i - 1]?.id !== answered.id) {
        const quote = document.createElement('small');
        quote.className = 'reply-to';
        quote.dataset.testid = 'reply-to';
        quote.textContent = `↳ ${answered.content.length > 60 ? `${answered.content.slice(0, 57)}...` : answered.content}`;
        li.prepend(quote);
      }
      return li;
    }),
  );
  const list = $('#messages');
  list.scrollTop = list.scrollHeight;
  show($('#send-form'), s.status === 'ACTIVE');
  show($('#pause-btn'), s.status === 'ACTIVE');
  show($('#chat-resume-btn'), s.status === 'PAUSED');
  show($('#complete-btn'), live);
}

async function send() {
  const input = $<HTMLTextAreaElement>('#message');
  const content = input.value.trim();
  if (!content) return;
  const clientMessageId = crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    const r = (await run(SendMessageDocument, { sessionId: state.session!.id, content, clientMessageId })).sendMessage;
    input.value = '';
    state.session = r.session;
    // The reply directly follows its message (seq order), whatever else arrived meanwhile.
    state.messages = [...state.messages.filter((m) => m.id !== r.message.id && m.id !== r.reply.id), r.message, r.reply].sort(bySeq);
    state.resumedIdle = null;
  } catch (e) {
    // COACH_UNAVAILABLE: the message was kept; show it, and the error banner says why.
    if (e instanceof ApiError && e.code === 'COACH_UNAVAILABLE') {
      input.value = '';
      await refreshSession();
    }
    throw e;
  }
  renderChat();
}

/** Conversation order: a message id is `<sessionId>:<seq>`. */
const bySeq = (a: MessageFieldsFragment, b: MessageFieldsFragment) => Number(a.id.split(':').pop()) - Number(b.id.split(':').pop());

async function refreshSession() {
  const s = (await run(SessionDocument, { id: state.session!.id, last: 50 })).session;
  if (s) {
    state.session = s;
    state.messages = s.messages.edges.map((e) => e.node);
    renderChat();
  }
}

async function transition(kind: 'pause' | 'resume' | 'complete') {
  const sessionId = state.session!.id;
  state.session =
    kind === 'pause'
      ? (await run(PauseSessionDocument, { sessionId })).pauseSession
      : kind === 'resume'
        ? (await run(ResumeSessionDocument, { sessionId })).resumeSession
        : (await run(CompleteSessionDocument, { sessionId })).completeSession;
  state.resumedIdle = null;
  renderChat();
  await loadTopics();
}

// ---- wiring -------------------------------------------------------------------

function wire() {
  const button = (id: string) => $<HTMLButtonElement>(id);
  $<HTMLFormElement>('#signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const submit = byTest<HTMLButtonElement>('signin-submit');
    void action(submit, () => signIn($<HTMLInputElement>('#tenant').value.trim(), $<HTMLInputElement>('#user').value.trim()))();
  });
  $<HTMLFormElement>('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void action(null, async () => {
      useToken($<HTMLTextAreaElement>('#token').value);
      await enter();
    })();
  });
  $<HTMLFormElement>('#send-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void action(byTest<HTMLButtonElement>('send'), send)();
  });
  $<HTMLTextAreaElement>('#message').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $<HTMLFormElement>('#send-form').requestSubmit();
    }
  });
  button('#signout').addEventListener('click', signOut);
  button('#start-btn').addEventListener('click', action(button('#start-btn'), () => start(false)));
  button('#restart-btn').addEventListener('click', action(button('#restart-btn'), () => start(true)));
  button('#resume-btn').addEventListener('click', action(button('#resume-btn'), resume));
  button('#recheck-btn').addEventListener('click', action(button('#recheck-btn'), check));
  button('#pause-btn').addEventListener('click', action(button('#pause-btn'), () => transition('pause')));
  button('#chat-resume-btn').addEventListener('click', action(button('#chat-resume-btn'), () => transition('resume')));
  button('#complete-btn').addEventListener('click', action(button('#complete-btn'), () => transition('complete')));
  document.body.dataset.ready = 'true';
  if (token) {
    // A token kept from before a reload: use it, or start over if the server refuses it.
    enter().catch((e: unknown) => {
      signOut();
      showError(e);
    });
  }
}

wire();

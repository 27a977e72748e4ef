/**
 * The session check (`sessionCheck`: one read, no side effects) and its cards, as the
 * original design intended: "Start new session", "Resume session" (with the "idle for N
 * days" card), or "Another user is using this topic" (the "taken" card); then start or resume.
 */
import { ApiError, run } from './api.js';
import { openChat, expectWelcomeBack } from './chat.js';
import { ResumeSessionDocument, SessionCheckDocument, SessionViewDocument, StartSessionDocument } from './generated/graphql.js';
import { readMemory } from './memory-view.js';
import { state, type Check, type Topic } from './state.js';
import { loadTopics, renderTopics } from './topics.js';
import { $, byTest, durationSince, say, show, STATUS_LABEL, when } from './ui.js';

export async function selectTopic(topic: Topic): Promise<void> {
  state.topic = topic;
  state.session = null;
  state.resumedIdle = null;
  state.outcome = null;
  renderTopics();
  await check();
}

export async function check(): Promise<void> {
  const c = (await run(SessionCheckDocument, { topicId: state.topic!.id })).sessionCheck;
  // The resume card names the session by its title (sessionCheck stays one small read without it).
  state.checkTitle = c.hasSession && c.sessionId ? ((await readMemory(c.sessionId).catch(() => null))?.title ?? null) : null;
  state.check = c;
  renderCheck();
}

function renderCheck(): void {
  const c = state.check!;
  const topic = state.topic!;
  const box = $('#check');
  box.classList.toggle('conflict', c.conflict);
  show($('#pick-topic'), false);
  show($('#chat'), false);
  show(box, true);
  show($('#resume-btn'), c.hasSession);
  show($('#restart-btn'), c.hasSession);
  show($('#start-btn'), !c.hasSession && !c.conflict && !topic.archived);
  show($('#recheck-btn'), c.conflict);
  const title = byTest('check-title');
  const detail = byTest('check-detail');
  let idle: string | null = null;
  let facts: string | null = null;
  if (c.conflict) {
    title.textContent = 'Another user is using this topic';
    detail.textContent = `${c.conflictUserId ?? 'Someone'} in your team has a session of "${topic.name}" open. It frees up when they complete it.`;
    // The "taken" card: the holder's session has been idle for a while (conflictIdleSince).
    if (c.conflictIdleSince) idle = `Idle for ${durationSince(c.conflictIdleSince)}, ask an admin to free it`;
  } else if (c.hasSession) {
    title.textContent = 'Resume session';
    detail.textContent = `You have a ${STATUS_LABEL[c.status ?? ''] ?? ''} session of "${topic.name}".`;
    // The "idle for N days" card: idleSince, lastActivityAt and expiresAt come with the check itself.
    if (c.isIdle) idle = c.idleSince ? `Idle for ${durationSince(c.idleSince)}` : 'Idle';
    if (c.lastActivityAt && c.expiresAt) facts = `Last active ${when(c.lastActivityAt)}. Kept until ${when(c.expiresAt)} unless you come back.`;
  } else {
    title.textContent = 'Start new session';
    detail.textContent = topic.archived
      ? `"${topic.name}" is archived: it takes no new sessions.`
      : (topic.description ?? `No session of "${topic.name}" yet.`);
  }
  say(byTest('idle-note'), c.conflict ? null : idle);
  say(byTest('conflict-idle'), c.conflict ? idle : null);
  say(byTest('idle-facts'), facts);
  say(byTest('check-session-title'), c.hasSession ? state.checkTitle : null);
}

/** startSession (or, with `restart`, abandon the caller's session and start another). */
export async function start(restart: boolean): Promise<void> {
  try {
    const s = (await run(StartSessionDocument, { topicId: state.topic!.id, restart })).startSession;
    state.resumedIdle = null;
    openChat(s, s.messages.edges.map((e) => e.node));
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'SESSION_CONFLICT')) throw e;
    // Someone else won the race for this topic: show it as the check would.
    state.check = conflictCheck(String(e.extensions.conflictUserId ?? ''));
    state.checkTitle = null;
    renderCheck();
    return;
  }
  await loadTopics();
}

/**
 * Resumes the caller's session: a PAUSED one with resumeSession, an ACTIVE one with
 * startSession (returned as is). After idle the coach adds a welcome back, in the answer
 * or, when it is slow, a little later (chat.ts waits for it).
 */
export async function resume(): Promise<void> {
  const c = state.check!;
  const idleFor = c.isIdle && c.idleSince ? durationSince(c.idleSince) : null;
  const s =
    c.status === 'PAUSED'
      ? (await run(ResumeSessionDocument, { sessionId: c.sessionId! })).resumeSession
      : (await run(StartSessionDocument, { topicId: state.topic!.id })).startSession;
  const full = (await run(SessionViewDocument, { id: s.id, last: 50 })).session;
  state.resumedIdle = idleFor;
  openChat(s, full?.messages.edges.map((e) => e.node) ?? []);
  await loadTopics();
  if (c.isIdle) void expectWelcomeBack(s);
}

const conflictCheck = (conflictUserId: string): Check => ({
  hasSession: false,
  sessionId: null,
  status: null,
  isIdle: false,
  conflict: true,
  conflictUserId,
  lastActivityAt: null,
  idleSince: null,
  expiresAt: null,
  conflictIdleSince: null,
});

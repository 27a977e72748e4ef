/**
 * An open session: its header (title, status, turns against maxTurns), what the coach
 * remembers (memory-view.ts), the conversation (messages-view.ts), sending a turn (send.ts),
 * a welcome back that comes after the resume, pause / resume / complete, and the result once
 * completed (result-view.ts).
 */
import { ApiError, run } from './api.js';
import { CompleteSessionWithResultDocument, PauseSessionDocument, ResumeSessionDocument, SessionViewDocument } from './generated/graphql.js';
import { renderMemory, watchMemory } from './memory-view.js';
import { renderMessages } from './messages-view.js';
import { renderOutcome } from './result-view.js';
import { sendTurn } from './send.js';
import { newClientMessageId } from './stream.js';
import { mergeMessages, state, type Message, type Session } from './state.js';
import { loadTopics } from './topics.js';
import { $, byTest, say, show, STATUS_LABEL, when } from './ui.js';

/** How often, and how long after a resume, to look for a welcome back (the server gives up on it after 10 s, docs/coach.md). */
const WELCOME_POLL_MS = 1000;
const WELCOME_LOOK_MS = 12_000;

export function openChat(s: Session, messages: Message[]): void {
  state.session = s;
  state.messages = [];
  state.welcomePending = false;
  state.sending = null;
  state.regenerating = null;
  mergeMessages(...messages);
  show($('#check'), false);
  show($('#pick-topic'), false);
  show($('#chat'), true);
  renderChat();
}

const isLive = (s: Session) => s.status === 'ACTIVE' || s.status === 'PAUSED';
/** The topic's turn limit is used up: sendMessage would be MAX_TURNS_REACHED. */
const turnsUsedUp = (s: Session) => s.maxTurns !== null && s.maxTurns !== undefined && s.turnCount >= s.maxTurns;

export function renderChat(): void {
  const s = state.session!;
  byTest('chat-topic').textContent = state.topic?.name ?? s.topicId;
  const status = byTest('session-status');
  status.textContent = STATUS_LABEL[s.status] ?? s.status;
  status.className = `badge ${s.status}`;
  say(byTest('resumed-idle'), state.resumedIdle ? `Resumed after being idle for ${state.resumedIdle}` : null);
  byTest('session-meta').textContent = isLive(s)
    ? `${s.messageCount} messages · expires ${when(s.expiresAt)} unless you come back`
    : `${s.messageCount} messages · ${STATUS_LABEL[s.status]} ${s.endedAt ? when(s.endedAt) : ''}`;
  const limited = s.maxTurns !== null && s.maxTurns !== undefined;
  const left = limited ? Math.max(0, s.maxTurns! - s.turnCount) : null;
  say(byTest('turns'), limited ? `${s.turnCount} of ${s.maxTurns} turns used · ${left} left` : null);
  const usedUp = isLive(s) && turnsUsedUp(s);
  say(byTest('turn-limit'), usedUp ? `All ${s.maxTurns} turns of this session are used (MAX_TURNS_REACHED): complete it to see your result.` : null);
  byTest('turns').classList.toggle('exhausted', usedUp);
  renderMemory(s);
  renderMessages();
  renderOutcome(s.status === 'COMPLETED' ? state.outcome : null);
  show($('#send-form'), s.status === 'ACTIVE' && !usedUp);
  show($('#pause-btn'), s.status === 'ACTIVE');
  show($('#chat-resume-btn'), s.status === 'PAUSED');
  show($('#complete-btn'), isLive(s));
}

/** The session and its latest messages, read again. */
async function refreshSession(): Promise<void> {
  const s = (await run(SessionViewDocument, { id: state.session!.id, last: 50 })).session;
  if (!s || s.id !== state.session?.id) return;
  state.session = s;
  mergeMessages(...s.messages.edges.map((e) => e.node));
  renderChat();
}

/** One turn: the message, the reply as it streams (send.ts), and the session after it. */
export async function send(): Promise<void> {
  const input = $<HTMLTextAreaElement>('#message');
  const content = input.value.trim();
  if (!content || state.sending) return;
  const sessionId = state.session!.id;
  state.sending = { content, replySoFar: '' };
  renderChat();
  let after: Session | null = null;
  try {
    await sendTurn(sessionId, content, newClientMessageId(), {
      message: (m) => {
        input.value = '';
        mergeMessages(m);
        // After a reconnect the turn is replayed from its message: the reply's text starts again.
        if (state.sending) Object.assign(state.sending, { content: '', replySoFar: '' });
        renderMessages();
      },
      delta: (text) => {
        if (state.sending) state.sending.replySoFar += text;
        renderMessages();
      },
      reply: (m, session) => {
        mergeMessages(m);
        after = session;
      },
    });
    state.resumedIdle = null;
  } catch (e) {
    // COACH_UNAVAILABLE: the message was kept. MAX_TURNS_REACHED: another tab used the last turn. Show what is stored.
    if (e instanceof ApiError && e.code === 'COACH_UNAVAILABLE') input.value = '';
    throw e;
  } finally {
    state.sending = null;
    if (state.session?.id === sessionId) {
      if (after) state.session = after;
      else await refreshSession().catch(() => undefined);
      renderChat();
      void watchMemory(sessionId, renderChat);
    }
  }
}

/** A coach message written at or after `since` that answers nothing: the welcome back. */
const welcomeSince = (since: string) => state.messages.some((m) => m.role === 'ASSISTANT' && !m.inReplyTo && Date.parse(m.createdAt) >= Date.parse(since));

/**
 * After resuming an idle session: the welcome back is in the answer when the coach was
 * quick; else it comes a little later, counted in messageCount, and the page reads the
 * session again until it is there (or the server would have given up on it).
 */
export async function expectWelcomeBack(resumed: Session): Promise<void> {
  if (welcomeSince(resumed.lastActivityAt)) return;
  state.welcomePending = true;
  renderMessages();
  const deadline = Date.now() + WELCOME_LOOK_MS;
  try {
    while (state.session?.id === resumed.id && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, WELCOME_POLL_MS));
      if (state.session?.id !== resumed.id) return;
      await refreshSession().catch(() => undefined);
      if (welcomeSince(resumed.lastActivityAt)) return;
    }
  } finally {
    state.welcomePending = false;
    if (state.session?.id === resumed.id) renderMessages();
  }
}

export async function transition(kind: 'pause' | 'resume' | 'complete'): Promise<void> {
  const sessionId = state.session!.id;
  if (kind === 'complete') {
    const done = (await run(CompleteSessionWithResultDocument, { sessionId })).completeSession;
    state.session = done;
    state.outcome = { result: done.result, resultError: done.resultError };
  } else {
    state.session =
      kind === 'pause' ? (await run(PauseSessionDocument, { sessionId })).pauseSession : (await run(ResumeSessionDocument, { sessionId })).resumeSession;
  }
  state.resumedIdle = null;
  renderChat();
  await loadTopics();
}

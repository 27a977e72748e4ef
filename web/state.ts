/** What the page knows, in one place; each module renders its part of it. */
import type {
  CompleteSessionWithResultMutation,
  MessageFieldsFragment,
  SessionCheckQuery,
  SessionFieldsFragment,
  TopicsQuery,
} from './generated/graphql.js';

export type Topic = TopicsQuery['topics'][number];
export type Check = SessionCheckQuery['sessionCheck'];
export type Session = SessionFieldsFragment;
/** A message as shown; `rating` (the owner's, 1-5) comes with messages read back (SessionView), not with new ones. */
export type Message = MessageFieldsFragment & { rating?: number | null };
export type Outcome = Pick<CompleteSessionWithResultMutation['completeSession'], 'result' | 'resultError'>;

export interface State {
  who: { tenantId: string; userId: string } | null;
  topics: Topic[];
  topic: Topic | null;
  check: Check | null;
  session: Session | null;
  /** The conversation shown, in seq order. */
  messages: Message[];
  /** Shown on a session resumed after being idle: "Resumed after being idle for 5 days". */
  resumedIdle: string | null;
  /** A welcome back is on its way (the resume answered before the coach did). */
  welcomePending: boolean;
  /** A turn on its way: the text sent, and the reply's text so far (streamed sends). */
  sending: { content: string; replySoFar: string } | null;
  /** The completed session's result (completeSession). */
  outcome: Outcome | null;
  /** A regenerate on its way: the reply it replaces, and the new reply's text so far. */
  regenerating: { messageId: string; textSoFar: string } | null;
  /** The resume card's session title (read with the check; null: none yet). */
  checkTitle: string | null;
}

const initial = (): State => ({
  who: null,
  topics: [],
  topic: null,
  check: null,
  session: null,
  messages: [],
  resumedIdle: null,
  welcomePending: false,
  sending: null,
  outcome: null,
  regenerating: null,
  checkTitle: null,
});

export const state: State = initial();

/** Forget everything (sign out). */
export function resetState(): void {
  Object.assign(state, initial());
}

/** A message id is `<sessionId>:<seq>`, and `<sessionId>:<seq>r<revision>` for a regenerated reply. */
function refOf(m: Message): { seq: number; revision: number } {
  const match = /:(\d+)(?:r(\d+))?$/.exec(m.id);
  return { seq: Number(match?.[1] ?? 0), revision: Number(match?.[2] ?? 0) };
}

/** Conversation order. */
export const seqOf = (m: Message) => refOf(m).seq;

/**
 * Adds or replaces messages by seq, keeping seq order (a reply directly follows its message,
 * whatever arrived first). A regenerated reply takes its seq from the one it replaces; an
 * older revision read late never brings the replaced reply back.
 */
export function mergeMessages(...incoming: Message[]): void {
  const bySeq = new Map(state.messages.map((m) => [seqOf(m), m]));
  for (const m of incoming) {
    const shown = bySeq.get(seqOf(m));
    if (shown && refOf(m).revision < refOf(shown).revision) continue;
    // The same message without its rating (a stream's event): keep the rating already shown.
    bySeq.set(seqOf(m), shown?.id === m.id && m.rating === undefined ? { ...m, rating: shown.rating } : m);
  }
  state.messages = [...bySeq.values()].sort((a, b) => seqOf(a) - seqOf(b));
}

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
export type Message = MessageFieldsFragment;
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
});

export const state: State = initial();

/** Forget everything (sign out). */
export function resetState(): void {
  Object.assign(state, initial());
}

/** Conversation order: a message id is `<sessionId>:<seq>`. */
export const seqOf = (m: Message) => Number(m.id.split(':').pop());

/** Adds or replaces messages by id, keeping seq order (a reply directly follows its message, whatever arrived first). */
export function mergeMessages(...incoming: Message[]): void {
  const byId = new Map(state.messages.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  state.messages = [...byId.values()].sort((a, b) => seqOf(a) - seqOf(b));
}

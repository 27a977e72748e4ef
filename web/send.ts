/**
 * One turn of the conversation, delivered as events: the user's message as stored, pieces
 * of the reply as the coach writes it, then the stored reply.
 *
 * Today the turn is a plain `sendMessage` mutation: the message and the reply arrive
 * together and there are no pieces. The streamed send (graphql-ws `sendMessageStream`,
 * issue #11: `{ message }`, then `{ delta }` pieces, then `{ reply }`) replaces the body of
 * `sendTurn` and emits the same events; the chat (chat.ts) needs no other change.
 */
import { run } from './api.js';
import { SendMessageDocument } from './generated/graphql.js';
import type { Message, Session } from './state.js';

export interface TurnEvents {
  /** The user's message, stored. */
  message(m: Message): void;
  /** A piece of the reply's text, in order; the pieces concatenate to the reply's content. */
  delta(text: string): void;
  /** The stored reply; `session` is the session after the turn when the transport returns it (null: read it again). */
  reply(m: Message, session: Session | null): void;
}

/**
 * Sends `content` with `clientMessageId` (the same id again after a network error is a
 * safe retry: the server returns the first result and stores nothing new).
 */
export async function sendTurn(sessionId: string, content: string, clientMessageId: string, on: TurnEvents): Promise<void> {
  const r = (await run(SendMessageDocument, { sessionId, content, clientMessageId })).sendMessage;
  on.message(r.message);
  on.reply(r.reply, r.session);
}

/** A fresh idempotency key for one message. */
export const newClientMessageId = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

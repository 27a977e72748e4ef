/**
 * One turn of the conversation, delivered as events: the user's message as stored, pieces
 * of the reply as the coach writes it, then the stored reply.
 *
 * The turn is streamed: the `sendMessageStream` subscription over graphql-ws (ws.ts,
 * docs/streaming.md) gives `{ message }`, then `{ delta }` pieces, then `{ reply }`. When
 * no socket can be opened (a proxy without WebSocket upgrades, a browser that refuses it),
 * the turn goes as the `sendMessage` mutation instead: the same events without pieces.
 * A socket that drops mid-stream is resubscribed once with the same clientMessageId: the
 * server replays the turn (the stored message, the reply so far or whole) and writes
 * nothing new.
 */
import { API_URL, authorization, run } from './api.js';
import { SendMessageDocument, SendMessageStreamDocument } from './generated/graphql.js';
import type { Message, Session } from './state.js';
import { SocketDropped, SocketUnavailable, subscribe } from './ws.js';

export interface TurnEvents {
  /** The user's message, stored. It comes again after a reconnect: start the reply's text empty again. */
  message(m: Message): void;
  /** A piece of the reply's text, in order; since the last `message`, the pieces concatenate to the reply's content. */
  delta(text: string): void;
  /** The stored reply; `session` is the session after the turn when the transport returns it (null: read it again). */
  reply(m: Message, session: Session | null): void;
}

type Variables = { sessionId: string; content: string; clientMessageId: string };

/** The streamed turn: each event of the subscription as a TurnEvents call. */
function streamTurn(variables: Variables, on: TurnEvents): Promise<void> {
  return subscribe(API_URL, authorization(), SendMessageStreamDocument, variables, ({ sendMessageStream: e }) => {
    if (e.message) on.message(e.message);
    if (e.delta) on.delta(e.delta);
    if (e.reply) on.reply(e.reply, e.session);
  });
}

/** The whole turn in one mutation: the message and the reply arrive together. */
async function mutationTurn(variables: Variables, on: TurnEvents): Promise<void> {
  const r = (await run(SendMessageDocument, variables)).sendMessage;
  on.message(r.message);
  on.reply(r.reply, r.session);
}

/**
 * Sends `content` with `clientMessageId` (the same id again after a network error is a
 * safe retry: the server returns the first result and stores nothing new). Errors are
 * ApiErrors with the server's code, whichever way the turn went.
 */
export async function sendTurn(sessionId: string, content: string, clientMessageId: string, on: TurnEvents): Promise<void> {
  const variables = { sessionId, content, clientMessageId };
  for (let attempt = 1; ; attempt++) {
    try {
      return await streamTurn(variables, on);
    } catch (e) {
      if (e instanceof SocketDropped && attempt === 1) continue;
      // No socket (or it dropped twice): the mutation with the same clientMessageId is as safe, and returns the stored turn.
      if (e instanceof SocketUnavailable || e instanceof SocketDropped) return mutationTurn(variables, on);
      throw e;
    }
  }
}

/** A fresh idempotency key for one message. */
export const newClientMessageId = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * One turn of the conversation, delivered as events: the user's message as stored, pieces
 * of the reply as the coach writes it, then the stored reply.
 *
 * The turn is streamed: the `sendMessageStream` subscription over graphql-ws (stream.ts,
 * docs/streaming.md) gives `{ message }`, then `{ delta }` pieces, then `{ reply }`. After a
 * drop the server replays the turn from its stored message. When no socket can carry it,
 * the turn goes as the `sendMessage` mutation: the same events without pieces.
 */
import { run } from './api.js';
import { SendMessageDocument, SendMessageStreamDocument, type SendMessageStreamSubscription } from './generated/graphql.js';
import type { Message, Session } from './state.js';
import { streamOnce, streamOr } from './stream.js';

export interface TurnEvents {
  /** The user's message, stored. It comes again after a reconnect: start the reply's text empty again. */
  message(m: Message): void;
  /** A piece of the reply's text, in order; since the last `message`, the pieces concatenate to the reply's content. */
  delta(text: string): void;
  /** The stored reply; `session` is the session after the turn when the transport returns it (null: read it again). */
  reply(m: Message, session: Session | null): void;
}

/**
 * Sends `content` with `clientMessageId` (the same id again after a network error is a
 * safe retry: the server returns the first result and stores nothing new). Errors are
 * ApiErrors with the server's code, whichever way the turn went.
 */
export function sendTurn(sessionId: string, content: string, clientMessageId: string, on: TurnEvents): Promise<void> {
  const variables = { sessionId, content, clientMessageId };
  return streamOr(
    () =>
      streamOnce<SendMessageStreamSubscription>(SendMessageStreamDocument.toString(), variables, {
        next: ({ sendMessageStream: e }) => {
          if (e.message) on.message(e.message);
          if (e.delta) on.delta(e.delta);
          if (e.reply) on.reply(e.reply, e.session);
        },
      }),
    // No socket, or it dropped twice: the mutation with the same clientMessageId is as safe, and returns the stored turn.
    async () => {
      const r = (await run(SendMessageDocument, variables)).sendMessage;
      on.message(r.message);
      on.reply(r.reply, r.session);
    },
  );
}

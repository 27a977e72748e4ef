/**
 * One turn of the conversation, delivered as events: the user's message as stored, pieces
 * of the reply as the coach writes it, then the stored reply.
 *
 * The turn is streamed: the `sendMessageStream` subscription over graphql-ws (its
 * `createClient`, docs/streaming.md) gives `{ message }`, then `{ delta }` pieces, then
 * `{ reply }`. A socket that drops mid-stream is resubscribed once with the same
 * clientMessageId: the server replays the turn (the stored message, the reply so far or
 * whole) and writes nothing new. When no socket can be opened (a proxy without WebSocket
 * upgrades, a browser that refuses it), or it drops again, the turn goes as the
 * `sendMessage` mutation: the same events without pieces.
 */
import { createClient } from 'graphql-ws';
import { API_URL, ApiError, authorization, run } from './api.js';
import { SendMessageDocument, SendMessageStreamDocument, type SendMessageStreamSubscription } from './generated/graphql.js';
import type { Message, Session } from './state.js';

export interface TurnEvents {
  /** The user's message, stored. It comes again after a reconnect: start the reply's text empty again. */
  message(m: Message): void;
  /** A piece of the reply's text, in order; since the last `message`, the pieces concatenate to the reply's content. */
  delta(text: string): void;
  /** The stored reply; `session` is the session after the turn when the transport returns it (null: read it again). */
  reply(m: Message, session: Session | null): void;
}

type Variables = { sessionId: string; content: string; clientMessageId: string };

/** How long to wait for the socket to open and the server to acknowledge it. */
const ACK_TIMEOUT_MS = 5000;

/** The socket failed before the server acknowledged it (nothing was sent), or dropped after the one resubscription. */
class SocketFailed extends Error {}

/** http(s)://host/graphql -> ws(s)://host/graphql: the subscriptions are served on the same path and port. */
export function wsUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

interface WireError {
  message?: string;
  extensions?: Record<string, unknown>;
}

const apiError = (e: WireError | undefined) =>
  new ApiError(e?.message ?? 'The subscription failed', String(e?.extensions?.code ?? 'ERROR'), e?.extensions ?? {});

/**
 * The streamed turn, on a client of its own (one socket per turn, closed when it is done).
 * graphql-ws retries once, and only a socket the server had acknowledged (the operation was
 * sent): a socket refused or dropped before that, or dropped a second time, ends the
 * subscription with SocketFailed, as does a close graphql-ws treats as final (1011, 4400...).
 * GraphQL errors reject as ApiErrors with the server's code.
 */
function streamTurn(variables: Variables, on: TurnEvents): Promise<void> {
  return new Promise((resolve, reject) => {
    /** The current socket got connection_ack; how many times graphql-ws connected again. */
    let acked = false;
    let resubscriptions = 0;
    let settled = false;
    const token = authorization();
    const client = createClient({
      url: wsUrl(API_URL),
      connectionParams: token ? { authorization: token } : {},
      lazy: true,
      connectionAckWaitTimeout: ACK_TIMEOUT_MS,
      retryAttempts: 1,
      // At once: the server replays the turn, nothing is lost by asking again right away.
      retryWait: async () => undefined,
      shouldRetry: () => acked && resubscriptions === 0,
      on: {
        connecting: (isRetry) => {
          acked = false;
          if (isRetry) resubscriptions++;
        },
        connected: () => {
          acked = true;
        },
        // Also covers closes graphql-ws retries without asking shouldRetry (1000 while subscribed).
        closed: () => {
          if (!acked || resubscriptions > 0) finish(new SocketFailed('the connection closed'));
        },
      },
    });
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      void Promise.resolve(client.dispose()).catch(() => undefined);
      if (error) reject(error);
      else resolve();
    };
    const unsubscribe = client.subscribe<SendMessageStreamSubscription>(
      { query: SendMessageStreamDocument.toString(), variables },
      {
        next: (result) => {
          if (result.errors?.length) return finish(apiError(result.errors[0]));
          try {
            const e = result.data?.sendMessageStream;
            if (e?.message) on.message(e.message);
            if (e?.delta) on.delta(e.delta);
            if (e?.reply) on.reply(e.reply, e.session);
          } catch (err) {
            finish(err instanceof Error ? err : new Error(String(err)));
          }
        },
        // An array: the server's `error` message (GraphQL errors). Anything else: the socket (a close or error event).
        error: (err) => finish(Array.isArray(err) ? apiError(err[0] as WireError) : new SocketFailed('the connection failed')),
        complete: () => finish(),
      },
    );
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
  try {
    return await streamTurn(variables, on);
  } catch (e) {
    // No socket, or it dropped twice: the mutation with the same clientMessageId is as safe, and returns the stored turn.
    if (e instanceof SocketFailed) return mutationTurn(variables, on);
    throw e;
  }
}

/** A fresh idempotency key for one message. */
export const newClientMessageId = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

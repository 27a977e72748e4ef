/**
 * One streamed operation over graphql-ws (docs/streaming.md): a subscription on a client of
 * its own (one socket, closed when it is done), for a turn (send.ts) or a regenerate
 * (regenerate.ts). A socket that drops after the server acknowledged it is resubscribed once,
 * at once, with the same variables (the operation carries a clientMessageId: the server
 * replays it and writes nothing new). A socket refused or dropped before that, or dropped a
 * second time, ends with SocketFailed: the caller sends the operation's mutation instead.
 */
import { createClient } from 'graphql-ws';
import { API_URL, ApiError, authorization } from './api.js';

/** How long to wait for the socket to open and the server to acknowledge it. */
const ACK_TIMEOUT_MS = 5000;

/** The socket failed before the server acknowledged it (nothing was sent), or dropped after the one resubscription. */
export class SocketFailed extends Error {}

/** http(s)://host/graphql -> ws(s)://host/graphql: the subscriptions are served on the same path and port. */
function wsUrl(httpUrl: string): string {
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

export interface StreamHandlers<T> {
  /** Each event's data, in order. */
  next(data: T): void;
  /** The socket dropped and the operation was sent again: the server replays it from its start. */
  resubscribed?(): void;
}

/**
 * Runs the subscription to its end. graphql-ws retries once, and only a socket the server had
 * acknowledged; a close graphql-ws treats as final (1011, 4400...) ends with SocketFailed too.
 * GraphQL errors reject as ApiErrors with the server's code.
 */
export function streamOnce<T>(query: string, variables: Record<string, unknown>, on: StreamHandlers<T>): Promise<void> {
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
      // At once: the server replays the operation, nothing is lost by asking again right away.
      retryWait: async () => undefined,
      shouldRetry: () => acked && resubscriptions === 0,
      on: {
        connecting: (isRetry) => {
          acked = false;
          if (isRetry) {
            resubscriptions++;
            on.resubscribed?.();
          }
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
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) return finish(apiError(result.errors[0]));
          try {
            if (result.data) on.next(result.data);
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

/** The streamed way, or, when no socket could carry it (SocketFailed), the mutation with the same variables. */
export async function streamOr(stream: () => Promise<void>, mutation: () => Promise<void>): Promise<void> {
  try {
    return await stream();
  } catch (e) {
    if (e instanceof SocketFailed) return mutation();
    throw e;
  }
}

/** A fresh idempotency key for one message or regenerate. */
export const newClientMessageId = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

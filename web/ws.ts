/**
 * A small graphql-ws client (the `graphql-transport-ws` protocol, docs/streaming.md): one
 * socket per subscription, to the API's URL with http -> ws. connection_init carries the
 * token; after connection_ack the operation is sent; `next` results go to the caller until
 * `complete` (resolve) or `error` (reject with its code); the server's pings are answered.
 *
 * Two failures of the socket are told apart, because the caller does different things:
 * SocketUnavailable (it never got as far as connection_ack: nothing was sent, so another
 * transport is safe) and SocketDropped (it closed after the operation was sent, before it
 * completed: the server may still be working on it).
 */
import { ApiError } from './api.js';
import type { TypedDocumentString } from './generated/graphql.js';

/** How long to wait for the socket to open and the server to acknowledge it. */
const ACK_TIMEOUT_MS = 5000;
const OPERATION_ID = '1';

/** The socket could not be opened, or closed before connection_ack: nothing was sent. */
export class SocketUnavailable extends Error {}

/** The socket closed after the operation was sent and before it completed. */
export class SocketDropped extends Error {
  constructor(readonly code: number, reason: string) {
    super(`the connection closed (${code}${reason ? `: ${reason}` : ''})`);
  }
}

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
 * Runs one subscription: `onData` gets each result's data, in order. Resolves when the
 * server completes it; rejects with an ApiError (the GraphQL error and its code),
 * SocketUnavailable or SocketDropped.
 */
export function subscribe<R, V>(
  httpUrl: string,
  authorization: string | null,
  doc: TypedDocumentString<R, V>,
  variables: V,
  onData: (data: R) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
    } catch (e) {
      return reject(new SocketUnavailable(e instanceof Error ? e.message : String(e)));
    }
    let phase: 'connecting' | 'subscribed' | 'done' = 'connecting';
    const finish = (error?: Error) => {
      if (phase === 'done') return;
      phase = 'done';
      clearTimeout(ackTimer);
      // Completed or failed: the socket has no other use (the server would close it when idle).
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, 'Normal Closure');
      if (error) reject(error);
      else resolve();
    };
    const ackTimer = setTimeout(() => finish(new SocketUnavailable('the server did not acknowledge the connection')), ACK_TIMEOUT_MS);
    const send = (message: object) => ws.send(JSON.stringify(message));

    ws.onopen = () => send({ type: 'connection_init', payload: authorization ? { authorization } : {} });
    ws.onmessage = (event) => {
      let message: { type?: string; id?: string; payload?: unknown };
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return finish(new ApiError('The server sent something that is not graphql-ws', 'BAD_RESPONSE'));
      }
      switch (message.type) {
        case 'connection_ack':
          if (phase !== 'connecting') return;
          clearTimeout(ackTimer);
          phase = 'subscribed';
          return send({ id: OPERATION_ID, type: 'subscribe', payload: { query: doc.toString(), variables } });
        case 'ping':
          return send({ type: 'pong' });
        case 'next': {
          if (message.id !== OPERATION_ID) return;
          const result = message.payload as { data?: R | null; errors?: WireError[] };
          if (result.errors?.length) return finish(apiError(result.errors[0]));
          try {
            if (result.data) onData(result.data);
          } catch (e) {
            finish(e instanceof Error ? e : new Error(String(e)));
          }
          return;
        }
        case 'error':
          if (message.id === OPERATION_ID) finish(apiError((message.payload as WireError[] | undefined)?.[0]));
          return;
        case 'complete':
          if (message.id === OPERATION_ID) finish();
          return;
      }
    };
    // An `error` event is always followed by `close`, which says what happened.
    ws.onclose = (event) =>
      finish(phase === 'connecting' ? new SocketUnavailable(`the connection closed (${event.code})`) : new SocketDropped(event.code, event.reason));
  });
}

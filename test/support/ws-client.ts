import { print } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** How a socket ended, as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

export interface WsClient {
  client: Client;
  /** Resolves when the socket closes (the first time), with its code and reason. */
  closed: Promise<Closed>;
  /** Drops the socket at once, as a network failure would (no close handshake). */
  drop(): void;
  dispose(): Promise<void>;
}

/**
 * A graphql-ws client, as Apollo's GraphQLWsLink or urql would make one (Node 20 has no global
 * WebSocket: `ws` stands in), with the token in connectionParams. No retries: each test
 * reconnects explicitly.
 */
export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown> | (() => Record<string, unknown>), extra: Partial<Parameters<typeof createClient>[0]> = {}): WsClient {
  let socket: WebSocket | null = null;
  let closedResolve!: (c: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (closedResolve = resolve));
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    ...extra,
    on: {
      connected: (s) => (socket = s as WebSocket),
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closedResolve({ code: e.code, reason: String(e.reason) });
      },
    },
  });
  return {
    client,
    closed,
    drop: () => socket?.terminate(),
    dispose: () => Promise.resolve(client.dispose()),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** What one subscription produced: its events in order, then how it ended. */
export interface Subscribed<R> {
  events: R[];
  /** Resolves when the subscription completes or fails. */
  ended: Promise<{ errors?: readonly GraphQLFormattedError[]; closed?: Closed }>;
  /** Resolves once `n` events have arrived. */
  after(n: number): Promise<void>;
  unsubscribe(): void;
}

/** Subscribes with a codegen-typed document; data events are collected, errors end it. */
export function subscribeTo<R, V>(ws: WsClient, doc: TypedDocumentNode<R, V>, variables: V): Subscribed<R> {
  const events: R[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let endedResolve!: (v: { errors?: readonly GraphQLFormattedError[]; closed?: Closed }) => void;
  const ended = new Promise<{ errors?: readonly GraphQLFormattedError[]; closed?: Closed }>((resolve) => (endedResolve = resolve));
  const unsubscribe = ws.client.subscribe<R>(
    { query: print(doc), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) return endedResolve({ errors: result.errors });
        events.push(result.data as R);
        for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve();
      },
      error: (err) => {
        if (Array.isArray(err)) return endedResolve({ errors: err as GraphQLFormattedError[] });
        const e = err as { code?: number; reason?: string };
        endedResolve({ closed: { code: e.code ?? -1, reason: String(e.reason ?? err) } });
      },
      complete: () => endedResolve({}),
    },
  );
  return {
    events,
    ended,
    after: (n) => (events.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    unsubscribe,
  };
}

/** An upgrade the server refused: its HTTP status, body and Retry-After. */
export interface Refused {
  status: number;
  body: string;
  retryAfter?: string;
}

/** A raw socket with graphql-ws's subprotocol (no client library); resolves when it opens, or with the HTTP refusal. */
export function rawSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket } | Refused> & { socket: WebSocket } {
  const ws = new WebSocket(url, 'graphql-transport-ws', options);
  const opened = new Promise<{ ws: WebSocket } | Refused>((resolve, reject) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    ws.once('error', reject);
  });
  return Object.assign(opened, { socket: ws });
}

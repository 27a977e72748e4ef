// docs/clients/graphql-ws.ts: no client library. Queries and mutations with fetch, sendMessageStream with graphql-ws.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { SendMessageStreamDocument, type SendMessageStreamSubscription, type SendMessageStreamSubscriptionVariables } from './generated/graphql';

export interface ApiOptions {
  /** The HTTP endpoint, e.g. https://api.example.com/graphql; the socket is the same URL as ws(s)://. */
  url: string;
  /** The current token: asked for on every request and every (re)connection. */
  getToken: () => string | Promise<string>;
  /** Node 20 only (no global WebSocket): `WebSocket` from the `ws` package. Browsers leave it out. */
  webSocketImpl?: unknown;
}

/** A failed operation: the first error's `extensions.code` (NETWORK_ERROR when the server was not reached). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly errors: readonly GraphQLFormattedError[] = [],
  ) {
    super(errors[0]?.message ?? code);
  }
}

/** A query or mutation over HTTP (a JSON POST). */
export async function request<R, V>({ url, getToken }: ApiOptions, document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
    body: JSON.stringify({ query: print(document), variables }),
  }).catch(() => null);
  const body = (await res?.json().catch(() => null)) as { data?: R | null; errors?: GraphQLFormattedError[] } | null;
  if (body?.errors?.length) throw new ApiError(String(body.errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR'), body.errors);
  if (!body?.data) throw new ApiError('NETWORK_ERROR');
  return body.data;
}

export function createStreamClient({ url, getToken, webSocketImpl }: ApiOptions): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl,
    connectionParams: async () => ({ authorization: `Bearer ${await getToken()}` }),
    // After a drop, reconnect and re-send running subscriptions: the server replays them.
    retryAttempts: 5,
  });
}

export interface StreamHandlers {
  /** The reply's text so far; last, the stored reply's text. */
  onText: (text: string) => void;
  /** The first error's `extensions.code`; COACH_UNAVAILABLE: offer "Retry" with the same variables. */
  onError: (code: string, error: unknown) => void;
  /** The reply is stored and the stream has ended. */
  onDone?: () => void;
}

/** One subscription per message the user sends. Keep `variables` until the reply: a retry reuses them. Returns unsubscribe. */
export function sendMessageStream(client: Client, variables: SendMessageStreamSubscriptionVariables, on: StreamHandlers): () => void {
  let text = '';
  return client.subscribe<SendMessageStreamSubscription>(
    { query: print(SendMessageStreamDocument), variables },
    {
      next: ({ data }) => {
        const event = data?.sendMessageStream;
        if (event?.message) text = ''; // the first event, and again when a reconnect replays the stream
        if (event?.delta) on.onText((text += event.delta));
        if (event?.reply) on.onText(event.reply.content);
      },
      // The server's errors arrive as an array; a socket that gave up as its close event.
      error: (error) => on.onError(Array.isArray(error) ? String((error[0] as GraphQLFormattedError).extensions?.code) : 'NETWORK_ERROR', error),
      complete: () => on.onDone?.(),
    },
  );
}

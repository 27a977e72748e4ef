// docs/clients/urql.ts: @urql/core 6. Queries (GET) and mutations over HTTP, sendMessageStream over graphql-ws.
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { createClient } from 'graphql-ws';
import { SendMessageStreamDocument, type SendMessageStreamSubscriptionVariables } from './generated/graphql';

export interface ApiOptions {
  /** The HTTP endpoint, e.g. https://api.example.com/graphql; the socket is the same URL as ws(s)://. */
  url: string;
  /** The current token: asked for on every request and every (re)connection. */
  getToken: () => string | Promise<string>;
  /** Node 20 only (no global WebSocket): `WebSocket` from the `ws` package. Browsers leave it out. */
  webSocketImpl?: unknown;
}

export function createUrqlClient({ url, getToken, webSocketImpl }: ApiOptions): Client {
  const socket = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl,
    connectionParams: async () => ({ authorization: `Bearer ${await getToken()}` }),
    // After a drop, reconnect and re-send running subscriptions: the server replays them.
    retryAttempts: 5,
  });
  return new Client({
    url,
    // Every request carries the token; it is also what lets urql's GET queries past CSRF prevention.
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await getToken()}`);
      return fetch(input, { ...init, headers });
    },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
}

export interface StreamHandlers {
  /** The reply's text so far; last, the stored reply's text. */
  onText: (text: string) => void;
  /** The first error's `extensions.code`; COACH_UNAVAILABLE: offer "Retry" with the same variables. */
  onError: (code: string, error: CombinedError) => void;
  /** The reply is stored and the stream has ended. */
  onDone?: () => void;
}

/** One subscription per message the user sends. Keep `variables` until the reply: a retry reuses them. */
export function sendMessageStream(client: Client, variables: SendMessageStreamSubscriptionVariables, on: StreamHandlers) {
  let text = '';
  return client.subscription(SendMessageStreamDocument, variables).subscribe(({ data, error, hasNext }) => {
    if (error) return on.onError(codeOf(error), error);
    // When the stream completes, urql repeats its last result once with `hasNext: false`: the end, not a new event.
    if (!hasNext) return on.onDone?.();
    const event = data?.sendMessageStream;
    if (event?.message) text = ''; // the first event, and again when a reconnect replays the stream
    if (event?.delta) on.onText((text += event.delta));
    if (event?.reply) on.onText(event.reply.content);
  });
}

const codeOf = (error: CombinedError): string =>
  error.graphQLErrors.length ? String(error.graphQLErrors[0].extensions.code ?? 'INTERNAL_SERVER_ERROR') : 'NETWORK_ERROR';

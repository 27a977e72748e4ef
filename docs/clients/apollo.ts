// docs/clients/apollo.ts: Apollo Client 4. Queries and mutations over HTTP, sendMessageStream over graphql-ws.
// On Node 20 (no global WebSocket) first run `Object.assign(globalThis, { WebSocket })` with `ws`'s WebSocket:
// GraphQLWsLink reads the global itself, and without it every stream error becomes a ReferenceError.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type ErrorLike } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { SendMessageStreamDocument, type SendMessageStreamSubscriptionVariables } from './generated/graphql';

export interface ApiOptions {
  /** The HTTP endpoint, e.g. https://api.example.com/graphql; the socket is the same URL as ws(s)://. */
  url: string;
  /** The current token: asked for on every request and every (re)connection. */
  getToken: () => string | Promise<string>;
}

export function createApolloClient({ url, getToken }: ApiOptions): ApolloClient {
  const socket = createClient({
    url: url.replace(/^http/, 'ws'),
    connectionParams: async () => ({ authorization: `Bearer ${await getToken()}` }),
    // After a drop, reconnect and re-send running subscriptions: the server replays them.
    retryAttempts: 5,
  });
  const auth = new SetContextLink(async ({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${await getToken()}` } }));
  return new ApolloClient({
    link: ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, new GraphQLWsLink(socket), auth.concat(new HttpLink({ uri: url }))),
    cache: new InMemoryCache(),
  });
}

export interface StreamHandlers {
  /** The reply's text so far; last, the stored reply's text. */
  onText: (text: string) => void;
  /** The first error's `extensions.code`; COACH_UNAVAILABLE: offer "Retry" with the same variables. */
  onError: (code: string, error: ErrorLike) => void;
  /** The reply is stored and the stream has ended. */
  onDone?: () => void;
}

/** One subscription per message the user sends. Keep `variables` until the reply: a retry reuses them. */
export function sendMessageStream(client: ApolloClient, variables: SendMessageStreamSubscriptionVariables, on: StreamHandlers) {
  let text = '';
  return client.subscribe({ query: SendMessageStreamDocument, variables }).subscribe({
    // Apollo Client 4 hands the server's errors (and a socket that gave up) to `next`, not `error`.
    next: ({ data, error }) => {
      if (error) return on.onError(codeOf(error), error);
      const event = data?.sendMessageStream;
      if (event?.message) text = ''; // the first event, and again when a reconnect replays the stream
      if (event?.delta) on.onText((text += event.delta));
      if (event?.reply) on.onText(event.reply.content);
    },
    error: (error: ErrorLike) => on.onError(codeOf(error), error),
    complete: () => on.onDone?.(),
  });
}

const codeOf = (error: ErrorLike): string =>
  CombinedGraphQLErrors.is(error) ? String(error.errors[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'NETWORK_ERROR';

import WebSocket from 'ws';
import { ApolloClient } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { createApolloClient, sendMessageStream } from '../../docs/clients/apollo';
import { PauseSessionDocument, SessionDocument, StartSessionDocument, TopicsDocument } from '../../docs/clients/generated/graphql';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { StreamCoach } from '../support/stream-coach';
import { streamRecorder } from '../support/stream-recorder';
import { tcpProxy, TcpProxy } from '../support/tcp-proxy';

// docs/streaming.md's Apollo Client 4 set-up (docs/clients/apollo.ts, the file the page shows)
// against the real server on DynamoDB Local: a query, a mutation, the stream, its errors through
// Apollo 4's `next({ error })`, and a dropped socket that graphql-ws re-subscribes by itself.

let server: TestServer;
let proxy: TcpProxy;
const coach = new StreamCoach();
const clients: ApolloClient[] = [];

beforeAll(async () => {
  // Node 20 has no global WebSocket; GraphQLWsLink needs one (docs/streaming.md, "On Node 20").
  Object.assign(globalThis, { WebSocket });
  server = await startTestServer({ coach });
  proxy = await tcpProxy(server.app.server.port);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.stop();
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

async function apolloFor(user: string) {
  const token = await tokenFor(`t-${user}`, user);
  const client = createApolloClient({ url: proxy.url, getToken: () => token });
  clients.push(client);
  return client;
}

async function sessionOf(client: ApolloClient) {
  const { data } = await client.mutate({ mutation: StartSessionDocument, variables: { topicId: 'purpose' } });
  return data!.startSession.id;
}

const storedOf = async (client: ApolloClient, id: string) =>
  (await client.query({ query: SessionDocument, variables: { id, first: 50 }, fetchPolicy: 'network-only' })).data!.session!.messages.edges.map((e) => e.node);

test('a query and a mutation over HTTP with the token', async () => {
  const client = await apolloFor('alice');
  const topics = (await client.query({ query: TopicsDocument })).data!.topics;
  expect(topics.map((t) => t.id)).toContain('purpose');
  const id = await sessionOf(client);
  const session = (await client.query({ query: SessionDocument, variables: { id, first: 10 } })).data!.session!;
  expect(session).toMatchObject({ id, status: 'ACTIVE' });
});

test('the stream: the text grows piece by piece, ends as the stored reply, then completes', async () => {
  const client = await apolloFor('bob');
  const id = await sessionOf(client);
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'I want my work to matter.', clientMessageId: 'a-1' }, rec.handlers);
  await rec.ended;
  expect(rec.codes).toEqual([]);
  expect(rec.doneCalls).toBe(1);
  const reply = (await storedOf(client, id)).at(-1)!;
  expect(reply.role).toBe('ASSISTANT');
  expect(rec.texts.at(-1)).toBe(reply.content);
  expect(rec.texts.length).toBeGreaterThanOrEqual(3); // several deltas, then the reply
  for (let i = 1; i < rec.texts.length - 1; i++) expect(rec.texts[i].startsWith(rec.texts[i - 1])).toBe(true);
});

test('SESSION_NOT_ACTIVE reaches onError through next({ error }), and nothing is stored', async () => {
  const client = await apolloFor('carol');
  const id = await sessionOf(client);
  await client.mutate({ mutation: PauseSessionDocument, variables: { sessionId: id } });
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'Hello?', clientMessageId: 'a-2' }, rec.handlers);
  await rec.ended;
  expect(rec.codes).toEqual(['SESSION_NOT_ACTIVE']);
  expect(rec.texts).toEqual([]);
  expect(await storedOf(client, id)).toHaveLength(1); // the opening only
});

test('COACH_UNAVAILABLE mid-stream reaches onError after the first piece; the same variables then get the reply', async () => {
  const client = await apolloFor('dave');
  const id = await sessionOf(client);
  const variables = { sessionId: id, content: 'What matters to me?', clientMessageId: 'a-3' };
  coach.failAfterFirst = new Error('the model fell over');
  const failed = streamRecorder();
  try {
    sendMessageStream(client, variables, failed.handlers);
    await failed.ended;
  } finally {
    coach.failAfterFirst = null;
  }
  expect(failed.codes).toEqual(['COACH_UNAVAILABLE']);
  expect(failed.texts).toHaveLength(1);

  const retry = streamRecorder();
  sendMessageStream(client, variables, retry.handlers);
  await retry.ended;
  expect(retry.codes).toEqual([]);
  const stored = await storedOf(client, id);
  expect(stored.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  expect(retry.texts.at(-1)).toBe(stored[2].content);
});

test('a dropped socket mid-stream: graphql-ws reconnects and re-subscribes, the text restarts and ends as the one stored reply', async () => {
  const client = await apolloFor('erin');
  const id = await sessionOf(client);
  const streamsBefore = coach.streams;
  const release = coach.holdAfterFirst();
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'Start over?', clientMessageId: 'a-4' }, rec.handlers);
  await rec.firstText;
  const opened = proxy.opened;
  proxy.dropAll();
  release();
  await rec.ended;
  expect(proxy.opened).toBeGreaterThan(opened); // the reconnect
  expect(rec.codes).toEqual([]);
  expect(rec.doneCalls).toBe(1);
  const stored = await storedOf(client, id);
  expect(stored.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  expect(rec.texts.at(-1)).toBe(stored[2].content);
  // One model call: the re-subscription replayed the turn, it did not start another.
  expect(coach.streams - streamsBefore).toBe(1);
});

test('a refused token (here empty) is a 401 that Apollo reports as UNAUTHENTICATED, not a network error', async () => {
  const client = createApolloClient({ url: proxy.url, getToken: () => '' });
  clients.push(client);
  const error = await client.query({ query: TopicsDocument }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(CombinedGraphQLErrors.is(error)).toBe(true);
  expect((error as CombinedGraphQLErrors).errors[0].extensions?.code).toBe('UNAUTHENTICATED');
});

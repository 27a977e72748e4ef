import WebSocket from 'ws';
import type { Client } from '@urql/core';
import { createUrqlClient, sendMessageStream } from '../../docs/clients/urql';
import { PauseSessionDocument, SendMessageStreamDocument, SessionDocument, StartSessionDocument, TopicsDocument } from '../../docs/clients/generated/graphql';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { StreamCoach } from '../support/stream-coach';
import { streamRecorder } from '../support/stream-recorder';
import { tcpProxy, TcpProxy } from '../support/tcp-proxy';

// docs/streaming.md's urql set-up (docs/clients/urql.ts, the file the page shows), with urql's
// defaults (queries as GET), against the real server on DynamoDB Local.

let server: TestServer;
let proxy: TcpProxy;
const coach = new StreamCoach();
const methods: string[] = [];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  server = await startTestServer({ coach });
  proxy = await tcpProxy(server.app.server.port);
  // Records the method of every request the clients send (and sends it).
  globalThis.fetch = (input, init) => (methods.push(init?.method ?? 'GET'), realFetch(input, init));
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  await proxy?.close();
  await server?.stop();
});

async function urqlFor(user: string) {
  const token = await tokenFor(`t-${user}`, user);
  // Node 20 has no global WebSocket: `ws`'s, as docs/streaming.md says.
  return createUrqlClient({ url: proxy.url, getToken: () => token, webSocketImpl: WebSocket });
}

async function sessionOf(client: Client) {
  const result = await client.mutation(StartSessionDocument, { topicId: 'purpose' }).toPromise();
  expect(result.error).toBeUndefined();
  return result.data!.startSession.id;
}

const storedOf = async (client: Client, id: string) =>
  (await client.query(SessionDocument, { id, first: 50 }, { requestPolicy: 'network-only' }).toPromise()).data!.session!.messages.edges.map((e) => e.node);

test('a query goes as GET (urql\'s default) and runs; a mutation goes as POST', async () => {
  const client = await urqlFor('alice');
  methods.length = 0;
  const topics = await client.query(TopicsDocument, {}).toPromise();
  expect(topics.error).toBeUndefined();
  expect(topics.data!.topics.map((t) => t.id)).toContain('purpose');
  expect(methods).toEqual(['GET']);
  const id = await sessionOf(client);
  expect(methods).toEqual(['GET', 'POST']);
  expect((await client.query(SessionDocument, { id, first: 10 }).toPromise()).data!.session).toMatchObject({ id, status: 'ACTIVE' });
});

test('the stream: the text grows, ends as the stored reply, and onDone is called once', async () => {
  const client = await urqlFor('bob');
  const id = await sessionOf(client);
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'I want my work to matter.', clientMessageId: 'u-1' }, rec.handlers);
  await rec.ended;
  expect(rec.codes).toEqual([]);
  expect(rec.doneCalls).toBe(1);
  const reply = (await storedOf(client, id)).at(-1)!;
  expect(rec.texts.at(-1)).toBe(reply.content);
  // The last delta completes the text and the reply confirms it: twice, not three times (urql's repeat is skipped).
  expect(rec.texts.filter((t) => t === reply.content)).toHaveLength(2);
});

test('urql repeats the last result once with hasNext: false when a subscription completes (what sendMessageStream skips)', async () => {
  const client = await urqlFor('carol');
  const id = await sessionOf(client);
  const results: { reply: boolean; hasNext: boolean | undefined }[] = [];
  await new Promise<void>((resolve) => {
    client.subscription(SendMessageStreamDocument, { sessionId: id, content: 'Hello', clientMessageId: 'u-2' }).subscribe((r) => {
      results.push({ reply: Boolean(r.data?.sendMessageStream.reply), hasNext: r.hasNext });
      if (!r.hasNext) resolve();
    });
  });
  expect(results.filter((r) => r.reply)).toEqual([
    { reply: true, hasNext: true },
    { reply: true, hasNext: false },
  ]);
});

test('SESSION_NOT_ACTIVE reaches onError as the GraphQL error code; nothing is stored', async () => {
  const client = await urqlFor('dave');
  const id = await sessionOf(client);
  await client.mutation(PauseSessionDocument, { sessionId: id }).toPromise();
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'Hello?', clientMessageId: 'u-3' }, rec.handlers);
  await rec.ended;
  expect(rec.codes).toEqual(['SESSION_NOT_ACTIVE']);
  expect(rec.texts).toEqual([]);
  expect(await storedOf(client, id)).toHaveLength(1);
});

test('a dropped socket mid-stream: re-subscribed by graphql-ws, the text ends as the one stored reply', async () => {
  const client = await urqlFor('erin');
  const id = await sessionOf(client);
  const streamsBefore = coach.streams;
  const release = coach.holdAfterFirst();
  const rec = streamRecorder();
  sendMessageStream(client, { sessionId: id, content: 'Start over?', clientMessageId: 'u-4' }, rec.handlers);
  await rec.firstText;
  const opened = proxy.opened;
  proxy.dropAll();
  release();
  await rec.ended;
  expect(proxy.opened).toBeGreaterThan(opened);
  expect(rec.codes).toEqual([]);
  const stored = await storedOf(client, id);
  expect(stored.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  expect(rec.texts.at(-1)).toBe(stored[2].content);
  expect(coach.streams - streamsBefore).toBe(1);
});

test('a refused token (here empty): urql reports UNAUTHENTICATED from the 401', async () => {
  const client = createUrqlClient({ url: proxy.url, getToken: () => '', webSocketImpl: WebSocket });
  const result = await client.query(TopicsDocument, {}).toPromise();
  expect(result.error?.graphQLErrors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  expect(result.error?.response?.status).toBe(401);
});

import WebSocket from 'ws';
import type { Client } from 'graphql-ws';
import { ApiError, createStreamClient, request, sendMessageStream, type ApiOptions } from '../../docs/clients/graphql-ws';
import { PauseSessionDocument, SessionDocument, StartSessionDocument, TopicsDocument } from '../../docs/clients/generated/graphql';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { StreamCoach } from '../support/stream-coach';
import { streamRecorder } from '../support/stream-recorder';
import { tcpProxy, TcpProxy } from '../support/tcp-proxy';

// docs/streaming.md's set-up without a client library (docs/clients/graphql-ws.ts): fetch for
// queries and mutations, graphql-ws's createClient for the stream, against DynamoDB Local.

let server: TestServer;
let proxy: TcpProxy;
const coach = new StreamCoach();
const sockets: Client[] = [];

beforeAll(async () => {
  server = await startTestServer({ coach });
  proxy = await tcpProxy(server.app.server.port);
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.dispose()));
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

async function apiFor(user: string) {
  const token = await tokenFor(`t-${user}`, user);
  const options: ApiOptions = { url: proxy.url, getToken: () => token, webSocketImpl: WebSocket };
  const socket = createStreamClient(options);
  sockets.push(socket);
  const id = (await request(options, StartSessionDocument, { topicId: 'purpose' })).startSession.id;
  return { options, socket, id };
}

const storedOf = async (options: ApiOptions, id: string) => (await request(options, SessionDocument, { id, first: 50 })).session!.messages.edges.map((e) => e.node);

test('a query and a mutation with fetch; a refused token is ApiError UNAUTHENTICATED', async () => {
  const { options, id } = await apiFor('alice');
  expect((await request(options, TopicsDocument, {})).topics.map((t) => t.id)).toContain('purpose');
  expect((await request(options, SessionDocument, { id, first: 10 })).session).toMatchObject({ id, status: 'ACTIVE' });
  const refused = await request({ ...options, getToken: () => '' }, TopicsDocument, {}).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApiError);
  expect((refused as ApiError).code).toBe('UNAUTHENTICATED');
});

test('the stream ends as the stored reply; SESSION_NOT_ACTIVE reaches onError', async () => {
  const { options, socket, id } = await apiFor('bob');
  const rec = streamRecorder();
  sendMessageStream(socket, { sessionId: id, content: 'I want my work to matter.', clientMessageId: 'w-1' }, rec.handlers);
  await rec.ended;
  expect(rec.codes).toEqual([]);
  expect(rec.texts.at(-1)).toBe((await storedOf(options, id)).at(-1)!.content);

  await request(options, PauseSessionDocument, { sessionId: id });
  const refused = streamRecorder();
  sendMessageStream(socket, { sessionId: id, content: 'Hello?', clientMessageId: 'w-2' }, refused.handlers);
  await refused.ended;
  expect(refused.codes).toEqual(['SESSION_NOT_ACTIVE']);
});

test('a dropped socket mid-stream: re-subscribed, the text ends as the one stored reply', async () => {
  const { options, socket, id } = await apiFor('carol');
  const streamsBefore = coach.streams;
  const release = coach.holdAfterFirst();
  const rec = streamRecorder();
  sendMessageStream(socket, { sessionId: id, content: 'Start over?', clientMessageId: 'w-3' }, rec.handlers);
  await rec.firstText;
  const opened = proxy.opened;
  proxy.dropAll();
  release();
  await rec.ended;
  expect(proxy.opened).toBeGreaterThan(opened);
  expect(rec.codes).toEqual([]);
  const stored = await storedOf(options, id);
  expect(stored.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  expect(rec.texts.at(-1)).toBe(stored[2].content);
  expect(coach.streams - streamsBefore).toBe(1);
});

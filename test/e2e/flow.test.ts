import {
  CompleteSessionDocument,
  PauseSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
let alice: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = await tokenFor('acme', 'alice');
});
afterAll(() => server.stop());

test("the frontend's check -> start -> message -> pause -> resume -> complete flow", async () => {
  const url = server.url;
  const before = ok(await gql(url, SessionCheckDocument, { topicId: 'purpose' }, alice)).sessionCheck;
  expect(before).toEqual({ hasSession: false, sessionId: null, status: null, isIdle: false, conflict: false, conflictUserId: null, lastActivityAt: null, idleSince: null, expiresAt: null, conflictIdleSince: null });

  const started = ok(await gql(url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession;
  expect(started.status).toBe('ACTIVE');
  expect(started.messageCount).toBe(1);
  expect(started.messages.edges[0].node.role).toBe('ASSISTANT');

  const sent = ok(await gql(url, SendMessageDocument, { sessionId: started.id, content: 'I want my work to help new engineers.' }, alice)).sendMessage;
  expect(sent.message).toMatchObject({ role: 'USER', content: 'I want my work to help new engineers.' });
  expect(sent.reply.role).toBe('ASSISTANT');
  expect(sent.session.messageCount).toBe(3);

  const paused = ok(await gql(url, PauseSessionDocument, { sessionId: started.id }, alice)).pauseSession;
  expect(paused.status).toBe('PAUSED');
  const check = ok(await gql(url, SessionCheckDocument, { topicId: 'purpose' }, alice)).sessionCheck;
  expect(check).toMatchObject({ hasSession: true, sessionId: started.id, status: 'PAUSED', conflict: false });
  // The idle card's times, from the same one read: the pause was the last activity.
  expect(check).toMatchObject({ lastActivityAt: paused.lastActivityAt, expiresAt: paused.expiresAt, idleSince: null, conflictIdleSince: null });
  // The reply answers the message, and both carry who wrote the message.
  expect(sent.reply).toMatchObject({ inReplyTo: sent.message.id, authorId: null });
  expect(sent.message).toMatchObject({ inReplyTo: null, authorId: expect.any(String) });

  const resumed = ok(await gql(url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession;
  expect(resumed).toMatchObject({ id: started.id, status: 'ACTIVE', messageCount: 3 });

  const read = ok(await gql(url, SessionDocument, { id: started.id, last: 2 }, alice)).session!;
  expect(read.messages.edges.map((e) => e.node.content)).toEqual([sent.message.content, sent.reply.content]);
  expect(read.topic.name).toBe('Purpose');

  const done = ok(await gql(url, CompleteSessionDocument, { sessionId: started.id }, alice)).completeSession;
  expect(done.status).toBe('COMPLETED');
  expect(Date.parse(done.expiresAt)).toBe(Math.floor(Date.parse(done.endedAt!) / 1000) * 1000 + 14 * 86400 * 1000);
  const after = ok(await gql(url, SessionCheckDocument, { topicId: 'purpose' }, alice)).sessionCheck;
  expect(after.hasSession).toBe(false);
  const topics = ok(await gql(url, TopicsDocument, {}, alice)).topics;
  expect(topics.find((t) => t.id === 'purpose')?.myStatus).toBe('COMPLETED');
});

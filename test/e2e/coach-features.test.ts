import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteSessionWithResultDocument,
  MessageReplyDocument,
  PauseSessionDocument,
  PostMessageDocument,
  ResumeSessionWithMessagesDocument,
  SendMessageDocument,
  SessionCheckTurnsDocument,
  SessionDocument,
  SessionResultDocument,
  StartSessionWithTurnsDocument,
  TopicLimitsDocument,
} from '../generated/graphql/graphql';
import { eventually, expectCode } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

const DAY = 86_400_000;
const TOPICS = [
  {
    id: 'brief',
    name: 'Brief',
    settings: { inactivityTimeoutMinutes: 0, maxTurns: 2 },
    resultSchema: {
      type: 'object',
      properties: { summary: { type: 'string', maxLength: 300 } },
      required: ['summary'],
      additionalProperties: false,
    },
  },
];

let dir: string;
let server: TestServer;
const clock = { offset: 0, now: () => Date.now() + clock.offset };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-coach-features-'));
  const file = join(dir, 'topics.json');
  writeFileSync(file, JSON.stringify(TOPICS));
  server = await startTestServer({ env: { TOPICS_FILE: file }, clock });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  clock.offset = 0;
});

const messagesOf = async (token: string, id: string) =>
  ok(await gql(server.url, SessionDocument, { id, first: 100 }, token)).session!.messages.edges.map((e) => e.node);

test('max turns: the topic says 2, sessionCheck and the session count turns, the third is MAX_TURNS_REACHED, complete still works with a result', async () => {
  const token = await tokenFor('cf-turns', 'alice');
  const topics = ok(await gql(server.url, TopicLimitsDocument, {}, token)).topics;
  expect(topics.find((t) => t.id === 'brief')!.settings.maxTurns).toBe(2);
  expect(topics.find((t) => t.id === 'core_values')!.settings.maxTurns).toBeNull();

  const started = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'brief' }, token)).startSession;
  expect(started).toMatchObject({ turnCount: 0, maxTurns: 2, messageCount: 1 });
  for (const content of ['I want to plan my week.', 'Mornings for deep work.']) {
    ok(await gql(server.url, SendMessageDocument, { sessionId: started.id, content }, token));
  }
  expect(ok(await gql(server.url, SessionCheckTurnsDocument, { topicId: 'brief' }, token)).sessionCheck).toMatchObject({
    hasSession: true,
    turnCount: 2,
    maxTurns: 2,
  });
  const before = await messagesOf(token, started.id);
  const refused = await gql(server.url, SendMessageDocument, { sessionId: started.id, content: 'One more?' }, token);
  expect(expectCode(refused, 'MAX_TURNS_REACHED').extensions?.maxTurns).toBe(2);
  expectCode(await gql(server.url, PostMessageDocument, { sessionId: started.id, content: 'One more?' }, token), 'MAX_TURNS_REACHED');
  expect(await messagesOf(token, started.id)).toEqual(before);

  const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: started.id }, token)).completeSession;
  expect(done).toMatchObject({ status: 'COMPLETED', turnCount: 2, resultError: null, result: { summary: 'Mornings for deep work.' } });
  expect(ok(await gql(server.url, SessionResultDocument, { id: started.id }, token)).session).toEqual({
    id: started.id,
    status: 'COMPLETED',
    turnCount: 2,
    maxTurns: 2,
    result: { summary: 'Mornings for deep work.' },
    resultError: null,
  });
});

test('core values: completeSession returns the extracted values as JSON; a conversation without values completes with resultError', async () => {
  const token = await tokenFor('cf-results', 'bob');
  const s = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'core_values' }, token)).startSession;
  ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'I feel most myself when I help a colleague grow.' }, token));
  const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: s.id }, token)).completeSession;
  expect(done.result).toEqual({
    values: [
      { name: 'Growth', meaning: 'I feel most myself when I help a colleague grow.' },
      { name: 'Helping others', meaning: 'I feel most myself when I help a colleague grow.' },
    ],
  });
  expect(done.resultError).toBeNull();

  const empty = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'purpose' }, token)).startSession;
  const ended = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: empty.id }, token)).completeSession;
  expect(ended).toMatchObject({ status: 'COMPLETED', result: null });
  expect(ended.resultError).toMatch(/statement: is required/);
});

test('welcome back: resuming a session idle for 5 days adds one coach message recalling the conversation; two tabs at once add exactly one', async () => {
  const token = await tokenFor('cf-welcome', 'carol');
  const s = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'core_values' }, token)).startSession;
  ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Honesty is what I care about most.' }, token));
  ok(await gql(server.url, PauseSessionDocument, { sessionId: s.id }, token));

  clock.offset = 5 * DAY;
  const [a, b, c] = await Promise.all([
    gql(server.url, ResumeSessionWithMessagesDocument, { sessionId: s.id }, token),
    gql(server.url, ResumeSessionWithMessagesDocument, { sessionId: s.id }, token),
    gql(server.url, StartSessionWithTurnsDocument, { topicId: 'core_values' }, token),
  ]);
  for (const r of [ok(a).resumeSession, ok(b).resumeSession, ok(c).startSession]) expect(r).toMatchObject({ id: s.id, status: 'ACTIVE' });
  const messages = await messagesOf(token, s.id);
  const welcomes = messages.filter((m) => m.content.startsWith('Welcome back'));
  expect(welcomes).toHaveLength(1);
  expect(welcomes[0]).toMatchObject({ role: 'ASSISTANT' });
  expect(welcomes[0].content).toBe("Welcome back! It has been 5 days. Last time you told me: 'Honesty is what I care about most'. Shall we pick up from there?");
  expect(messages).toHaveLength(4);
  // PAUSED -> ACTIVE with the message in one write: the hold mirrors it (sessionCheck is one read of the hold).
  expect(ok(await gql(server.url, SessionCheckTurnsDocument, { topicId: 'core_values' }, token)).sessionCheck).toMatchObject({
    sessionId: s.id,
    status: 'ACTIVE',
    isIdle: false,
    turnCount: 1,
  });
  // Right after: not idle any more, no second welcome back.
  const again = ok(await gql(server.url, ResumeSessionWithMessagesDocument, { sessionId: s.id }, token)).resumeSession;
  expect(again).toMatchObject({ isIdle: false, messageCount: 4 });
});

test('an inactivity timeout of 0: every resume is after idle, and the welcome back is stored with it', async () => {
  const token = await tokenFor('cf-zero', 'dan');
  const s = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'brief' }, token)).startSession;
  const resumed = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'brief' }, token)).startSession;
  expect(resumed).toMatchObject({ id: s.id, messageCount: 2 });
  expect(resumed.messages.edges[1].node).toMatchObject({ role: 'ASSISTANT', content: expect.stringMatching(/^Welcome back!/) });
});

test('postMessage returns at once; polling messageReply (bounded) sees the reply; a retry with the same id changes nothing', async () => {
  const token = await tokenFor('cf-post', 'erin');
  const s = ok(await gql(server.url, StartSessionWithTurnsDocument, { topicId: 'vision' }, token)).startSession;
  const posted = ok(await gql(server.url, PostMessageDocument, { sessionId: s.id, content: 'I see a small team of my own.', clientMessageId: 'post-1' }, token)).postMessage;
  expect(posted).toMatchObject({ replyPending: true, clientMessageId: 'post-1', message: { role: 'USER', content: 'I see a small team of my own.' } });
  expect(posted.session.turnCount).toBe(1);

  let reply: { status: string; reply: { content: string } | null } | null = null;
  const ready = await eventually(async () => {
    reply = ok(await gql(server.url, MessageReplyDocument, { sessionId: s.id, messageId: posted.message.id }, token)).messageReply;
    return reply.status !== 'PENDING';
  }, 10_000, 50);
  expect(ready).toBe(true);
  expect(reply!.status).toBe('READY');
  expect(reply!.reply!.content).toContain('I see a small team of my own');

  const again = ok(await gql(server.url, PostMessageDocument, { sessionId: s.id, content: 'I see a small team of my own.', clientMessageId: 'post-1' }, token)).postMessage;
  expect(again).toMatchObject({ replyPending: false, message: posted.message });
  expect(again.session.messageCount).toBe(3);
  // sendMessage with the same id returns the same pair (the spec's retry contract).
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'I see a small team of my own.', clientMessageId: 'post-1' }, token)).sendMessage;
  expect(sent.reply.content).toBe(reply!.reply!.content);

  // Someone else's session behaves like an unknown one.
  const other = await gql(server.url, MessageReplyDocument, { sessionId: s.id, messageId: posted.message.id }, await tokenFor('cf-post', 'frank'));
  expectCode(other, 'NOT_FOUND');
});

/**
 * The bounded welcome back wait over HTTP against DynamoDB Local, with a coach whose
 * welcome backs wait until the test releases them: the resume answers without it after
 * WELCOME_BACK_WAIT_MS, and the welcome back then appears in the session's messages at its
 * place (messageCount grows by one). Races run on two more servers ("processes") of the
 * same table, stopped before the end so that their background work has finished
 * (app.stop waits for it).
 */
import {
  CompleteSessionDocument,
  PauseSessionDocument,
  ResumeSessionWithMessagesDocument,
  SendMessageDocument,
  SessionDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { eventually } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { SlowWelcomeCoach } from '../support/slow-welcome-coach';

const DAY = 86_400_000;

const clock = { offset: 0, now: () => Date.now() + clock.offset };
const coach = new SlowWelcomeCoach();
const env = { WELCOME_BACK_WAIT_MS: '150' };
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env, clock, coach });
});
afterAll(async () => {
  await server?.stop();
});
afterEach(() => {
  clock.offset = 0;
  coach.held = true;
  coach.release();
});

/** Another server process on the same table (same clock and coach). */
const another = () => startTestServer({ table: server.table, env, clock, coach });

const messagesOf = async (token: string, id: string) => {
  const s = ok(await gql(server.url, SessionDocument, { id, first: 100 }, token)).session!;
  return { messageCount: s.messageCount, messages: s.messages.edges.map((e) => e.node) };
};

/** A paused session with one exchange (3 messages), 5 days idle by the shared clock. */
async function idleSession(token: string, topicId: string) {
  const s = ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
  ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Honesty is what I care about most.' }, token));
  ok(await gql(server.url, PauseSessionDocument, { sessionId: s.id }, token));
  clock.offset = 5 * DAY;
  return s.id;
}

test('a slow welcome back: the resume answers without it, and it appears later in its place, counted in messageCount', async () => {
  const token = await tokenFor('wb-slow', 'carol');
  const id = await idleSession(token, 'core_values');
  const resumed = ok(await gql(server.url, ResumeSessionWithMessagesDocument, { sessionId: id }, token)).resumeSession;
  expect(resumed).toMatchObject({ status: 'ACTIVE', isIdle: false, messageCount: 3 });
  expect(resumed.messages.edges.map((e) => e.node.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);

  // The user writes before the welcome back is there: their turn follows the kept seq.
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Still honesty.' }, token)).sendMessage;
  expect(sent.session.messageCount).toBe(5);

  coach.release();
  expect(await eventually(async () => (await messagesOf(token, id)).messageCount === 6, 10_000, 50)).toBe(true);
  const { messages } = await messagesOf(token, id);
  expect(messages.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT', 'ASSISTANT', 'USER', 'ASSISTANT']);
  expect(messages[3]).toMatchObject({
    role: 'ASSISTANT',
    inReplyTo: null,
    content: "Welcome back! It has been 5 days. Last time you told me: 'Honesty is what I care about most'. Shall we pick up from there?",
  });
  expect(messages[5].inReplyTo).toBe(messages[4].id);
  // The last page a frontend polls ends with the reply; the welcome back sits before the user's message.
  const last = ok(await gql(server.url, SessionDocument, { id, last: 3 }, token)).session!;
  expect(last.messages.edges.map((e) => e.node.id)).toEqual(messages.slice(3).map((m) => m.id));
});

test('two processes resuming at once: one welcome back', async () => {
  const token = await tokenFor('wb-race', 'dan');
  const id = await idleSession(token, 'purpose');
  const [b, c] = [await another(), await another()];
  try {
    const calls = coach.calls;
    const results = await Promise.all([
      gql(b.url, ResumeSessionWithMessagesDocument, { sessionId: id }, token),
      gql(c.url, ResumeSessionWithMessagesDocument, { sessionId: id }, token),
    ]);
    for (const r of results) expect(ok(r).resumeSession).toMatchObject({ status: 'ACTIVE', messageCount: 3 });
    expect(coach.calls - calls).toBeGreaterThanOrEqual(1);
    coach.release();
  } finally {
    // Each waits for its own background work.
    await b.stop();
    await c.stop();
  }
  const { messageCount, messages } = await messagesOf(token, id);
  expect(messages.filter((m) => m.content.startsWith('Welcome back'))).toHaveLength(1);
  expect(messageCount).toBe(4);
});

test('a session completed before its welcome back arrives gets none', async () => {
  const token = await tokenFor('wb-ended', 'erin');
  const id = await idleSession(token, 'vision');
  const b = await another();
  try {
    ok(await gql(b.url, ResumeSessionWithMessagesDocument, { sessionId: id }, token));
    expect(ok(await gql(server.url, CompleteSessionDocument, { sessionId: id }, token)).completeSession.status).toBe('COMPLETED');
    coach.release();
  } finally {
    await b.stop();
  }
  const { messageCount, messages } = await messagesOf(token, id);
  expect(messageCount).toBe(3);
  expect(messages.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
});

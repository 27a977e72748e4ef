import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Topic } from '../../src/domain/topic';
import {
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { expectCode, expectNoInternals } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

/** The embedded coach, made to fail on demand (a model endpoint that is down). */
class FlakyCoach implements Coach {
  readonly name = 'flaky';
  private readonly inner = new EmbeddedCoach();
  summarize = (request: SummaryRequest) => this.inner.summarize(request);
  title = (request: TitleRequest) => this.inner.title(request);
  failReplies = 0;
  failOpenings = 0;
  readonly turns: CoachTurn[] = [];

  async opening(topic: Topic): Promise<string> {
    if (this.failOpenings > 0) {
      this.failOpenings--;
      throw new Error('model endpoint https://llm.internal.example:8443 refused: quota exceeded');
    }
    return this.inner.opening(topic);
  }

  async reply(turn: CoachTurn): Promise<string> {
    this.turns.push(turn);
    if (this.failReplies > 0) {
      this.failReplies--;
      throw new Error('model endpoint https://llm.internal.example:8443 timed out');
    }
    return this.inner.reply(turn);
  }

  welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    return this.inner.welcomeBack(turn);
  }

  extractResult(request: ResultRequest): Promise<unknown> {
    return this.inner.extractResult(request);
  }
}

let server: TestServer;
const coach = new FlakyCoach();

beforeAll(async () => {
  server = await startTestServer({ coach });
});
afterAll(() => server.stop());

const read = async (id: string, token: string) => ok(await gql(server.url, SessionDocument, { id, first: 100 }, token)).session!;
const start = async (token: string, topicId: string) => ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;

test("a failing coach -> COACH_UNAVAILABLE; the user's message is kept, the session stays ACTIVE, the next message works", async () => {
  const token = await tokenFor('coach-alice', 'alice');
  const { id } = await start(token, 'purpose');

  coach.failReplies = 1;
  const failed = await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Something I really want to say' }, token);
  const error = expectCode(failed, 'COACH_UNAVAILABLE');
  expect(error.message).not.toMatch(/llm\.internal|quota|timed out/);
  expectNoInternals(JSON.stringify(failed), ['llm.internal.example']);
  expect(coach.failReplies).toBe(0); // the coach was really asked

  const afterFailure = await read(id, token);
  expect(afterFailure.status).toBe('ACTIVE');
  expect(afterFailure.messageCount).toBe(2);
  expect(afterFailure.messages.edges.map((e) => [e.node.role, e.node.content])).toEqual([
    ['ASSISTANT', expect.any(String)],
    ['USER', 'Something I really want to say'],
  ]);
  const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, token)).sessionCheck;
  expect(check).toMatchObject({ hasSession: true, sessionId: id, status: 'ACTIVE' });

  const next = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Let me try again' }, token)).sendMessage;
  expect(next.message).toMatchObject({ role: 'USER', content: 'Let me try again' });
  expect(next.reply.role).toBe('ASSISTANT');
  expect(next.session).toMatchObject({ status: 'ACTIVE', messageCount: 4 });
  const final = await read(id, token);
  expect(final.messages.edges.map((e) => e.node.role)).toEqual(['ASSISTANT', 'USER', 'USER', 'ASSISTANT']);
});

test('retrying the same clientMessageId after a coach failure stores the message once and exactly one reply', async () => {
  const token = await tokenFor('coach-bob', 'bob');
  const { id } = await start(token, 'vision');

  coach.failReplies = 1;
  expectCode(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'My vision is unclear', clientMessageId: 'r-1' }, token), 'COACH_UNAVAILABLE');
  const stored = await read(id, token);
  const storedUser = stored.messages.edges[stored.messages.edges.length - 1].node;
  expect(storedUser).toMatchObject({ role: 'USER', content: 'My vision is unclear' });

  const retried = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'My vision is unclear', clientMessageId: 'r-1' }, token)).sendMessage;
  expect(retried.message).toEqual(storedUser);
  expect(retried.reply.role).toBe('ASSISTANT');
  expect(retried.session.messageCount).toBe(3);

  const again = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'My vision is unclear', clientMessageId: 'r-1' }, token)).sendMessage;
  expect(again.message).toEqual(retried.message);
  expect(again.reply).toEqual(retried.reply);

  const after = await read(id, token);
  expect(after.messageCount).toBe(3);
  const nodes = after.messages.edges.map((e) => e.node);
  expect(nodes.filter((m) => m.role === 'USER')).toEqual([storedUser]);
  expect(nodes.filter((m) => m.role === 'ASSISTANT')).toHaveLength(2); // the opening + exactly one reply
  expect(nodes[2]).toEqual(retried.reply);
});

test('the same clientMessageId twice returns identical message and reply ids and writes nothing new', async () => {
  const token = await tokenFor('coach-carol', 'carol');
  const { id } = await start(token, 'goals');
  const vars = { sessionId: id, content: 'I want to run a marathon', clientMessageId: 'client-42' };

  const firstResult = ok(await gql(server.url, SendMessageDocument, vars, token)).sendMessage;
  expect(firstResult.session.messageCount).toBe(3);
  const askedBefore = coach.turns.length;
  const second = ok(await gql(server.url, SendMessageDocument, vars, token)).sendMessage;
  expect(second.message).toEqual(firstResult.message);
  expect(second.reply).toEqual(firstResult.reply);
  expect(second.session.messageCount).toBe(3);
  expect(coach.turns.length).toBe(askedBefore); // the coach was not asked again

  // The id with other content is another request under a used key: refused, nothing stored, the coach not asked (issue #9).
  const changed = await gql(server.url, SendMessageDocument, { ...vars, content: 'something else' }, token);
  const refused = expectCode(changed, 'BAD_USER_INPUT');
  expect(refused.extensions).toMatchObject({ argumentName: 'clientMessageId' });
  expect(coach.turns.length).toBe(askedBefore);

  const after = await read(id, token);
  expect(after.messageCount).toBe(3);
  expect(after.messages.edges).toHaveLength(3);

  // The same clientMessageId in another session is a different message.
  const other = await start(token, 'strengths');
  const elsewhere = ok(await gql(server.url, SendMessageDocument, { ...vars, sessionId: other.id }, token)).sendMessage;
  expect(elsewhere.message.id).not.toBe(firstResult.message.id);
  expect(elsewhere.session.messageCount).toBe(3);
});

test('simultaneous retries with one clientMessageId store one message and one reply', async () => {
  const token = await tokenFor('coach-dave', 'dave');
  const { id } = await start(token, 'core_values');
  const vars = { sessionId: id, content: 'Honesty matters most to me', clientMessageId: 'dup-1' };
  const results = await Promise.all(Array.from({ length: 4 }, () => gql(server.url, SendMessageDocument, vars, token)));
  for (const r of results) expect(r.errors).toBeUndefined();
  const ids = new Set(results.map((r) => `${r.data!.sendMessage.message.id}|${r.data!.sendMessage.reply.id}`));
  expect(ids.size).toBe(1);
  const after = await read(id, token);
  expect(after.messageCount).toBe(3);
  expect(after.messages.edges.map((e) => e.node.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
});

test("the coach gets the session's own topic, and a failing opening does not stop a session from starting", async () => {
  const token = await tokenFor('coach-erin', 'erin');
  coach.failOpenings = 1;
  const session = await start(token, 'strengths');
  expect(session.status).toBe('ACTIVE');
  expect(session.messages.edges[0].node.role).toBe('ASSISTANT');
  expect(session.messages.edges[0].node.content.length).toBeGreaterThan(0);

  ok(await gql(server.url, SendMessageDocument, { sessionId: session.id, content: 'I am good at listening' }, token));
  const turn = coach.turns[coach.turns.length - 1];
  expect(turn.topic.id).toBe('strengths');
  expect(turn.session.id).toBe(session.id);
  expect(turn.userMessage.content).toBe('I am good at listening');
});

import { capabilities } from '../support/capabilities';
/**
 * The conversation write path (issue #10) against DynamoDB Local: a transaction whose
 * response is lost after it landed (the SDK retries it with the same ClientRequestToken),
 * reply threading when failed messages are retried in the other order, and a reply that
 * could not be written under contention.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { CoachTurn } from '../../src/coach/port';
import { Message, Session } from '../../src/domain/session';
import { StaleSessionError } from '../../src/sessions/repository';
import { createDynamoClient, documentClient } from '../../src/store/client';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { FakeClock } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { bySk, catalog, domainError, isMessage, partition, topic, viewer } from '../support/store-helpers';

let table: TestTable;
const topics = catalog(topic('talk'));
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

/**
 * Lets each of the next `count` TransactWriteItems reach DynamoDB Local and apply, then
 * throws a retryable network error in place of its response, as if the connection reset
 * after the write: the SDK retries the very same request. Counts the attempts it saw.
 */
function loseResponses(client: DynamoDBClient, opts: { newTokenEachAttempt?: boolean } = {}) {
  const state = { toLose: 0, lost: 0, attempts: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      state.attempts++;
      if (opts.newTokenEachAttempt) {
        // The control: as if no token made the attempts one request.
        const request = args.request as { body: string };
        request.body = JSON.stringify({ ...JSON.parse(request.body), ClientRequestToken: randomUUID() });
      }
      const result = await next(args);
      if (state.toLose > 0) {
        state.toLose--;
        state.lost++;
        throw Object.assign(new Error('socket hang up: the response was lost'), { code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    // The deserialize step runs inside the SDK's retry loop: once per attempt.
    { step: 'deserialize', name: 'loseResponses', priority: 'high' },
  );
  return state;
}

test('a transaction that landed but whose response was lost: the SDK retries it with its token; stored once, the caller gets success', async () => {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  try {
    const lose = loseResponses(client);
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 9, 0, 0));
    const repo = new DynamoSessionRepository(documentClient(client), table.tableName);
    const service = capabilities(repo, topics, { coach: new EmbeddedCoach(), clock: clock });
    const me = viewer('lost', 'alice');
    lose.toLose = 1; // the create
    const s = await service.lifecycle.start(me, 'talk', false);
    // No clientMessageId: before tokens, the retry failed its own condition and the message was stored twice.
    for (const clientMessageId of [null, 'c-1']) {
      clock.advance(1000);
      lose.toLose = 2; // the user's message and the reply
      const before = lose.attempts;
      const r = await service.conversation.sendMessage(me, s.id, `Said once (${clientMessageId ?? 'no id'}).`, clientMessageId);
      await service.background.settled();
      expect(r.reply.replyTo).toBe(r.message.seq);
      // Two transactions, each sent twice: the lost one and its retry with the same token; after the
      // first exchange, the title's (a transaction with its usage counters, not lost).
      expect(lose.attempts - before).toBe(clientMessageId === null ? 5 : 4);
    }
    expect(lose.lost).toBe(5);
    const items = await partition(table, 'lost', s.id);
    const messages = items.filter(isMessage).sort(bySk);
    expect(messages.map((m) => [m.seq, m.role])).toEqual([
      [1, 'ASSISTANT'],
      [2, 'USER'],
      [3, 'ASSISTANT'],
      [4, 'USER'],
      [5, 'ASSISTANT'],
    ]);
    expect(items.find((i) => i.sk === 'SESSION')).toMatchObject({ messageCount: 5, lastSeq: 5, turnCount: 2, version: 3 });
  } finally {
    client.destroy();
  }
});

test('the control: attempts that are not one request (a new token each) store the message twice: the token is what makes the retry safe', async () => {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  try {
    const lose = loseResponses(client, { newTokenEachAttempt: true });
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 10, 0, 0));
    const service = capabilities(new DynamoSessionRepository(documentClient(client), table.tableName), topics, { coach: new EmbeddedCoach(), clock: clock });
    const me = viewer('lost-control', 'alice');
    const s = await service.lifecycle.start(me, 'talk', false);
    clock.advance(1000);
    lose.toLose = 1; // the user's message: applied, response lost, the retry fails its version condition, the service writes it again
    await service.conversation.sendMessage(me, s.id, 'Said once?', null);
    const users = (await partition(table, 'lost-control', s.id)).filter((i) => isMessage(i) && i.role === 'USER');
    expect(users.map((m) => m.content)).toEqual(['Said once?', 'Said once?']);
  } finally {
    client.destroy();
  }
});

/** The embedded coach, failing on demand, remembering which seqs each reply's request saw. */
class RecordingCoach extends EmbeddedCoach {
  failures = 0;
  seen: { answering: string; seqs: number[] }[] = [];
  override async reply(turn: CoachTurn): Promise<string> {
    const recent = await turn.recentMessages(20);
    this.seen.push({ answering: turn.userMessage.content, seqs: recent.map((m) => m.seq) });
    if (this.failures > 0) {
      this.failures--;
      throw new Error('model timed out');
    }
    return super.reply(turn);
  }
}

test('A and B fail with COACH_UNAVAILABLE and are retried B first: each reply follows its message; the model saw up to that message only', async () => {
  const coach = new RecordingCoach();
  const clock = new FakeClock(Date.UTC(2026, 5, 2, 9, 0, 0));
  const service = capabilities(new DynamoSessionRepository(table.doc, table.tableName), topics, { coach: coach, clock: clock });
  const me = viewer('thread', 'alice');
  const s = await service.lifecycle.start(me, 'talk', false);
  coach.failures = 2;
  clock.advance(1000);
  await domainError(() => service.conversation.sendMessage(me, s.id, 'A: my first thought', 'a'), 'COACH_UNAVAILABLE');
  clock.advance(1000);
  await domainError(() => service.conversation.sendMessage(me, s.id, 'B: my second thought', 'b'), 'COACH_UNAVAILABLE');
  clock.advance(1000);
  const b = await service.conversation.sendMessage(me, s.id, 'B: my second thought', 'b');
  clock.advance(1000);
  const a = await service.conversation.sendMessage(me, s.id, 'A: my first thought', 'a');

  expect([a.message.seq, a.reply.seq, a.reply.replyTo]).toEqual([2, 3, 2]);
  expect([b.message.seq, b.reply.seq, b.reply.replyTo]).toEqual([4, 5, 4]);
  // Each model request ends with the message it answers; A's retry sees neither B nor B's reply.
  expect(coach.seen.slice(2)).toEqual([
    { answering: 'B: my second thought', seqs: [1, 2, 4] },
    { answering: 'A: my first thought', seqs: [1, 2] },
  ]);
  const stored = (await partition(table, 'thread', s.id)).filter(isMessage).sort(bySk);
  expect(stored.map((m) => [m.seq, m.role, m.replyTo ?? null, m.clientMessageId ?? null])).toEqual([
    [1, 'ASSISTANT', null, null],
    [2, 'USER', null, 'a'],
    [3, 'ASSISTANT', 2, 'a'],
    [4, 'USER', null, 'b'],
    [5, 'ASSISTANT', 4, 'b'],
  ]);
  expect((await service.sessions.get(me, s.id))!.messageCount).toBe(5);
});

test('a reply that keeps losing races: SESSION_BUSY with messageStored; the retry with the same id completes the turn, the message stored once', async () => {
  /** Other processes' transactions keep getting in the way of replies (DynamoDB's TransactionConflict). */
  class ContendedRepository extends DynamoSessionRepository {
    conflicts = 0;
    override async appendReply(session: Session, reply: Message, now: number): Promise<void> {
      if (this.conflicts > 0) {
        this.conflicts--;
        throw new StaleSessionError(session.id);
      }
      return super.appendReply(session, reply, now);
    }
  }
  const repo = new ContendedRepository(table.doc, table.tableName);
  const clock = new FakeClock(Date.UTC(2026, 5, 3, 9, 0, 0));
  const service = capabilities(repo, topics, { coach: new EmbeddedCoach(), clock: clock });
  const me = viewer('busy-reply', 'alice');
  const s = await service.lifecycle.start(me, 'talk', false);
  repo.conflicts = 12;
  const e = await domainError(() => service.conversation.sendMessage(me, s.id, 'Keep this one.', 'keep-1'), 'SESSION_BUSY');
  expect(e.details).toMatchObject({ messageStored: true, retryAfterMs: expect.any(Number) });
  let messages = (await partition(table, 'busy-reply', s.id)).filter(isMessage);
  expect(messages.map((m) => m.content)).toEqual([expect.any(String), 'Keep this one.']);
  const done = await service.conversation.sendMessage(me, s.id, 'Keep this one.', 'keep-1');
  expect([done.message.seq, done.reply.seq, done.reply.replyTo]).toEqual([2, 3, 2]);
  messages = (await partition(table, 'busy-reply', s.id)).filter(isMessage);
  expect(messages.filter((m) => m.role === 'USER')).toHaveLength(1);
  expect(messages).toHaveLength(3);
});

import type { SessionCapabilities } from '../../src/compose';
import { capabilities } from '../support/capabilities';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { Topic } from '../../src/domain/topic';
import { createTestTable, TestTable } from '../support/dynamo';
import { bySk, catalog, domainError, isMessage, isRecord, partition, topic, viewer } from '../support/store-helpers';

// The coach fails or hangs: the user's message is kept, the session stays usable, the error is
// COACH_UNAVAILABLE, the next message works. Against DynamoDB Local, with COACH_TIMEOUT_MS small.

type Mode = 'ok' | 'hang' | 'throw' | 'empty' | 'slow-then-ok';

/** A coach whose next calls fail in chosen ways; it records whether it was told to stop. */
class FaultyCoach implements Coach {
  readonly name = 'faulty';
  private readonly inner = new EmbeddedCoach();
  summarize = (request: SummaryRequest) => this.inner.summarize(request);
  title = (request: TitleRequest) => this.inner.title(request);
  replies: Mode[] = [];
  openings: Mode[] = [];
  aborted = 0;
  calls = 0;

  private async behave(mode: Mode, signal: AbortSignal | undefined, ok: () => Promise<string>): Promise<string> {
    this.calls++;
    signal?.addEventListener('abort', () => this.aborted++, { once: true });
    if (mode === 'throw') throw new Error('model endpoint returned 502 with secret-internal-detail');
    if (mode === 'empty') return '   ';
    if (mode === 'hang') return new Promise<string>(() => undefined); // never answers
    if (mode === 'slow-then-ok') await new Promise((r) => setTimeout(r, 50));
    return ok();
  }

  opening(topic: Topic, signal?: AbortSignal) {
    return this.behave(this.openings.shift() ?? 'ok', signal, () => this.inner.opening(topic));
  }

  reply(turn: CoachTurn) {
    return this.behave(this.replies.shift() ?? 'ok', turn.signal, () => this.inner.reply(turn));
  }

  welcomeBack(turn: WelcomeBackTurn) {
    return this.inner.welcomeBack(turn);
  }

  extractResult(request: ResultRequest) {
    return this.inner.extractResult(request);
  }
}

const TIMEOUT_MS = 300;
const topics = catalog(topic('coach'), topic('coach2'));
let table: TestTable;
let coach: FaultyCoach;
let service: SessionCapabilities;

beforeAll(async () => {
  table = await createTestTable();
  coach = new FaultyCoach();
  const repo = new DynamoSessionRepository(table.doc, table.tableName);
  service = capabilities(repo, topics, { coach: coach, clock: { now: () => Date.now() }, limits: {
    maxMessageChars: 4000,
    maxPageSize: 100,
    defaultPageSize: 20,
    coachTimeoutMs: TIMEOUT_MS,
  } });
});
afterAll(() => table.drop());

test.each<[string, Mode]>([
  ['hangs (no answer within COACH_TIMEOUT_MS)', 'hang'],
  ['throws', 'throw'],
  ['answers with nothing', 'empty'],
])('a coach that %s -> COACH_UNAVAILABLE; the message is kept, the session ACTIVE, the next message works', async (_name, mode) => {
  const me = viewer(`coach-${mode}`, 'u');
  const s = await service.lifecycle.start(me, 'coach', false);
  coach.replies = [mode];
  const abortedBefore = coach.aborted;
  const e = await domainError(() => service.conversation.sendMessage(me, s.id, 'Are you there?', 'c-1'), 'COACH_UNAVAILABLE');
  expect(e.message).not.toMatch(/secret-internal-detail|502|timeout|ms/i);
  if (mode === 'hang') expect(coach.aborted).toBe(abortedBefore + 1); // the adapter was told to stop

  let items = await partition(table, me.tenantId, s.id);
  expect(items.filter(isMessage).sort(bySk).map((m) => [m.role, m.content])).toEqual([
    ['ASSISTANT', 'Welcome to coach.'],
    ['USER', 'Are you there?'],
  ]);
  const session = (await service.sessions.get(me, s.id))!;
  expect(session).toMatchObject({ status: 'ACTIVE', messageCount: 2 });

  // The next message works, with a reply (seq 3 stays kept for the failed message's reply).
  const next = await service.conversation.sendMessage(me, s.id, 'Trying again.', 'c-2');
  expect(next.message.seq).toBe(4);
  expect(next.reply.seq).toBe(5);
  // The retry of the failed one now gets its reply, stored once, right after its message.
  const retry = await service.conversation.sendMessage(me, s.id, 'Are you there?', 'c-1');
  expect(retry.message.seq).toBe(2);
  expect(retry.reply).toMatchObject({ seq: 3, replyTo: 2 });
  const again = await service.conversation.sendMessage(me, s.id, 'Are you there?', 'c-1');
  expect([again.message.seq, again.reply.seq]).toEqual([2, 3]);

  items = await partition(table, me.tenantId, s.id);
  const messages = items.filter(isMessage).sort(bySk);
  expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(messages.filter((m) => m.content === 'Are you there?')).toHaveLength(1);
  expect(items.filter(isRecord).map((r) => [r.sk, r.userSeq])).toEqual([
    ['CMID#c-1', 2],
    ['CMID#c-2', 4],
  ]);
  expect(messages.filter((m) => m.role === 'ASSISTANT').map((m) => m.replyTo ?? null)).toEqual([null, 2, 4]);
  expect((await service.sessions.get(me, s.id))!.messageCount).toBe(5);
});

test('a coach that hangs on every call: 5 messages in a row, each COACH_UNAVAILABLE, all 5 kept; then it recovers', async () => {
  const me = viewer('coach-down', 'u');
  const s = await service.lifecycle.start(me, 'coach2', false);
  coach.replies = Array.from({ length: 5 }, () => 'hang' as Mode);
  for (let i = 0; i < 5; i++) await domainError(() => service.conversation.sendMessage(me, s.id, `Hello ${i}?`, null), 'COACH_UNAVAILABLE');
  const r = await service.conversation.sendMessage(me, s.id, 'Back?', null);
  // Each failed message kept the seq after it for a reply that never came.
  expect([r.message.seq, r.reply.seq]).toEqual([12, 13]);
  const messages = (await partition(table, me.tenantId, s.id)).filter(isMessage).sort(bySk);
  expect(messages.map((m) => [m.seq, m.role])).toEqual([
    [1, 'ASSISTANT'],
    [2, 'USER'],
    [4, 'USER'],
    [6, 'USER'],
    [8, 'USER'],
    [10, 'USER'],
    [12, 'USER'],
    [13, 'ASSISTANT'],
  ]);
  expect((await service.sessions.get(me, s.id))!.messageCount).toBe(8);
});

test('a coach slower than usual but within the timeout is waited for (control)', async () => {
  const me = viewer('coach-slow', 'u');
  const s = await service.lifecycle.start(me, 'coach', false);
  coach.replies = ['slow-then-ok'];
  const r = await service.conversation.sendMessage(me, s.id, 'Take your time.', null);
  expect(r.reply.role).toBe('ASSISTANT');
});

test('a hung or failing opening does not stop a session from starting: the topic opening serves', async () => {
  for (const mode of ['hang', 'throw', 'empty'] as Mode[]) {
    const me = viewer(`coach-open-${mode}`, 'u');
    coach.openings = [mode];
    const s = await service.lifecycle.start(me, 'coach', false);
    expect(s).toMatchObject({ status: 'ACTIVE', messageCount: 1 });
    const first = (await partition(table, me.tenantId, s.id)).filter(isMessage);
    expect(first.map((m) => m.content)).toEqual(['Welcome to coach.']);
  }
});

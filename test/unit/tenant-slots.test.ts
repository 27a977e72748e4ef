import { capabilities } from '../support/capabilities';
import { Coach, CoachTurn } from '../../src/coach/port';
import { CoachBusyError, TenantSlots, tenantBoundCoach, WAITING_PER_SLOT } from '../../src/coach/tenant-slots';
import { withCoachTimeout } from '../../src/coach/timeout';
import { Session } from '../../src/domain/session';
import { topic } from '../coach/fixtures';
import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { FakeClock } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { alice, aliceElsewhere, bob, expectDomainError, FakeCoach, FOCUS } from './fixtures';

/** A model that answers only when the test says so: every call waits on its own latch. */
class SlowCoach implements Coach {
  readonly name = 'slow';
  readonly started: string[] = [];
  private readonly latches: { tenant: string; settle: (outcome: 'ok' | 'fail') => void }[] = [];

  async opening() {
    return 'hello';
  }
  async summarize() {
    return 'summary';
  }
  async title() {
    return 'title';
  }
  reply(turn: CoachTurn): Promise<string> {
    this.started.push(turn.session.tenantId);
    // It ignores turn.signal on purpose: a slot must be freed at the deadline even so.
    return new Promise((resolve, reject) => {
      this.latches.push({ tenant: turn.session.tenantId, settle: (o) => (o === 'ok' ? resolve(`reply for ${turn.session.tenantId}`) : reject(new Error('model failed'))) });
    });
  }
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    yield await this.reply(turn);
    yield ' and more';
  }
  async welcomeBack() {
    return 'welcome';
  }
  async extractResult() {
    return {};
  }
  /** Settles the oldest running call of `tenant`. */
  settle(tenant: string, outcome: 'ok' | 'fail' = 'ok') {
    const i = this.latches.findIndex((l) => l.tenant === tenant);
    this.latches.splice(i, 1)[0].settle(outcome);
  }
  count(tenant: string) {
    return this.started.filter((t) => t === tenant).length;
  }
}

const turnFor = (tenantId: string, signal?: AbortSignal): CoachTurn => ({
  topic,
  session: { id: `ses_${tenantId}`, tenantId } as Session,
  userMessage: { sessionId: `ses_${tenantId}`, seq: 2, role: 'USER', content: 'hi', createdAt: 0 },
  recentMessages: async () => [],
  signal,
});

/** Lets pending promise callbacks (a freed slot handed to a waiter) run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

function bounded(perTenant: number, waitMs = 60_000) {
  const slow = new SlowCoach();
  const slots = new TenantSlots({ perTenant, waitMs });
  return { slow, slots, coach: tenantBoundCoach(slow, slots) };
}

test("tenant A's burst cannot take tenant B's slots", async () => {
  const { slow, slots, coach } = bounded(2);
  const burst = Array.from({ length: 6 }, () => coach.reply(turnFor('tenant-a')));
  await settled();
  expect(slow.count('tenant-a')).toBe(2); // the other 4 wait in line
  const b = [coach.reply(turnFor('tenant-b')), coach.reply(turnFor('tenant-b'))];
  await settled();
  expect(slow.count('tenant-b')).toBe(2); // B starts at once, whatever A has waiting
  slow.settle('tenant-b');
  slow.settle('tenant-b');
  await expect(Promise.all(b)).resolves.toEqual(['reply for tenant-b', 'reply for tenant-b']);
  // A's line moves one call per freed slot, never more than 2 at a time.
  for (let done = 0; done < 6; done++) {
    expect(slots.running('tenant-a')).toBe(Math.min(2, 6 - done));
    slow.settle('tenant-a');
    await settled();
  }
  await expect(Promise.all(burst)).resolves.toHaveLength(6);
  expect(slow.count('tenant-a')).toBe(6);
  expect(slots.running('tenant-a')).toBe(0);
});

test('a slot is freed when the call succeeds, fails or times out', async () => {
  const { slow, slots, coach } = bounded(1);
  const first = coach.reply(turnFor('t'));
  const second = coach.reply(turnFor('t'));
  // The third runs under the service's deadline, and the model ignores the abort.
  const third = withCoachTimeout(200, (signal) => coach.reply(turnFor('t', signal)));
  const fourth = coach.reply(turnFor('t'));
  await settled();
  expect(slow.count('t')).toBe(1);

  slow.settle('t', 'ok');
  await expect(first).resolves.toBe('reply for t');
  await settled();
  expect(slow.count('t')).toBe(2);

  slow.settle('t', 'fail');
  await expect(second).rejects.toThrow('model failed');
  await settled();
  expect(slow.count('t')).toBe(3);

  await expect(third).rejects.toThrow('did not answer within 200 ms'); // its model call never ends...
  await settled();
  expect(slow.count('t')).toBe(4); // ...but its slot went to the next call at the deadline
  slow.settle('t'); // the third's model call, late
  slow.settle('t');
  await expect(fourth).resolves.toBe('reply for t');
  await settled();
  expect(slots.running('t')).toBe(0);
});

test('a call that finds no free slot within the wait is refused; so is one past the line', async () => {
  const { slow, coach } = bounded(1, 30);
  const running = coach.reply(turnFor('t'));
  await expect(coach.reply(turnFor('t'))).rejects.toThrow(CoachBusyError);
  expect(slow.count('t')).toBe(1);

  const noWait = bounded(1, 0);
  const held = noWait.coach.reply(turnFor('t'));
  await expect(noWait.coach.reply(turnFor('t'))).rejects.toThrow('no waiting');

  const line = bounded(2);
  const calls = Array.from({ length: 2 + 2 * WAITING_PER_SLOT }, () => line.coach.reply(turnFor('t')));
  await expect(line.coach.reply(turnFor('t'))).rejects.toThrow('too many are waiting');
  // Clean up: every call that was let in ends.
  for (let i = 0; i < calls.length; i++) {
    line.slow.settle('t');
    await settled();
  }
  await Promise.all(calls);
  slow.settle('t');
  noWait.slow.settle('t');
  await Promise.all([running, held]);
});

test('a waiting call whose deadline fires leaves the line without ever running', async () => {
  const { slow, slots, coach } = bounded(1);
  const running = coach.reply(turnFor('t'));
  await expect(withCoachTimeout(50, (signal) => coach.reply(turnFor('t', signal)))).rejects.toThrow('did not answer within 50 ms');
  slow.settle('t');
  await running;
  await settled();
  expect(slow.count('t')).toBe(1);
  expect(slots.running('t')).toBe(0);
});

test('a streamed reply holds its slot for the whole stream, and frees it when abandoned', async () => {
  const { slow, slots, coach } = bounded(1);
  const stream = coach.replyStream!(turnFor('t'))[Symbol.asyncIterator]();
  const first = stream.next();
  await settled();
  slow.settle('t');
  expect(await first).toEqual({ done: false, value: 'reply for t' });
  expect(slots.running('t')).toBe(1); // mid-stream
  await stream.return!(undefined); // the reader went away
  expect(slots.running('t')).toBe(0);
});

test('openings, welcome backs and extractions count against their tenant too', async () => {
  const { slow, coach } = bounded(1, 20);
  const running = coach.reply(turnFor('t'));
  const session = { id: 'ses_t', tenantId: 't' } as Session;
  await expect(coach.opening(topic, undefined, 't')).rejects.toThrow(CoachBusyError);
  await expect(coach.welcomeBack({ topic, session, idleMs: 1, recentMessages: async () => [] })).rejects.toThrow(CoachBusyError);
  await expect(coach.extractResult({ topic, session, messages: [] })).rejects.toThrow(CoachBusyError);
  await expect(coach.opening(topic, undefined, 'other')).resolves.toBe('hello');
  slow.settle('t');
  await running;
});

test('through the service: a send over its tenant\'s bound is COACH_UNAVAILABLE with the message kept; other tenants go on', async () => {
  // The fake coach, except that the first reply hangs until the test lets it go.
  const fake = new FakeCoach();
  let letGo: () => void = () => undefined;
  let hung = false;
  const slow: Coach = {
    name: 'slow-first',
    opening: (t) => fake.opening(t),
    reply: async (turn) => {
      if (!hung) {
        hung = true;
        await new Promise<void>((resolve) => (letGo = resolve));
      }
      return fake.reply(turn);
    },
    welcomeBack: (turn) => fake.welcomeBack(turn),
    summarize: (request) => fake.summarize(request),
    title: (request) => fake.title(request),
    extractResult: (request) => fake.extractResult(request),
  };
  const repo = new MemorySessionRepository();
  const coach = tenantBoundCoach(slow, new TenantSlots({ perTenant: 1, waitMs: 0 }));
  const svc = capabilities(repo, new TopicCatalog([...BUILTIN_TOPICS, FOCUS]), { coach: coach, clock: new FakeClock() });
  const aliceSession = await svc.lifecycle.start(alice, 'focus', false);
  const bobSession = await svc.lifecycle.start(bob, 'goals', false);
  const elsewhere = await svc.lifecycle.start(aliceElsewhere, 'focus', false);

  const aliceSend = svc.conversation.sendMessage(alice, aliceSession.id, 'This takes the model a while.', null);
  await settled();
  await expectDomainError(svc.conversation.sendMessage(bob, bobSession.id, 'Me too, same tenant.', null), 'COACH_UNAVAILABLE');
  const bobView = await svc.sessions.get(bob, bobSession.id);
  expect(bobView?.messageCount).toBe(2); // the opening and bob's message, kept; no reply
  // Another tenant is not held up by t1's running call.
  await expect(svc.conversation.sendMessage(aliceElsewhere, elsewhere.id, 'Another company.', null)).resolves.toMatchObject({ reply: { role: 'ASSISTANT' } });
  letGo();
  await expect(aliceSend).resolves.toMatchObject({ reply: { role: 'ASSISTANT' } });
});

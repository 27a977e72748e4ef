import { DEFAULT_SESSION_LIMITS } from '../../src/defaults';
import { capabilities } from '../support/capabilities';
import { Topic } from '../../src/domain/topic';
import { Message } from '../../src/domain/session';
import { StaleSessionError } from '../../src/sessions/repository';
import { ListenerGone, TurnListener } from '../../src/conversation/live-replies';
import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { FakeClock } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { StreamCoach } from '../support/stream-coach';
import { alice, expectDomainError, FOCUS } from './fixtures';

const BRIEF: Topic = { ...FOCUS, id: 'brief', settings: { ...FOCUS.settings, maxTurns: 1 } };

/** One "process": a service with its own coach, on a shared store and clock. */
function processOn(repo: MemorySessionRepository, clock: FakeClock, coachTimeoutMs = DEFAULT_SESSION_LIMITS.coachTimeoutMs) {
  const coach = new StreamCoach();
  const svc = capabilities(repo, new TopicCatalog([...BUILTIN_TOPICS, FOCUS, BRIEF]), { coach: coach, clock: clock, limits: { coachTimeoutMs } });
  return { coach, svc };
}

function setup(coachTimeoutMs?: number) {
  const repo = new MemorySessionRepository();
  const clock = new FakeClock();
  return { repo, clock, ...processOn(repo, clock, coachTimeoutMs) };
}

/** Two "processes" on one store, and a session started on the first. */
async function twoProcesses() {
  const { repo, clock, svc: a, coach: coachA } = setup();
  const b = processOn(repo, clock);
  const session = await a.lifecycle.start(alice, 'focus', false);
  return { repo, clock, a, coachA, b, session };
}

type Event = { message: Message } | { delta: string };

/** A listener that records what it is told, in order. */
function recorder(gone: () => boolean = () => false) {
  const events: Event[] = [];
  const listener: TurnListener = { message: (message) => events.push({ message }), delta: (delta) => events.push({ delta }), gone };
  const deltas = () => events.flatMap((e) => ('delta' in e ? [e.delta] : []));
  return { events, listener, deltas, text: () => deltas().join(''), after: (n: number) => until(() => events.length >= n) };
}

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const userMessages = (repo: MemorySessionRepository, sessionId: string) => repo.storedMessages('t1', sessionId).filter((m) => m.role === 'USER');
const replies = (repo: MemorySessionRepository, sessionId: string) => repo.storedMessages('t1', sessionId).filter((m) => m.role === 'ASSISTANT' && m.seq > 1);

test('the stored message first, then the reply in several pieces, then the stored reply they spell', async () => {
  const { svc, repo } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  const rec = recorder();
  const result = await svc.conversation.streamMessage(alice, session.id, 'I lose my mornings to email.', 'c-1', rec.listener);
  expect(rec.events[0]).toEqual({ message: result.message });
  expect(result.message).toMatchObject({ seq: 2, role: 'USER', content: 'I lose my mornings to email.', clientMessageId: 'c-1', authorId: 'alice' });
  expect(rec.deltas().length).toBeGreaterThanOrEqual(2);
  expect(rec.events.slice(1).every((e) => 'delta' in e)).toBe(true);
  expect(rec.text()).toBe(result.reply.content);
  expect(result.reply).toMatchObject({ seq: 3, role: 'ASSISTANT', replyTo: 2, clientMessageId: 'c-1' });
  expect(result.session.messageCount).toBe(3);
  expect(repo.storedMessages('t1', session.id).map((m) => [m.seq, m.role, m.content])).toEqual([
    [1, 'ASSISTANT', expect.any(String)],
    [2, 'USER', 'I lose my mornings to email.'],
    [3, 'ASSISTANT', rec.text()],
  ]);
});

test("sendMessage's rules and codes, with nothing stored and nothing reported", async () => {
  const { svc, repo } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  const cases: [Promise<unknown>, string, Record<string, unknown>?][] = [];
  const rec = recorder();
  cases.push([svc.conversation.streamMessage(alice, session.id, '   ', 'c-1', rec.listener), 'BAD_USER_INPUT', { argumentName: 'content' }]);
  cases.push([svc.conversation.streamMessage(alice, session.id, 'x'.repeat(4001), 'c-1', rec.listener), 'BAD_USER_INPUT', { argumentName: 'content' }]);
  cases.push([svc.conversation.streamMessage(alice, session.id, 'hi', 'bad id!', rec.listener), 'BAD_USER_INPUT', { argumentName: 'clientMessageId' }]);
  cases.push([svc.conversation.streamMessage(alice, 'not-a-session', 'hi', 'c-1', rec.listener), 'BAD_USER_INPUT', { argumentName: 'sessionId' }]);
  cases.push([svc.conversation.streamMessage({ ...alice, userId: 'bob' }, session.id, 'hi', 'c-1', rec.listener), 'NOT_FOUND']);
  for (const [promise, code, details] of cases) await expectDomainError(promise, code as never, details);
  await svc.lifecycle.pause(alice, session.id);
  await expectDomainError(svc.conversation.streamMessage(alice, session.id, 'hi', 'c-2', rec.listener), 'SESSION_NOT_ACTIVE');
  expect(rec.events).toEqual([]);
  expect(userMessages(repo, session.id)).toEqual([]);

  const brief = await svc.lifecycle.start(alice, 'brief', false);
  await svc.conversation.streamMessage(alice, brief.id, 'My one turn.', 'b-1', recorder().listener);
  await expectDomainError(svc.conversation.streamMessage(alice, brief.id, 'One more?', 'b-2', recorder().listener), 'MAX_TURNS_REACHED', { maxTurns: 1 });
  // The same id with other content is another message: refused, nothing stored.
  await expectDomainError(svc.conversation.streamMessage(alice, brief.id, 'Other words', 'b-1', recorder().listener), 'BAD_USER_INPUT', { argumentName: 'clientMessageId' });
  expect(userMessages(repo, brief.id)).toHaveLength(1);
});

test('a coach failure mid-stream is COACH_UNAVAILABLE with the message kept; a retry with the same id produces the reply once', async () => {
  const { svc, repo, coach, clock } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  coach.failAfterFirst = new Error('model fell over');
  const first = recorder();
  await expectDomainError(svc.conversation.streamMessage(alice, session.id, 'Help me plan my week.', 'c-9', first.listener), 'COACH_UNAVAILABLE');
  expect('message' in first.events[0]).toBe(true);
  expect(first.deltas()).toHaveLength(1);
  expect(userMessages(repo, session.id)).toHaveLength(1);
  expect(replies(repo, session.id)).toHaveLength(0);
  expect((await repo.getClientMessage('t1', session.id, 'c-9', clock.now()))?.replyFailed).toBe(true);

  coach.failAfterFirst = null;
  const retry = recorder();
  const result = await svc.conversation.streamMessage(alice, session.id, 'Help me plan my week.', 'c-9', retry.listener);
  expect(retry.events[0]).toEqual({ message: first.events[0] && (first.events[0] as { message: Message }).message });
  expect(retry.text()).toBe(result.reply.content);
  expect(userMessages(repo, session.id)).toHaveLength(1);
  expect(replies(repo, session.id)).toEqual([result.reply]);
});

test('the coach timeout bounds the whole stream: a model that stops writing gives COACH_UNAVAILABLE, and no piece after it', async () => {
  const { svc, repo, coach } = setup(300);
  const session = await svc.lifecycle.start(alice, 'focus', false);
  coach.holdAfterFirst(); // never released
  const rec = recorder();
  const started = Date.now();
  await expectDomainError(svc.conversation.streamMessage(alice, session.id, 'Are you there?', 'c-1', rec.listener), 'COACH_UNAVAILABLE');
  expect(Date.now() - started).toBeLessThan(5000);
  expect(rec.deltas()).toHaveLength(1);
  expect(userMessages(repo, session.id)).toHaveLength(1);
});

test('a retry after the reply is stored replays it (message, its text, reply) and writes nothing', async () => {
  const { svc, repo, coach } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  const first = await svc.conversation.streamMessage(alice, session.id, 'Mornings are hard.', 'c-1', recorder().listener);
  // The title after the first exchange is written in the background: let it land first.
  await svc.background.settled();
  const before = repo.snapshot();
  const rec = recorder();
  const again = await svc.conversation.streamMessage(alice, session.id, 'Mornings are hard.', 'c-1', rec.listener);
  expect(rec.events).toEqual([{ message: first.message }, { delta: first.reply.content }]);
  expect(again.reply).toEqual(first.reply);
  expect(repo.snapshot()).toEqual(before);
  expect(coach.streams).toBe(1);
});

test('a retry while this process still writes the reply follows it: the pieces so far, then the rest, one reply', async () => {
  const { svc, repo, coach } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  const release = coach.holdAfterFirst();
  const first = recorder();
  const firstDone = svc.conversation.streamMessage(alice, session.id, 'I want to focus better.', 'c-1', first.listener);
  await first.after(2); // message + first piece
  const second = recorder();
  const secondDone = svc.conversation.streamMessage(alice, session.id, 'I want to focus better.', 'c-1', second.listener);
  await second.after(2);
  expect(second.events).toEqual(first.events); // the message, and the piece written so far
  release();
  const [a, b] = await Promise.all([firstDone, secondDone]);
  expect(b.reply).toEqual(a.reply);
  expect(second.text()).toBe(a.reply.content);
  expect(first.text()).toBe(a.reply.content);
  expect(coach.streams).toBe(1);
  expect(userMessages(repo, session.id)).toHaveLength(1);
  expect(replies(repo, session.id)).toHaveLength(1);
});

test("a retry on another process waits for the reply the first one is writing, and writes nothing", async () => {
  const { repo, a, coachA, b, session } = await twoProcesses();
  const release = coachA.holdAfterFirst();
  const first = recorder();
  const firstDone = a.conversation.streamMessage(alice, session.id, 'Two tabs, one thought.', 'c-1', first.listener);
  await first.after(2);
  const second = recorder();
  const secondDone = b.svc.conversation.streamMessage(alice, session.id, 'Two tabs, one thought.', 'c-1', second.listener);
  await second.after(1);
  await new Promise((r) => setTimeout(r, 300)); // b polls the store meanwhile
  expect(second.events).toHaveLength(1); // only the message: no piece of a's reply reaches b before it is stored
  release();
  const [ra, rb] = await Promise.all([firstDone, secondDone]);
  expect(rb.reply).toEqual(ra.reply);
  expect(second.deltas()).toEqual([ra.reply.content]);
  expect(b.coach.streams).toBe(0);
  expect(userMessages(repo, session.id)).toHaveLength(1);
  expect(replies(repo, session.id)).toHaveLength(1);
});

test('a retry after the first writer died (no reply within the coach timeout and the margin) produces the reply now, once', async () => {
  const { repo, clock, a, coachA, b, session } = await twoProcesses();
  const release = coachA.holdAfterFirst(); // "dies": never writes its reply in time
  const first = recorder();
  const firstDone = a.conversation.streamMessage(alice, session.id, 'Is anyone there?', 'c-1', first.listener);
  await first.after(2);
  clock.advance(DEFAULT_SESSION_LIMITS.coachTimeoutMs + 5001);
  const second = recorder();
  const result = await b.svc.conversation.streamMessage(alice, session.id, 'Is anyone there?', 'c-1', second.listener);
  expect(b.coach.streams).toBe(1);
  expect(second.deltas().length).toBeGreaterThanOrEqual(2); // streamed live, not replayed
  expect(second.text()).toBe(result.reply.content);
  release(); // the late writer finds the reply taken and returns it
  expect((await firstDone).reply).toEqual(result.reply);
  expect(userMessages(repo, session.id)).toHaveLength(1);
  expect(replies(repo, session.id)).toHaveLength(1);
});

test('a retry waiting for another process stops when its listener leaves; the first writer still stores the reply', async () => {
  const { repo, a, coachA, b, session } = await twoProcesses();
  const release = coachA.holdAfterFirst();
  const firstDone = a.conversation.streamMessage(alice, session.id, 'Dropped tab.', 'c-1', recorder(() => true).listener);
  await until(() => replies(repo, session.id).length === 0 && userMessages(repo, session.id).length === 1);
  let gone = false;
  const second = recorder(() => gone);
  const waiting = b.svc.conversation.streamMessage(alice, session.id, 'Dropped tab.', 'c-1', second.listener);
  await second.after(1);
  gone = true;
  await expect(waiting).rejects.toBeInstanceOf(ListenerGone);
  release();
  await firstDone; // nobody listens to the first stream either: its reply is stored all the same
  expect(replies(repo, session.id)).toHaveLength(1);
  await a.background.settled();
});

test('losing every race to other processes: SESSION_BUSY, as sendMessage, with nothing stored and nothing reported', async () => {
  const { svc, repo } = setup();
  const session = await svc.lifecycle.start(alice, 'focus', false);
  const before = repo.snapshot();
  for (let i = 0; i < 12; i++) repo.failNext('appendMessage', new StaleSessionError(session.id));
  const rec = recorder();
  const e = await expectDomainError(svc.conversation.streamMessage(alice, session.id, 'Busy?', 'busy-1', rec.listener), 'SESSION_BUSY');
  expect(e.details).toMatchObject({ messageStored: false, retryAfterMs: expect.any(Number) });
  expect(rec.events).toEqual([]);
  expect(repo.snapshot()).toEqual(before);
});

import { capabilities } from '../support/capabilities';
// The conversation write path (issue #10) on the in-memory repository: reply threading, the
// coach's view bounded by the message it answers, contention (the per-session queue, lost
// races) ending in SESSION_BUSY and never an internal error, and a reused clientMessageId.
import { SessionQueue } from '../../src/sessions/concurrency';
import { StaleSessionError } from '../../src/sessions/repository';
import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { FakeClock } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { alice, expectDomainError, FakeCoach, FOCUS, setup } from './fixtures';

async function started() {
  const ctx = setup();
  const session = await ctx.svc.lifecycle.start(alice, 'focus', false);
  return { ...ctx, session };
}

describe('threading', () => {
  test('two failed messages retried in the other order: each reply follows and names its own message; the coach saw up to it only', async () => {
    const ctx = await started();
    ctx.coach.failNextReply().failNextReply();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Message A', 'a'), 'COACH_UNAVAILABLE');
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Message B', 'b'), 'COACH_UNAVAILABLE');
    ctx.coach.peekRecent = 20;

    const b = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Message B', 'b');
    expect(b.message.seq).toBe(4);
    expect(b.reply).toMatchObject({ seq: 5, replyTo: 4, clientMessageId: 'b' });
    expect(ctx.coach.recentSeen).toEqual([1, 2, 4]); // A (2) came before B: it is history; nothing after B
    expect(ctx.coach.lastTurn!.userMessage.content).toBe('Message B');

    const a = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Message A', 'a');
    expect(a.message.seq).toBe(2);
    expect(a.reply).toMatchObject({ seq: 3, replyTo: 2, clientMessageId: 'a' });
    // The request for A's retry ends with A: neither B nor B's reply is in it.
    expect(ctx.coach.recentSeen).toEqual([1, 2]);
    expect(ctx.coach.lastTurn!.userMessage.content).toBe('Message A');

    const stored = ctx.repo.storedMessages('t1', ctx.session.id);
    expect(stored.map((m) => [m.seq, m.role, m.replyTo ?? null])).toEqual([
      [1, 'ASSISTANT', null],
      [2, 'USER', null],
      [3, 'ASSISTANT', 2],
      [4, 'USER', null],
      [5, 'ASSISTANT', 4],
    ]);
    expect((await ctx.svc.sessions.get(alice, ctx.session.id))!.messageCount).toBe(5);
  });

  test('a reply that raced another call for the same message is stored once; the loser returns the winner\'s', async () => {
    const ctx = await started();
    const [x, y] = await Promise.all([
      ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Same words', 'dup'),
      ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Same words', 'dup'),
    ]);
    expect(y.reply).toEqual(x.reply);
    expect(ctx.repo.storedMessages('t1', ctx.session.id)).toHaveLength(3);
  });
});

describe('a reused clientMessageId', () => {
  test('with other content is BAD_USER_INPUT and stores nothing, the coach not asked; with the same content it replays', async () => {
    const ctx = await started();
    const first = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'I want to run a marathon', 'k-1');
    // The title after the first exchange is written in the background: let it land first.
    await ctx.svc.background.settled();
    const before = ctx.repo.snapshot();
    const calls = ctx.coach.replyCalls;
    const e = await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Something else', 'k-1'), 'BAD_USER_INPUT', {
      argumentName: 'clientMessageId',
    });
    expect(e.message).toMatch(/already used/);
    await expectDomainError(ctx.svc.conversation.postMessage(alice, ctx.session.id, 'Something else', 'k-1'), 'BAD_USER_INPUT');
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.coach.replyCalls).toBe(calls);
    const again = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'I want to run a marathon', 'k-1');
    expect([again.message, again.reply]).toEqual([first.message, first.reply]);
  });
});

describe('contention', () => {
  function withQueue(maxWaitingPerSession: number) {
    const repo = new MemorySessionRepository();
    const clock = new FakeClock();
    const coach = new FakeCoach();
    const svc = capabilities(repo, new TopicCatalog([...BUILTIN_TOPICS, FOCUS]), { coach: coach, clock: clock, limits: {
      ...{},
      sessionQueue: { maxWaitingPerSession, maxWaitingTotal: 1000 },
    } });
    return { repo, clock, coach, svc };
  }

  test('one process writes a burst of sends to one session in turn; past the queue bound, SESSION_BUSY with nothing stored', async () => {
    const ctx = withQueue(3);
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => ctx.svc.conversation.sendMessage(alice, s.id, `Burst ${i}`, `burst-${i}`)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    // The first runs, three wait; the rest are refused at once.
    expect(ok).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const e of refused) {
      expect(e).toMatchObject({ code: 'SESSION_BUSY', details: { messageStored: false, retryAfterMs: expect.any(Number) } });
      expect(e.details.retryAfterMs).toBeGreaterThanOrEqual(100);
    }
    const stored = ctx.repo.storedMessages('t1', s.id).filter((m) => m.role === 'USER').map((m) => m.content);
    expect(stored).toEqual(['Burst 0', 'Burst 1', 'Burst 2', 'Burst 3']); // in the order they were sent, none refused
    // Taking turns, none of them lost a race.
    expect(ctx.repo.calls.appendMessage).toBe(4);
  });

  test('losing every race to other processes: SESSION_BUSY after the bounded retries, nothing stored', async () => {
    const ctx = await started();
    const before = ctx.repo.snapshot();
    for (let i = 0; i < 12; i++) ctx.repo.failNext('appendMessage', new StaleSessionError(ctx.session.id));
    const e = await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Busy?', 'busy-1'), 'SESSION_BUSY');
    expect(e.details).toMatchObject({ messageStored: false });
    expect(e.message).toMatch(/nothing was stored/);
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.repo.calls.appendMessage).toBe(12);
  });

  test('the message stored but the reply losing every race: SESSION_BUSY saying so; the retry completes the turn, storing the message once', async () => {
    const ctx = await started();
    for (let i = 0; i < 12; i++) ctx.repo.failNext('appendReply', new StaleSessionError(ctx.session.id));
    const e = await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Stored?', 'kept-1'), 'SESSION_BUSY');
    expect(e.details).toMatchObject({ messageStored: true, retryAfterMs: expect.any(Number) });
    expect(e.message).toMatch(/message was saved/);
    expect(ctx.repo.storedMessages('t1', ctx.session.id).map((m) => m.content)).toEqual([FOCUS.openingMessage, 'Stored?']);
    const done = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Stored?', 'kept-1');
    expect(done.message.seq).toBe(2);
    expect(done.reply).toMatchObject({ seq: 3, replyTo: 2 });
    expect(ctx.repo.storedMessages('t1', ctx.session.id).filter((m) => m.role === 'USER')).toHaveLength(1);
    expect((await ctx.svc.sessions.get(alice, ctx.session.id))!.messageCount).toBe(3);
  });

  test('lifecycle writes that keep losing races end in SESSION_BUSY too, never an internal error', async () => {
    const ctx = await started();
    for (let i = 0; i < 12; i++) ctx.repo.failNext('updateSession', new StaleSessionError(ctx.session.id));
    await expectDomainError(ctx.svc.lifecycle.pause(alice, ctx.session.id), 'SESSION_BUSY', { messageStored: false });
  });
});

describe('SessionQueue', () => {
  test('runs calls for one key in order, others in parallel, and forgets idle keys', async () => {
    const q = new SessionQueue({ maxWaitingPerSession: 10, maxWaitingTotal: 100 });
    const log: string[] = [];
    const step = (k: string, i: number, ms: number) => q.run(k, async () => {
      log.push(`${k}${i}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${k}${i}-`);
      return i;
    });
    const out = await Promise.all([step('a', 1, 20), step('a', 2, 1), step('b', 1, 5)]);
    expect(out).toEqual([1, 2, 1]);
    expect(log.indexOf('a1-')).toBeLessThan(log.indexOf('a2+'));
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
    expect(q.depth('a')).toBe(0);
    // A failing call does not block the next.
    await expect(q.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await q.run('a', async () => 'next')).toBe('next');
  });

  test('the total bound refuses across keys', async () => {
    const q = new SessionQueue({ maxWaitingPerSession: 10, maxWaitingTotal: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = [q.run('a', () => gate), q.run('b', () => gate)];
    await expect(q.run('c', async () => 1)).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    release();
    await Promise.all(held);
    expect(await q.run('c', async () => 1)).toBe(1);
  });
});

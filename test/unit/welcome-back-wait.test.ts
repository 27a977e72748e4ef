/**
 * The bounded wait for the welcome back (WELCOME_BACK_WAIT_MS, src/lifecycle/welcome-back.ts):
 * a slow coach never holds a resume; its welcome back is stored later, by this process, at
 * the seq the resume kept, exactly once, never after the session ended or expired.
 * The coach's answers are released by the test (deferred); the clock is a FakeClock.
 */
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { DAY } from '../support/clock';
import { alice, deferred, LINGER, setupRecordingResumes } from './fixtures';

const WELCOME = 'Welcome back! Where were we?';

const setup = (welcomeBackWaitMs = 5) => setupRecordingResumes([...BUILTIN_TOPICS, LINGER], { welcomeBackWaitMs });
type Ctx = ReturnType<typeof setup>;

/** A paused linger session with one exchange (messages 1-3), idle for two days. */
async function idleSession(ctx: Ctx) {
  const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
  await ctx.svc.conversation.sendMessage(alice, s.id, 'I want to take my time.', null);
  const paused = await ctx.svc.lifecycle.pause(alice, s.id);
  ctx.clock.advance(2 * DAY);
  return paused;
}

/** An idle session resumed while the coach's welcome back is still on its way (`slow`, resolved by the test). */
async function resumedWithSlowWelcome(ctx: Ctx) {
  const paused = await idleSession(ctx);
  const slow = deferred<string>();
  ctx.coach.welcomeOutcomes.push(slow.promise);
  await ctx.svc.lifecycle.resume(alice, paused.id);
  return { paused, slow };
}

const stored = (ctx: Ctx, id: string) => ctx.repo.storedMessages('t1', id).map((m) => ({ seq: m.seq, role: m.role, content: m.content }));

describe('a welcome back slower than WELCOME_BACK_WAIT_MS', () => {
  test.each(['resume', 'start'] as const)('%s answers at once; the welcome back is stored later at the kept seq, counted then', async (via) => {
    const ctx = setup();
    const paused = await idleSession(ctx);
    const slow = deferred<string>();
    ctx.coach.welcomeOutcomes.push(slow.promise);

    const resumed = via === 'resume' ? await ctx.svc.lifecycle.resume(alice, paused.id) : await ctx.svc.lifecycle.start(alice, 'linger', false);
    // Resumed without it: ACTIVE, not idle, the count unchanged, the next seq kept.
    expect(resumed).toMatchObject({ status: 'ACTIVE', isIdle: false, messageCount: 3, lastSeq: 4, version: paused.version + 1 });
    expect(ctx.events).toEqual([expect.objectContaining({ sessionId: paused.id, idleMs: 2 * DAY, via })]);
    expect(stored(ctx, paused.id)).toHaveLength(3);

    // The coach answers a minute later: the message takes the kept seq and counts.
    ctx.clock.advance(60_000);
    slow.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(stored(ctx, paused.id)[3]).toEqual({ seq: 4, role: 'ASSISTANT', content: WELCOME });
    const after = (await ctx.svc.sessions.get(alice, paused.id))!;
    expect(after).toMatchObject({ messageCount: 4, lastSeq: 4, version: resumed.version, isIdle: false });
    const page = await ctx.svc.sessions.messages(alice, after, { first: null, after: null, last: 1, before: null });
    expect(page.messages[0]).toMatchObject({ seq: 4, role: 'ASSISTANT', content: WELCOME, createdAt: ctx.clock.now() });
    expect(page.messages[0].replyTo).toBeUndefined();
    expect(ctx.coach.welcomeBackCalls).toBe(1);
  });

  test('the user writes before it arrives: the welcome back reads where the session was resumed, before their message', async () => {
    const ctx = setup();
    const { paused, slow } = await resumedWithSlowWelcome(ctx);
    const sent = await ctx.svc.conversation.sendMessage(alice, paused.id, 'Back again.', null);
    expect(sent.message.seq).toBe(5);
    expect(sent.reply).toMatchObject({ seq: 6, replyTo: 5 });
    // The coach recalls the conversation as the resume found it, whenever it reads it.
    expect((await ctx.coach.lastWelcomeBack!.recentMessages(10)).map((m) => m.seq)).toEqual([1, 2, 3]);
    slow.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(stored(ctx, paused.id).map((m) => [m.seq, m.role])).toEqual([
      [1, 'ASSISTANT'],
      [2, 'USER'],
      [3, 'ASSISTANT'],
      [4, 'ASSISTANT'],
      [5, 'USER'],
      [6, 'ASSISTANT'],
    ]);
    expect(stored(ctx, paused.id)[3].content).toBe(WELCOME);
    expect((await ctx.svc.sessions.get(alice, paused.id))!.messageCount).toBe(6);
  });

  test.each(['complete', 'cancel', 'restart'] as const)('never after the session ended (%s): nothing is stored', async (how) => {
    const ctx = setup();
    const { paused, slow } = await resumedWithSlowWelcome(ctx);
    if (how === 'complete') await ctx.svc.lifecycle.complete(alice, paused.id);
    else if (how === 'cancel') await ctx.svc.lifecycle.cancel(alice, paused.id);
    else await ctx.svc.lifecycle.start(alice, 'linger', true);
    const before = ctx.repo.snapshot();
    slow.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(ctx.repo.snapshot()).toEqual(before);
  });

  test('never after the session expired: nothing is revived', async () => {
    const ctx = setup();
    const { paused, slow } = await resumedWithSlowWelcome(ctx);
    ctx.clock.advance(31 * DAY);
    const before = ctx.repo.snapshot();
    slow.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(await ctx.svc.sessions.get(alice, paused.id)).toBeNull();
  });

  test('a coach that fails after the wait stores nothing; the kept seq stays empty and the conversation goes on', async () => {
    const ctx = setup();
    const { paused, slow } = await resumedWithSlowWelcome(ctx);
    slow.reject(new Error('model is down'));
    await ctx.svc.background.settled();
    expect(stored(ctx, paused.id)).toHaveLength(3);
    const sent = await ctx.svc.conversation.sendMessage(alice, paused.id, 'Hello?', null);
    expect(sent.message.seq).toBe(5);
    expect((await ctx.svc.sessions.get(alice, paused.id))!.messageCount).toBe(5);
  });

  test('two tabs resuming at once: one resume write, one welcome back, one event', async () => {
    const ctx = setup();
    const paused = await idleSession(ctx);
    const answers = [deferred<string>(), deferred<string>(), deferred<string>()];
    for (const a of answers) ctx.coach.welcomeOutcomes.push(a.promise);
    const results = await Promise.all([ctx.svc.lifecycle.resume(alice, paused.id), ctx.svc.lifecycle.start(alice, 'linger', false), ctx.svc.lifecycle.resume(alice, paused.id)]);
    expect(results.every((r) => r.status === 'ACTIVE' && r.messageCount === 3)).toBe(true);
    for (const a of answers) a.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(stored(ctx, paused.id).filter((m) => m.content === WELCOME)).toHaveLength(1);
    expect(ctx.events).toHaveLength(1);
    expect((await ctx.svc.sessions.get(alice, paused.id))!.messageCount).toBe(4);
  });

  test('an idle ACTIVE session: the resume is written (so a second tab sees it resumed), the welcome back follows', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(3 * DAY);
    const slow = deferred<string>();
    ctx.coach.welcomeOutcomes.push(slow.promise);
    const again = await ctx.svc.lifecycle.start(alice, 'linger', false);
    expect(again).toMatchObject({ status: 'ACTIVE', isIdle: false, messageCount: 1, version: s.version + 1 });
    // A second tab right after: not idle, no second coach call.
    await ctx.svc.lifecycle.resume(alice, s.id);
    expect(ctx.coach.welcomeBackCalls).toBe(1);
    slow.resolve(WELCOME);
    await ctx.svc.background.settled();
    expect(stored(ctx, s.id).map((m) => m.content)).toEqual(['Linger opening.', WELCOME]);
  });

  test('WELCOME_BACK_WAIT_MS=0: even a quick coach is delivered after the resume', async () => {
    const ctx = setup(0);
    const paused = await idleSession(ctx);
    ctx.coach.welcomeOutcomes.push(new Promise((r) => setTimeout(() => r(WELCOME), 5)));
    expect(await ctx.svc.lifecycle.resume(alice, paused.id)).toMatchObject({ messageCount: 3 });
    await ctx.svc.background.settled();
    expect(stored(ctx, paused.id).pop()).toEqual({ seq: 4, role: 'ASSISTANT', content: WELCOME });
  });

  test('within the wait nothing changes: one write with the message', async () => {
    const ctx = setup(60_000);
    const paused = await idleSession(ctx);
    ctx.repo.resetCalls();
    expect(await ctx.svc.lifecycle.resume(alice, paused.id)).toMatchObject({ messageCount: 4, lastSeq: 4 });
    expect(ctx.repo.writeCalls()).toBe(1);
    expect(ctx.repo.calls.appendMessage).toBe(1);
  });
});

// The caller's reads (src/sessions/queries.ts).
import { DAY, MINUTE } from '../support/clock';
import { alice, aliceElsewhere, bob, expectDomainError, setup, UNKNOWN_SESSION_ID } from './fixtures';

type Ctx = ReturnType<typeof setup>;

describe('sessionCheck', () => {
  test('no session', async () => {
    const ctx = setup();
    expect(await ctx.svc.sessions.check(alice, 'goals')).toEqual({
      hasSession: false,
      sessionId: null,
      status: null,
      isIdle: false,
      conflict: false,
      conflictUserId: null,
      turnCount: 0,
      maxTurns: null,
      lastActivityAt: null,
      idleSince: null,
      expiresAt: null,
      conflictIdleSince: null,
    });
  });

  test('the caller holds it', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'goals', false);
    expect(await ctx.svc.sessions.check(alice, 'goals')).toEqual({
      hasSession: true,
      sessionId: s.id,
      status: 'ACTIVE',
      isIdle: false,
      conflict: false,
      conflictUserId: null,
      turnCount: 0,
      maxTurns: null,
      lastActivityAt: s.lastActivityAt,
      idleSince: null,
      expiresAt: s.expiresAt,
      conflictIdleSince: null,
    });
  });

  test('the "idle for N days" card: the caller\'s idle session, or the idle holder on a conflict, from the same one read', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    await ctx.svc.conversation.sendMessage(alice, s.id, 'Before the holidays.', null);
    const last = (await ctx.svc.sessions.get(alice, s.id))!;
    ctx.clock.advance(5 * DAY);
    ctx.repo.resetCalls();
    expect(await ctx.svc.sessions.check(alice, 'linger')).toMatchObject({
      hasSession: true,
      isIdle: true,
      turnCount: 1,
      lastActivityAt: last.lastActivityAt,
      idleSince: last.lastActivityAt,
      expiresAt: last.expiresAt,
      conflictIdleSince: null,
    });
    expect(await ctx.svc.sessions.check(bob, 'linger')).toMatchObject({
      conflict: true,
      conflictUserId: 'alice',
      conflictIdleSince: last.lastActivityAt,
      lastActivityAt: null,
      idleSince: null,
      expiresAt: null,
    });
    expect(ctx.repo.calls.findHolder).toBe(2);
    expect(Object.values(ctx.repo.calls).reduce((a, b) => a + b, 0)).toBe(2);
    // The holder back at it: no longer idle, for either of them.
    await ctx.svc.conversation.sendMessage(alice, s.id, 'Back again.', null);
    expect(await ctx.svc.sessions.check(bob, 'linger')).toMatchObject({ conflict: true, conflictIdleSince: null });
    expect(await ctx.svc.sessions.check(alice, 'linger')).toMatchObject({ isIdle: false, idleSince: null, turnCount: 2, lastActivityAt: ctx.clock.now() });
  });

  test('someone else in the tenant holds it', async () => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(alice, 'goals', false);
    expect(await ctx.svc.sessions.check(bob, 'goals')).toEqual({
      hasSession: false,
      sessionId: null,
      status: null,
      isIdle: false,
      conflict: true,
      conflictUserId: 'alice',
      turnCount: 0,
      maxTurns: null,
      lastActivityAt: null,
      idleSince: null,
      expiresAt: null,
      conflictIdleSince: null,
    });
  });

  test('has no side effects and costs one read', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(DAY);
    const before = ctx.repo.snapshot();
    ctx.repo.resetCalls();
    const c = await ctx.svc.sessions.check(alice, 'linger');
    await ctx.svc.sessions.check(bob, 'linger');
    await ctx.svc.sessions.check(alice, 'goals');
    expect(c).toMatchObject({ hasSession: true, status: 'PAUSED', isIdle: true });
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.repo.writeCalls()).toBe(0);
    const reads = Object.values(ctx.repo.calls).reduce((a, b) => a + b, 0);
    expect(reads).toBe(3);
    expect(ctx.repo.calls.findHolder).toBe(3);
  });

  test('an unknown or malformed topic is BAD_USER_INPUT', async () => {
    const ctx = setup();
    await expectDomainError(ctx.svc.sessions.check(alice, 'no_such_topic'), 'BAD_USER_INPUT');
    await expectDomainError(ctx.svc.sessions.check(alice, 'Core Values!'), 'BAD_USER_INPUT');
    expect(ctx.repo.calls.findHolder).toBe(0);
  });
});

describe('session reads', () => {
  test('get returns null for a malformed or unknown id', async () => {
    const ctx = setup();
    expect(await ctx.svc.sessions.get(alice, 'not-an-id')).toBeNull();
    expect(await ctx.svc.sessions.get(alice, UNKNOWN_SESSION_ID)).toBeNull();
    expect(ctx.repo.calls.getSession).toBe(1); // the malformed one never reached the store
  });

  test('getMany keeps the order of the ids and nulls the missing, malformed and foreign ones', async () => {
    const ctx = setup();
    const a = await ctx.svc.lifecycle.start(alice, 'goals', false);
    const b = await ctx.svc.lifecycle.start(alice, 'purpose', false);
    const foreign = await ctx.svc.lifecycle.start(bob, 'vision', false);
    const got = await ctx.svc.sessions.getMany(alice, [b.id, 'junk', a.id, foreign.id, UNKNOWN_SESSION_ID]);
    expect(got.map((s) => s?.id ?? null)).toEqual([b.id, null, a.id, null, null]);
  });
});

describe('mySessions', () => {
  async function threeSessions(ctx: Ctx) {
    const goals = await ctx.svc.lifecycle.start(alice, 'goals', false);
    ctx.clock.advance(MINUTE);
    const purpose = await ctx.svc.lifecycle.start(alice, 'purpose', false);
    ctx.clock.advance(MINUTE);
    const vision = await ctx.svc.lifecycle.start(alice, 'vision', false);
    ctx.clock.advance(MINUTE);
    await ctx.svc.lifecycle.complete(alice, purpose.id);
    ctx.clock.advance(MINUTE);
    await ctx.svc.conversation.sendMessage(alice, goals.id, 'Let us set a goal', null); // goals is now the most recent
    await ctx.svc.lifecycle.start(bob, 'strengths', false); // someone else's
    return { goals, purpose, vision };
  }

  test('most recent activity first, only the caller\'s', async () => {
    const ctx = setup();
    const { goals, purpose, vision } = await threeSessions(ctx);
    const page = await ctx.svc.sessions.mySessions(alice, null, null, null);
    // complete does not count as activity, so purpose stays older than vision
    expect(page.sessions.map((s) => s.id)).toEqual([goals.id, vision.id, purpose.id]);
    expect(page.hasNextPage).toBe(false);
    expect(page.cursors).toHaveLength(3);
  });

  test('status filter', async () => {
    const ctx = setup();
    const { goals, purpose, vision } = await threeSessions(ctx);
    expect((await ctx.svc.sessions.mySessions(alice, ['COMPLETED'], null, null)).sessions.map((s) => s.id)).toEqual([purpose.id]);
    expect((await ctx.svc.sessions.mySessions(alice, ['ACTIVE'], null, null)).sessions.map((s) => s.id)).toEqual([goals.id, vision.id]);
    expect((await ctx.svc.sessions.mySessions(alice, [], null, null)).sessions).toHaveLength(3);
    expect((await ctx.svc.sessions.mySessions(alice, ['PAUSED', 'CANCELLED'], null, null)).sessions).toEqual([]);
  });

  test('pages with opaque cursors and hasNextPage', async () => {
    const ctx = setup();
    const { goals, purpose, vision } = await threeSessions(ctx);
    const p1 = await ctx.svc.sessions.mySessions(alice, null, 2, null);
    expect(p1.sessions.map((s) => s.id)).toEqual([goals.id, vision.id]);
    expect(p1.hasNextPage).toBe(true);
    const p2 = await ctx.svc.sessions.mySessions(alice, null, 2, p1.cursors[1]);
    expect(p2.sessions.map((s) => s.id)).toEqual([purpose.id]);
    expect(p2.hasNextPage).toBe(false);
    const p3 = await ctx.svc.sessions.mySessions(alice, null, 1, p1.cursors[0]);
    expect(p3.sessions.map((s) => s.id)).toEqual([vision.id]);
    expect(p3.hasNextPage).toBe(true);
  });

  test.each([0, -1, 101, 2.5])('first = %p is BAD_USER_INPUT', async (first) => {
    const ctx = setup();
    await expectDomainError(ctx.svc.sessions.mySessions(alice, null, first, null), 'BAD_USER_INPUT');
  });

  test.each(['garbage', 'WyJ4Il0', Buffer.from('[1,"nope"]').toString('base64url')])('a bad cursor %p is BAD_USER_INPUT', async (after) => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(alice, 'goals', false);
    await expectDomainError(ctx.svc.sessions.mySessions(alice, null, 5, after), 'BAD_USER_INPUT');
  });

  test('sessions carry isIdle', async () => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.advance(6 * MINUTE);
    expect((await ctx.svc.sessions.mySessions(alice, null, null, null)).sessions[0]).toMatchObject({ isIdle: true });
  });
});

describe('topicStatuses', () => {
  test('NOT_STARTED (absent), IN_PROGRESS, PAUSED, COMPLETED, and cancelled counts as not started', async () => {
    const ctx = setup();
    expect((await ctx.svc.sessions.topicStatuses(alice)).size).toBe(0);
    await ctx.svc.lifecycle.start(alice, 'core_values', false);
    const p = await ctx.svc.lifecycle.start(alice, 'purpose', false);
    await ctx.svc.lifecycle.pause(alice, p.id);
    const v = await ctx.svc.lifecycle.start(alice, 'vision', false);
    await ctx.svc.lifecycle.complete(alice, v.id);
    const g = await ctx.svc.lifecycle.start(alice, 'goals', false);
    await ctx.svc.lifecycle.cancel(alice, g.id);
    await ctx.svc.lifecycle.start(bob, 'strengths', false);
    ctx.repo.resetCalls();
    const statuses = await ctx.svc.sessions.topicStatuses(alice);
    expect(Object.fromEntries(statuses)).toEqual({ core_values: 'IN_PROGRESS', purpose: 'PAUSED', vision: 'COMPLETED' });
    expect(statuses.get('goals') ?? 'NOT_STARTED').toBe('NOT_STARTED');
    expect(statuses.get('strengths') ?? 'NOT_STARTED').toBe('NOT_STARTED');
    expect(ctx.repo.calls.listUserSessions).toBe(1);
    expect(ctx.repo.writeCalls()).toBe(0);
  });

  test('a live session outranks an earlier completed one for the same topic', async () => {
    const ctx = setup();
    const first = await ctx.svc.lifecycle.start(alice, 'goals', false);
    await ctx.svc.lifecycle.complete(alice, first.id);
    ctx.clock.advance(MINUTE);
    const second = await ctx.svc.lifecycle.start(alice, 'goals', false);
    expect((await ctx.svc.sessions.topicStatuses(alice)).get('goals')).toBe('IN_PROGRESS');
    await ctx.svc.lifecycle.pause(alice, second.id);
    expect((await ctx.svc.sessions.topicStatuses(alice)).get('goals')).toBe('PAUSED');
    await ctx.svc.lifecycle.cancel(alice, second.id);
    expect((await ctx.svc.sessions.topicStatuses(alice)).get('goals')).toBe('COMPLETED');
  });

  test('a completed topic stays COMPLETED with its outcome after the session expired, until it is started again', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'vision', false);
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    ctx.clock.set(done.expiresAt + DAY * 400);
    expect(await ctx.svc.sessions.get(alice, s.id)).toBeNull();
    ctx.repo.resetCalls();
    const progress = (await ctx.svc.sessions.topicProgress(alice)).get('vision');
    expect(progress).toMatchObject({ status: 'COMPLETED', result: { sessionId: s.id, completedAt: done.endedAt } });
    // One query of the sessions and one of the outcomes, whatever the number of topics.
    expect([ctx.repo.calls.listUserSessions, ctx.repo.calls.listOutcomes]).toEqual([1, 1]);
    const again = await ctx.svc.lifecycle.start(alice, 'vision', false);
    expect((await ctx.svc.sessions.topicProgress(alice)).get('vision')).toMatchObject({ status: 'IN_PROGRESS', result: { sessionId: s.id } });
    await ctx.svc.lifecycle.cancel(alice, again.id);
    expect((await ctx.svc.sessions.topicStatuses(alice)).get('vision')).toBe('COMPLETED');
    // Only the owner's: another user of the tenant has no outcome of it.
    expect((await ctx.svc.sessions.topicProgress(bob)).has('vision')).toBe(false);
    expect((await ctx.svc.sessions.myResults(alice, null, null)).outcomes.map((o) => o.topicId)).toEqual(['vision']);
  });

  test('expired sessions no longer count', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.set(s.expiresAt);
    expect((await ctx.svc.sessions.topicStatuses(alice)).has('focus')).toBe(false);
  });

  test('other tenants do not leak into the statuses', async () => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(aliceElsewhere, 'goals', false);
    expect((await ctx.svc.sessions.topicStatuses(alice)).size).toBe(0);
  });
});

import type { SessionCapabilities } from '../../src/compose';
// Status changes (src/lifecycle/lifecycle.ts): start, pause, resume, complete, cancel, with idle, TTL, conflicts and races.
import { Session } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { DomainError, serviceUnavailable } from '../../src/domain/errors';
import { DAY, MINUTE } from '../support/clock';
import {
  alice,
  aliceElsewhere,
  bob,
  expectDomainError,
  expiry,
  FOCUS,
  setup,
  UNKNOWN_SESSION_ID,
} from './fixtures';

type Ctx = ReturnType<typeof setup>;

const DEFAULT_ACTIVE_TTL_S = 30 * 24 * 3600;
const DEFAULT_TERMINAL_TTL_S = 14 * 24 * 3600;
const HOUR_PLUS = 60 * MINUTE + 123;

/** Drives a fresh session of alice's into the given status. */
async function sessionIn(ctx: Ctx, status: Session['status'], topicId = 'core_values') {
  const { svc } = ctx;
  const s = await svc.lifecycle.start(alice, topicId, false);
  switch (status) {
    case 'ACTIVE':
      return s;
    case 'PAUSED':
      return svc.lifecycle.pause(alice, s.id);
    case 'COMPLETED':
      return svc.lifecycle.complete(alice, s.id);
    case 'CANCELLED':
      return svc.lifecycle.cancel(alice, s.id);
    case 'ABANDONED': {
      await svc.lifecycle.start(alice, topicId, true);
      return (await svc.sessions.get(alice, s.id))!;
    }
  }
}

describe('lifecycle', () => {
  test('startSession on a free topic creates an ACTIVE session with the coach opening as message 1', async () => {
    const ctx = setup();
    ctx.coach.openingText = 'Hello from the coach.';
    const now = ctx.clock.now();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    expect(s).toMatchObject({
      tenantId: 't1',
      userId: 'alice',
      topicId: 'core_values',
      status: 'ACTIVE',
      createdAt: now,
      updatedAt: now,
      lastActivityAt: now,
      endedAt: null,
      messageCount: 1,
      isIdle: false,
      idleSince: null,
    });
    expect(s.id).toMatch(/^ses_[0-9A-Z]{26}$/);
    const stored = ctx.repo.storedMessages('t1', s.id);
    expect(stored).toEqual([
      { sessionId: s.id, seq: 1, role: 'ASSISTANT', content: 'Hello from the coach.', createdAt: now },
    ]);
    expect(await ctx.svc.sessions.get(alice, s.id)).toEqual(s);
  });

  test('a failing coach opening falls back to the topic opening message, and the session is still created', async () => {
    const ctx = setup();
    ctx.coach.openingError = new Error('model down');
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    expect(s.status).toBe('ACTIVE');
    expect(ctx.repo.storedMessages('t1', s.id)[0].content).toBe(FOCUS.openingMessage);
  });

  test('a blank coach opening falls back to the topic opening message', async () => {
    const ctx = setup();
    ctx.coach.openingText = '   ';
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    expect(ctx.repo.storedMessages('t1', s.id)[0].content).toBe(FOCUS.openingMessage);
  });

  test.each(['start', 'resume'] as const)('%s on a PAUSED session makes it ACTIVE again (same session, refreshed)', async (op) => {
    const ctx = setup();
    const paused = await sessionIn(ctx, 'PAUSED');
    ctx.clock.advance(2 * DAY + 1500);
    const now = ctx.clock.now();
    const s = op === 'start' ? await ctx.svc.lifecycle.start(alice, 'core_values', false) : await ctx.svc.lifecycle.resume(alice, paused.id);
    expect(s.id).toBe(paused.id);
    expect(s.status).toBe('ACTIVE');
    expect(s.version).toBe(paused.version + 1);
    expect(s.lastActivityAt).toBe(now);
    expect(s.updatedAt).toBe(now);
    expect(s.expiresAt).toBe(expiry(now, DEFAULT_ACTIVE_TTL_S));
    // Idle for two days: the coach's welcome back is stored with the resume, in the same one write.
    expect(s.messageCount).toBe(paused.messageCount + 1);
    expect(ctx.repo.storedMessages('t1', s.id).pop()).toMatchObject({ role: 'ASSISTANT', content: expect.stringContaining('Welcome back') });
    expect(await ctx.svc.sessions.get(alice, s.id)).toEqual(s);
    expect(await ctx.svc.sessions.check(alice, 'core_values')).toMatchObject({ hasSession: true, sessionId: s.id, status: 'ACTIVE' });
  });

  test.each(['start', 'resume'] as const)('%s on an ACTIVE session returns the same session unchanged and writes nothing', async (op) => {
    const ctx = setup();
    const active = await sessionIn(ctx, 'ACTIVE');
    ctx.clock.advance(3 * MINUTE);
    const before = ctx.repo.snapshot();
    const writes = ctx.repo.writeCalls();
    const s = op === 'start' ? await ctx.svc.lifecycle.start(alice, 'core_values', false) : await ctx.svc.lifecycle.resume(alice, active.id);
    expect(s.id).toBe(active.id);
    expect(s.version).toBe(active.version);
    expect(s.lastActivityAt).toBe(active.lastActivityAt);
    expect(s.expiresAt).toBe(active.expiresAt);
    expect(s.status).toBe('ACTIVE');
    expect(ctx.repo.writeCalls()).toBe(writes);
    expect(ctx.repo.snapshot()).toEqual(before);
  });

  test('pause: ACTIVE -> PAUSED, activity and expiry refreshed, the hold follows', async () => {
    const ctx = setup();
    const s = await sessionIn(ctx, 'ACTIVE');
    ctx.clock.advance(MINUTE + 700);
    const now = ctx.clock.now();
    const p = await ctx.svc.lifecycle.pause(alice, s.id);
    expect(p).toMatchObject({ id: s.id, status: 'PAUSED', version: s.version + 1, lastActivityAt: now, updatedAt: now, endedAt: null });
    expect(p.expiresAt).toBe(expiry(now, DEFAULT_ACTIVE_TTL_S));
    expect(await ctx.svc.sessions.check(alice, 'core_values')).toMatchObject({ hasSession: true, sessionId: s.id, status: 'PAUSED' });
    // Still held: another user of the tenant is refused.
    await expectDomainError(ctx.svc.lifecycle.start(bob, 'core_values', false), 'SESSION_CONFLICT', { conflictUserId: 'alice' });
  });

  test('pause on a PAUSED session is refused and changes nothing', async () => {
    const ctx = setup();
    const p = await sessionIn(ctx, 'PAUSED');
    const before = ctx.repo.snapshot();
    await expectDomainError(ctx.svc.lifecycle.pause(alice, p.id), 'SESSION_NOT_ACTIVE');
    expect(ctx.repo.snapshot()).toEqual(before);
  });

  test('sendMessage to a PAUSED session is SESSION_NOT_ACTIVE and writes nothing', async () => {
    const ctx = setup();
    const p = await sessionIn(ctx, 'PAUSED');
    const before = ctx.repo.snapshot();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, p.id, 'hello?', null), 'SESSION_NOT_ACTIVE');
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, p.id, 'hello?', 'cm-1'), 'SESSION_NOT_ACTIVE');
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.coach.replyCalls).toBe(0);
  });

  describe.each([
    ['complete', 'COMPLETED'],
    ['cancel', 'CANCELLED'],
  ] as const)('%s', (op, status) => {
    test.each(['ACTIVE', 'PAUSED'] as const)(`from %s -> ${status}, terminal ttl, topic freed`, async (from) => {
      const ctx = setup();
      const s = await sessionIn(ctx, from);
      ctx.clock.advance(5 * DAY + 250);
      const now = ctx.clock.now();
      const e = await ctx.svc.lifecycle[op](alice, s.id);
      expect(e).toMatchObject({
        id: s.id,
        status,
        endedAt: now,
        updatedAt: now,
        lastActivityAt: s.lastActivityAt,
        version: s.version + 1,
        isIdle: false,
        idleSince: null,
      });
      expect(e.expiresAt).toBe(expiry(now, DEFAULT_TERMINAL_TTL_S));
      expect(await ctx.svc.sessions.get(alice, s.id)).toEqual(e);
      // The topic is free again: no session to check, and anyone may start.
      expect(await ctx.svc.sessions.check(alice, 'core_values')).toMatchObject({ hasSession: false, conflict: false });
      expect(await ctx.svc.sessions.check(bob, 'core_values')).toMatchObject({ hasSession: false, conflict: false });
      const fresh = await ctx.svc.lifecycle.start(bob, 'core_values', false);
      expect(fresh.id).not.toBe(s.id);
      expect(fresh.userId).toBe('bob');
    });
  });

  test('after completing, startSession creates a new session for the same user', async () => {
    const ctx = setup();
    const done = await sessionIn(ctx, 'COMPLETED');
    const next = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    expect(next.id).not.toBe(done.id);
    expect(next.status).toBe('ACTIVE');
    expect((await ctx.svc.sessions.get(alice, done.id))!.status).toBe('COMPLETED');
  });

  test.each(['ACTIVE', 'PAUSED'] as const)('restart on the caller\'s own %s session abandons it and creates a new one', async (from) => {
    const ctx = setup();
    const old = await sessionIn(ctx, from);
    await ctx.svc.conversation.sendMessage(alice, old.id, 'x', null).catch(() => undefined); // PAUSED refuses; ACTIVE grows
    const before = (await ctx.svc.sessions.get(alice, old.id))!;
    ctx.clock.advance(HOUR_PLUS);
    const now = ctx.clock.now();
    const fresh = await ctx.svc.lifecycle.start(alice, 'core_values', true);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh).toMatchObject({ status: 'ACTIVE', messageCount: 1, version: 1, createdAt: now, userId: 'alice' });
    expect(ctx.repo.storedMessages('t1', fresh.id).map((m) => m.seq)).toEqual([1]);
    const abandoned = (await ctx.svc.sessions.get(alice, old.id))!;
    expect(abandoned).toMatchObject({ status: 'ABANDONED', endedAt: now, version: before.version + 1, messageCount: before.messageCount });
    expect(abandoned.expiresAt).toBe(expiry(now, DEFAULT_TERMINAL_TTL_S));
    expect(await ctx.svc.sessions.check(alice, 'core_values')).toMatchObject({ hasSession: true, sessionId: fresh.id, status: 'ACTIVE' });
    // The old session's messages are still readable.
    expect(ctx.repo.storedMessages('t1', old.id).length).toBe(before.messageCount);
  });

  test('restart with no live session simply creates one', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', true);
    expect(s.status).toBe('ACTIVE');
    expect(ctx.repo.calls.replaceSession).toBe(0);
  });

  test('restart by another user of the tenant is SESSION_CONFLICT and changes nothing', async () => {
    const ctx = setup();
    const s = await sessionIn(ctx, 'ACTIVE');
    const before = ctx.repo.snapshot();
    const err = await expectDomainError(ctx.svc.lifecycle.start(bob, 'core_values', true), 'SESSION_CONFLICT', { conflictUserId: 'alice' });
    expect(err.details.conflictUserId).toBe('alice');
    expect(ctx.repo.snapshot()).toEqual(before);
    expect((await ctx.svc.sessions.get(alice, s.id))!.status).toBe('ACTIVE');
  });

  describe.each(['COMPLETED', 'CANCELLED', 'ABANDONED'] as const)('a %s session', (status) => {
    const writes: [string, (svc: SessionCapabilities, id: string) => Promise<unknown>][] = [
      ['pause', (svc, id) => svc.lifecycle.pause(alice, id)],
      ['resume', (svc, id) => svc.lifecycle.resume(alice, id)],
      ['complete', (svc, id) => svc.lifecycle.complete(alice, id)],
      ['cancel', (svc, id) => svc.lifecycle.cancel(alice, id)],
      ['sendMessage', (svc, id) => svc.conversation.sendMessage(alice, id, 'still there?', null)],
      ['sendMessage with clientMessageId', (svc, id) => svc.conversation.sendMessage(alice, id, 'still there?', 'cm-x')],
    ];
    test.each(writes)('refuses %s with SESSION_NOT_LIVE and changes nothing', async (_name, write) => {
      const ctx = setup();
      const s = await sessionIn(ctx, status);
      expect(s.status).toBe(status);
      ctx.clock.advance(MINUTE);
      const before = ctx.repo.snapshot();
      await expectDomainError(write(ctx.svc, s.id), 'SESSION_NOT_LIVE');
      expect(ctx.repo.snapshot()).toEqual(before);
      expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ status, version: s.version });
    });
  });
});


describe('idle is information only', () => {
  test('a session past the inactivity timeout reports isIdle and idleSince = lastActivityAt', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.advance(4 * MINUTE + 59_000);
    expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ isIdle: false, idleSince: null });
    expect((await ctx.svc.sessions.check(alice, 'focus')).isIdle).toBe(false);
    ctx.clock.advance(2 * MINUTE);
    expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ isIdle: true, idleSince: s.lastActivityAt, status: 'ACTIVE' });
    expect(await ctx.svc.sessions.check(alice, 'focus')).toMatchObject({ hasSession: true, isIdle: true, sessionId: s.id });
    // Other users see the conflict, not the idleness.
    expect(await ctx.svc.sessions.check(bob, 'focus')).toMatchObject({ conflict: true, conflictUserId: 'alice', isIdle: false });
  });

  test('the default timeout is 30 minutes', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    ctx.clock.advance(29 * MINUTE);
    expect((await ctx.svc.sessions.get(alice, s.id))!.isIdle).toBe(false);
    ctx.clock.advance(2 * MINUTE);
    expect((await ctx.svc.sessions.get(alice, s.id))!.isIdle).toBe(true);
  });

  test('inactivityTimeoutMinutes 0 makes a session idle as soon as time passes', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'flash', false);
    ctx.clock.advance(500);
    expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ isIdle: true, idleSince: s.lastActivityAt });
  });

  test('a PAUSED session becomes idle too; an ended one never is', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    const p = await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(10 * MINUTE);
    expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ status: 'PAUSED', isIdle: true, idleSince: p.lastActivityAt });
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    ctx.clock.advance(9 * MINUTE);
    expect(done).toMatchObject({ isIdle: false, idleSince: null });
    expect(await ctx.svc.sessions.get(alice, s.id)).toMatchObject({ isIdle: false, idleSince: null });
  });

  test('idle never blocks startSession: it resumes the same idle session (with a welcome back)', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(5 * DAY);
    const again = await ctx.svc.lifecycle.start(alice, 'linger', false);
    expect(again.id).toBe(s.id);
    expect(again.status).toBe('ACTIVE');
    // The welcome back is activity: the session is no longer idle.
    expect(again.isIdle).toBe(false);
    expect(again.version).toBe(s.version + 1);
    expect(again.messageCount).toBe(s.messageCount + 1);
  });

  test('idle never blocks sendMessage, and a message ends the idleness', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(20 * DAY);
    expect((await ctx.svc.sessions.get(alice, s.id))!.isIdle).toBe(true);
    const r = await ctx.svc.conversation.sendMessage(alice, s.id, 'I am back after a long break.', null);
    expect(r.session).toMatchObject({ status: 'ACTIVE', isIdle: false, idleSince: null, lastActivityAt: ctx.clock.now() });
    expect(r.reply.role).toBe('ASSISTANT');
  });

  test('idle never blocks pause, resume (from PAUSED), complete or cancel', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(DAY);
    const p = await ctx.svc.lifecycle.pause(alice, s.id);
    expect(p.status).toBe('PAUSED');
    ctx.clock.advance(DAY);
    expect((await ctx.svc.sessions.get(alice, s.id))!.isIdle).toBe(true);
    const r = await ctx.svc.lifecycle.start(alice, 'linger', false);
    expect(r).toMatchObject({ id: s.id, status: 'ACTIVE', isIdle: false });
    ctx.clock.advance(DAY);
    expect((await ctx.svc.lifecycle.complete(alice, s.id)).status).toBe('COMPLETED');
    const t = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(DAY);
    expect((await ctx.svc.lifecycle.cancel(alice, t.id)).status).toBe('CANCELLED');
  });

  test('idleness never makes the topic free for another user', async () => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(50 * MINUTE);
    await expectDomainError(ctx.svc.lifecycle.start(bob, 'linger', false), 'SESSION_CONFLICT', { conflictUserId: 'alice' });
  });
});

describe('TTL', () => {
  test('a new session expires activeTtlSeconds after its creation, at whole seconds', async () => {
    const ctx = setup();
    ctx.clock.advance(1_789); // not on a second boundary
    const now = ctx.clock.now();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    expect(s.expiresAt).toBe(expiry(now, FOCUS.settings.activeTtlSeconds));
    expect(s.expiresAt % 1000).toBe(0);
    const d = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    expect(d.expiresAt).toBe(expiry(now, DEFAULT_SETTINGS.activeTtlSeconds));
  });

  test('every write of a live session moves expiry forward; ending uses the terminal ttl from endedAt', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.advance(20 * MINUTE + 300);
    const r = await ctx.svc.conversation.sendMessage(alice, s.id, 'hello', null);
    expect(r.session.expiresAt).toBe(expiry(ctx.clock.now(), 3600));
    expect(r.session.expiresAt).toBeGreaterThan(s.expiresAt);
    ctx.clock.advance(40 * MINUTE + 450);
    const p = await ctx.svc.lifecycle.pause(alice, s.id);
    expect(p.expiresAt).toBe(expiry(ctx.clock.now(), 3600));
    ctx.clock.advance(50 * MINUTE + 999);
    const a = await ctx.svc.lifecycle.resume(alice, s.id);
    expect(a.expiresAt).toBe(expiry(ctx.clock.now(), 3600));
    ctx.clock.advance(30 * MINUTE + 1);
    const c = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(c.expiresAt).toBe(expiry(c.endedAt!, 600));
    // The session has been alive for well over its original hour thanks to the writes.
    expect(ctx.clock.now() - s.createdAt).toBeGreaterThan(2 * 3600 * 1000);
  });

  test('a live session past expiresAt is gone: get null, check empty, writes NOT_FOUND, start creates a new one', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.set(s.expiresAt - 1);
    expect(await ctx.svc.sessions.get(alice, s.id)).not.toBeNull();
    expect((await ctx.svc.sessions.check(alice, 'focus')).hasSession).toBe(true);
    ctx.clock.set(s.expiresAt);
    expect(await ctx.svc.sessions.get(alice, s.id)).toBeNull();
    expect(await ctx.svc.sessions.getMany(alice, [s.id])).toEqual([null]);
    expect(await ctx.svc.sessions.check(alice, 'focus')).toEqual({
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
    expect(await ctx.svc.sessions.check(bob, 'focus')).toMatchObject({ conflict: false, conflictUserId: null });
    const before = ctx.repo.snapshot();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, s.id, 'hello?', null), 'NOT_FOUND');
    await expectDomainError(ctx.svc.lifecycle.pause(alice, s.id), 'NOT_FOUND');
    await expectDomainError(ctx.svc.lifecycle.resume(alice, s.id), 'NOT_FOUND');
    await expectDomainError(ctx.svc.lifecycle.complete(alice, s.id), 'NOT_FOUND');
    await expectDomainError(ctx.svc.lifecycle.cancel(alice, s.id), 'NOT_FOUND');
    expect(ctx.repo.snapshot()).toEqual(before); // no write revived it
    expect((await ctx.svc.sessions.mySessions(alice, null, null, null)).sessions).toEqual([]);
    const fresh = await ctx.svc.lifecycle.start(alice, 'focus', false);
    expect(fresh.id).not.toBe(s.id);
    expect(fresh.messageCount).toBe(1);
    expect(await ctx.svc.sessions.get(alice, s.id)).toBeNull();
  });

  test('an expired hold frees the topic for another user of the tenant', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.set(s.expiresAt + 1000);
    const b = await ctx.svc.lifecycle.start(bob, 'focus', false);
    expect(b.userId).toBe('bob');
    await expectDomainError(ctx.svc.lifecycle.start(alice, 'focus', false), 'SESSION_CONFLICT', { conflictUserId: 'bob' });
  });

  test('an ended session disappears terminalTtlSeconds after it ended', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.clock.advance(1234);
    const c = await ctx.svc.lifecycle.cancel(alice, s.id);
    expect(c.expiresAt).toBe(expiry(c.endedAt!, 600));
    ctx.clock.set(c.expiresAt - 1);
    expect((await ctx.svc.sessions.get(alice, s.id))!.status).toBe('CANCELLED');
    ctx.clock.set(c.expiresAt);
    expect(await ctx.svc.sessions.get(alice, s.id)).toBeNull();
    expect((await ctx.svc.sessions.mySessions(alice, null, null, null)).sessions).toEqual([]);
  });

  test('TTLs of one second are honoured', async () => {
    const ctx = setup();
    ctx.clock.advance(400);
    const s = await ctx.svc.lifecycle.start(alice, 'flash', false);
    expect(s.expiresAt).toBe(expiry(ctx.clock.now(), 1));
    ctx.clock.advance(600); // exactly the next whole second
    expect(await ctx.svc.sessions.get(alice, s.id)).toBeNull();
  });
});

describe('conflicts and tenants', () => {
  test('another user of the tenant gets SESSION_CONFLICT naming the holder; nothing changes', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    const before = ctx.repo.snapshot();
    const err = await expectDomainError(ctx.svc.lifecycle.start(bob, 'core_values', false), 'SESSION_CONFLICT');
    expect(err).toBeInstanceOf(DomainError);
    expect(err.details).toEqual({ conflictUserId: 'alice' });
    expect(ctx.repo.snapshot()).toEqual(before);
    expect((await ctx.svc.sessions.get(alice, s.id))!.version).toBe(s.version);
  });

  test('a paused session also holds the topic against other users', async () => {
    const ctx = setup();
    await sessionIn(ctx, 'PAUSED');
    await expectDomainError(ctx.svc.lifecycle.start(bob, 'core_values', false), 'SESSION_CONFLICT', { conflictUserId: 'alice' });
  });

  test('other topics stay free', async () => {
    const ctx = setup();
    await ctx.svc.lifecycle.start(alice, 'core_values', false);
    const b = await ctx.svc.lifecycle.start(bob, 'purpose', false);
    expect(b.topicId).toBe('purpose');
  });

  test('another user of the same tenant cannot read or modify the session by id', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    const before = ctx.repo.snapshot();
    expect(await ctx.svc.sessions.get(bob, s.id)).toBeNull();
    expect(await ctx.svc.sessions.getMany(bob, [s.id])).toEqual([null]);
    await expectDomainError(ctx.svc.lifecycle.pause(bob, s.id), 'NOT_FOUND');
    await expectDomainError(ctx.svc.lifecycle.complete(bob, s.id), 'NOT_FOUND');
    await expectDomainError(ctx.svc.conversation.sendMessage(bob, s.id, 'hi', null), 'NOT_FOUND');
    await expectDomainError(ctx.svc.sessions.messages(bob, s, { first: null, after: null, last: null, before: null }), 'NOT_FOUND');
    expect(ctx.repo.snapshot()).toEqual(before);
  });

  test('another tenant never conflicts, and its users cannot see or touch the session (even with the same user id)', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    expect(await ctx.svc.sessions.check(aliceElsewhere, 'core_values')).toMatchObject({ hasSession: false, conflict: false, conflictUserId: null });
    const before = ctx.repo.snapshot();
    expect(await ctx.svc.sessions.get(aliceElsewhere, s.id)).toBeNull();
    expect(await ctx.svc.sessions.getMany(aliceElsewhere, [s.id])).toEqual([null]);
    for (const write of [
      () => ctx.svc.lifecycle.pause(aliceElsewhere, s.id),
      () => ctx.svc.lifecycle.resume(aliceElsewhere, s.id),
      () => ctx.svc.lifecycle.complete(aliceElsewhere, s.id),
      () => ctx.svc.lifecycle.cancel(aliceElsewhere, s.id),
      () => ctx.svc.conversation.sendMessage(aliceElsewhere, s.id, 'hi', 'cm-1'),
      () => ctx.svc.sessions.messages(aliceElsewhere, s, { first: null, after: null, last: null, before: null }),
    ]) {
      await expectDomainError(write(), 'NOT_FOUND');
    }
    // Same answer as for an id that does not exist anywhere.
    await expectDomainError(ctx.svc.lifecycle.pause(aliceElsewhere, UNKNOWN_SESSION_ID), 'NOT_FOUND');
    expect(ctx.repo.snapshot()).toEqual(before);
    expect((await ctx.svc.sessions.mySessions(aliceElsewhere, null, null, null)).sessions).toEqual([]);
    // Its own session for the same topic is independent.
    const other = await ctx.svc.lifecycle.start(aliceElsewhere, 'core_values', false);
    expect(other.id).not.toBe(s.id);
    expect(other.tenantId).toBe('t2');
    expect((await ctx.svc.sessions.check(alice, 'core_values')).sessionId).toBe(s.id);
  });
});

describe('startSession input', () => {
  test.each(['no_such_topic', 'CORE_VALUES', '', 'x'.repeat(65), '../core_values'])('unknown topic %p is BAD_USER_INPUT and writes nothing', async (topicId) => {
    const ctx = setup();
    await expectDomainError(ctx.svc.lifecycle.start(alice, topicId, false), 'BAD_USER_INPUT');
    expect(ctx.repo.writeCalls()).toBe(0);
    expect(ctx.repo.snapshot().sessions).toEqual({});
  });

  test('a store outage is reported as the store error, not swallowed', async () => {
    const ctx = setup();
    ctx.repo.failNext('createSession', serviceUnavailable());
    await expectDomainError(ctx.svc.lifecycle.start(alice, 'goals', false), 'SERVICE_UNAVAILABLE');
    expect(ctx.repo.snapshot().sessions).toEqual({});
    expect((await ctx.svc.lifecycle.start(alice, 'goals', false)).status).toBe('ACTIVE');
  });
});

describe('concurrency', () => {
  test('many users starting one free topic at once: exactly one session, the rest SESSION_CONFLICT', async () => {
    const ctx = setup();
    const users = Array.from({ length: 12 }, (_, i) => ({ tenantId: 't1', userId: `user${i}`, roles: [] }));
    const results = await Promise.allSettled(users.map((u) => ctx.svc.lifecycle.start(u, 'vision', false)));
    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<SessionCapabilities['lifecycle']['start']>>> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(users.length - 1);
    const winner = won[0].value.userId;
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(DomainError);
      expect((l.reason as DomainError).code).toBe('SESSION_CONFLICT');
      expect((l.reason as DomainError).details.conflictUserId).toBe(winner);
    }
    expect(Object.keys(ctx.repo.snapshot().sessions)).toHaveLength(1);
  });

  test('one user starting a topic many times at once gets one session every time', async () => {
    const ctx = setup();
    const results = await Promise.all(Array.from({ length: 8 }, () => ctx.svc.lifecycle.start(alice, 'vision', false)));
    expect(new Set(results.map((s) => s.id)).size).toBe(1);
    expect(Object.keys(ctx.repo.snapshot().sessions)).toHaveLength(1);
    expect(results.every((s) => s.status === 'ACTIVE')).toBe(true);
  });

  test('one user resuming a paused session from many tabs at once: one session, ACTIVE, resumed once', async () => {
    const ctx = setup();
    const p = await sessionIn(ctx, 'PAUSED', 'vision');
    const results = await Promise.all(Array.from({ length: 6 }, () => ctx.svc.lifecycle.start(alice, 'vision', false)));
    expect(new Set(results.map((s) => s.id))).toEqual(new Set([p.id]));
    const stored = (await ctx.svc.sessions.get(alice, p.id))!;
    expect(stored).toMatchObject({ status: 'ACTIVE', version: p.version + 1 });
  });

  test('one user restarting from several tabs at once: every call gets the one new session, still ACTIVE', async () => {
    // A double-clicked "restart" must not hand a caller a session that a sibling call has already abandoned.
    const ctx = setup();
    const old = await ctx.svc.lifecycle.start(alice, 'goals', false);
    const results = await Promise.all(Array.from({ length: 3 }, () => ctx.svc.lifecycle.start(alice, 'goals', true)));
    const live = (await ctx.svc.sessions.check(alice, 'goals')).sessionId;
    expect(live).not.toBe(old.id);
    for (const r of results) {
      expect(r.id).toBe(live);
      expect((await ctx.svc.sessions.get(alice, r.id))!.status).toBe('ACTIVE');
    }
    const stored = Object.values(ctx.repo.snapshot().sessions).map((s) => s.status).sort();
    expect(stored).toEqual(['ABANDONED', 'ACTIVE']);
  });

  test('a pause that loses a race to a complete re-reads and reports SESSION_NOT_LIVE', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'goals', false);
    ctx.repo.beforeNext('updateSession', () => ctx.svc.lifecycle.complete(alice, s.id));
    await expectDomainError(ctx.svc.lifecycle.pause(alice, s.id), 'SESSION_NOT_LIVE');
    expect((await ctx.svc.sessions.get(alice, s.id))!.status).toBe('COMPLETED');
    expect(await ctx.svc.sessions.check(alice, 'goals')).toMatchObject({ hasSession: false });
  });

  test('a pause that loses a race to a message retries on the fresh version', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'goals', false);
    ctx.repo.beforeNext('updateSession', () => ctx.svc.conversation.sendMessage(alice, s.id, 'one more thing', null));
    const p = await ctx.svc.lifecycle.pause(alice, s.id);
    // The message is one versioned write (its reply is counted without a version), then the pause.
    expect(p).toMatchObject({ status: 'PAUSED', messageCount: 3, version: s.version + 2 });
  });
});

import { AdminService } from '../../src/sessions/admin-service';
import { Viewer } from '../../src/domain/viewer';
import { DAY, MINUTE } from '../support/clock';
import { alice, bob, expectDomainError, FOCUS, LINGER, setup, UNKNOWN_SESSION_ID } from './fixtures';

const admin: Viewer = { tenantId: 't1', userId: 'ada', roles: ['admin'] };
const otherAdmin: Viewer = { tenantId: 't2', userId: 'oz', roles: ['admin'] };

function adminSetup() {
  const base = setup();
  const admins = new AdminService(base.repo, base.catalog, base.clock, (s, now) => base.svc.view(s, now));
  return { ...base, admins };
}

// Who may call what (FORBIDDEN for non-admins) is decided in the GraphQL layer: test/unit/graphql-auth.test.ts.
describe('tenant isolation', () => {
  test("an admin of another tenant finds nothing of this tenant's", async () => {
    const { admins, svc, repo, clock } = adminSetup();
    const s = await svc.start(alice, LINGER.id, false);
    clock.advance(DAY);
    const before = repo.snapshot();
    await expectDomainError(admins.transfer(otherAdmin, s.id, 'oz'), 'NOT_FOUND');
    expect((await admins.idleSessions(otherAdmin, 0, null, null)).sessions).toEqual([]);
    expect((await admins.tenantSessions(otherAdmin, LINGER.id, null, null, null)).sessions).toEqual([]);
    expect(await admins.eraseUserData(otherAdmin, 'alice')).toEqual({ sessionsDeleted: 0, itemsDeleted: 0 });
    expect(repo.snapshot()).toEqual(before);
  });
});

describe('transferSession', () => {
  test('moves a live session and its hold; the previous owner loses it, audit fields are set', async () => {
    const { admins, svc, clock } = adminSetup();
    const s = await svc.start(alice, LINGER.id, false);
    clock.advance(2 * DAY);
    const moved = await admins.transfer(admin, s.id, 'bob');
    expect(moved).toMatchObject({ id: s.id, userId: 'bob', status: 'ACTIVE', transfer: { at: clock.now(), by: 'ada', from: 'alice' } });
    expect(moved.lastActivityAt).toBe(clock.now());
    expect(await svc.get(alice, s.id)).toBeNull();
    await expectDomainError(svc.pause(alice, s.id), 'NOT_FOUND');
    expect(await svc.check(bob, LINGER.id)).toMatchObject({ hasSession: true, sessionId: s.id });
    expect(await svc.check(alice, LINGER.id)).toMatchObject({ conflict: true, conflictUserId: 'bob' });
    expect((await svc.mySessions(bob, null, null, null)).sessions.map((x) => x.id)).toEqual([s.id]);
    // The new owner keeps going; the audit stays on the session.
    const paused = await svc.pause(bob, s.id);
    expect(paused.transfer).toEqual({ at: moved.transfer!.at, by: 'ada', from: 'alice' });
  });

  test('a paused session stays paused; transferring to the owner is a no-op', async () => {
    const { admins, svc, repo } = adminSetup();
    const s = await svc.start(alice, LINGER.id, false);
    await svc.pause(alice, s.id);
    repo.resetCalls();
    const same = await admins.transfer(admin, s.id, 'alice');
    expect(same.userId).toBe('alice');
    expect(repo.writeCalls()).toBe(0);
    expect((await admins.transfer(admin, s.id, 'bob')).status).toBe('PAUSED');
  });

  test('terminal -> SESSION_NOT_LIVE; bad input -> BAD_USER_INPUT; unknown -> NOT_FOUND', async () => {
    const { admins, svc } = adminSetup();
    const s = await svc.start(alice, FOCUS.id, false);
    await expectDomainError(admins.transfer(admin, s.id, ''), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfer(admin, s.id, '   '), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfer(admin, s.id, 'x'.repeat(257)), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfer(admin, s.id, 'bo\u0000b'), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfer(admin, 'nope', 'bob'), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfer(admin, UNKNOWN_SESSION_ID, 'bob'), 'NOT_FOUND');
    await svc.complete(alice, s.id);
    await expectDomainError(admins.transfer(admin, s.id, 'bob'), 'SESSION_NOT_LIVE');
  });

  test('a lost race with the owner is retried over the fresh version', async () => {
    const { admins, svc, repo } = adminSetup();
    const s = await svc.start(alice, LINGER.id, false);
    repo.beforeNext('updateSession', () => svc.pause(alice, s.id));
    const moved = await admins.transfer(admin, s.id, 'bob');
    expect(moved).toMatchObject({ userId: 'bob', status: 'PAUSED' });
  });
});

describe('idleSessions and tenantSessions', () => {
  test('live sessions idle past the threshold, oldest first, paged with cursors', async () => {
    const { admins, svc, clock } = adminSetup();
    const users = ['u1', 'u2', 'u3'];
    const topics = ['core_values', 'purpose', 'vision'];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await svc.start({ tenantId: 't1', userId: users[i], roles: [] }, topics[i], false)).id);
      clock.advance(DAY);
    }
    const ended = await svc.start({ tenantId: 't1', userId: 'u4', roles: [] }, 'strengths', false);
    await svc.complete({ tenantId: 't1', userId: 'u4', roles: [] }, ended.id);
    const first = await admins.idleSessions(admin, 60, 2, null);
    expect(first.sessions.map((s) => s.id)).toEqual([ids[0], ids[1]]);
    expect(first.sessions.every((s) => s.isIdle && s.idleSince !== null)).toBe(true);
    expect(first.hasNextPage).toBe(true);
    const second = await admins.idleSessions(admin, 60, 2, first.cursors[1]);
    expect(second.sessions.map((s) => s.id)).toEqual([ids[2]]);
    expect(second.hasNextPage).toBe(false);
    // Only sessions idle for more than 1.5 days.
    expect((await admins.idleSessions(admin, 36 * 60, null, null)).sessions.map((s) => s.id)).toEqual([ids[0], ids[1]]);
    await expectDomainError(admins.idleSessions(admin, -1, null, null), 'BAD_USER_INPUT');
    await expectDomainError(admins.idleSessions(admin, 10, 0, null), 'BAD_USER_INPUT');
  });

  test('tenantSessions: who holds a topic, all topics when omitted, status filter, most recent first', async () => {
    const { admins, svc, clock } = adminSetup();
    const a = await svc.start(alice, 'purpose', false);
    await svc.complete(alice, a.id);
    clock.advance(MINUTE);
    const b = await svc.start(bob, 'purpose', false);
    clock.advance(MINUTE);
    const c = await svc.start(alice, 'vision', false);
    expect((await admins.tenantSessions(admin, 'purpose', null, null, null)).sessions.map((s) => s.id)).toEqual([b.id, a.id]);
    expect((await admins.tenantSessions(admin, 'purpose', ['ACTIVE', 'PAUSED'], null, null)).sessions.map((s) => [s.id, s.userId])).toEqual([
      [b.id, 'bob'],
    ]);
    const all = await admins.tenantSessions(admin, null, null, 2, null);
    expect(all.sessions.map((s) => s.id)).toEqual([c.id, b.id]);
    const rest = await admins.tenantSessions(admin, null, null, 2, all.cursors[1]);
    expect(rest.sessions.map((s) => s.id)).toEqual([a.id]);
    await expectDomainError(admins.tenantSessions(admin, 'Bad Topic!', null, null, null), 'BAD_USER_INPUT');
  });
});

describe('erasure', () => {
  test("eraseMyData deletes the caller's sessions, messages and holds; others keep theirs", async () => {
    const { admins, svc, repo } = adminSetup();
    const live = await svc.start(alice, 'purpose', false);
    await svc.sendMessage(alice, live.id, 'hello', 'c-1');
    const done = await svc.start(alice, 'vision', false);
    await svc.complete(alice, done.id);
    const bobs = await svc.start(bob, 'goals', false);
    const result = await admins.eraseMyData(alice);
    expect(result.sessionsDeleted).toBe(2);
    expect(result.itemsDeleted).toBeGreaterThanOrEqual(2 + 1 + 4);
    const left = repo.snapshot();
    expect(Object.values(left.sessions).map((s) => s.id)).toEqual([bobs.id]);
    expect(Object.values(left.holds).map((s) => s.id)).toEqual([bobs.id]);
    expect(await svc.check(alice, 'purpose')).toMatchObject({ hasSession: false, conflict: false });
    expect((await svc.start(alice, 'purpose', false)).id).not.toBe(live.id);
  });

  test('eraseUserData: same tenant only, validated', async () => {
    const { admins, svc } = adminSetup();
    await svc.start(bob, 'goals', false);
    await expectDomainError(admins.eraseUserData(admin, ''), 'BAD_USER_INPUT');
    expect(await admins.eraseUserData(otherAdmin, 'bob')).toEqual({ sessionsDeleted: 0, itemsDeleted: 0 });
    expect((await admins.eraseUserData(admin, 'bob')).sessionsDeleted).toBe(1);
    expect((await svc.mySessions(bob, null, null, null)).sessions).toEqual([]);
  });
});

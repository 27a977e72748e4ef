import { capabilities } from '../support/capabilities';
import { Viewer } from '../../src/domain/viewer';
import { DAY, MINUTE } from '../support/clock';
import { alice, bob, expectDomainError, FOCUS, LINGER, setup, UNKNOWN_SESSION_ID } from './fixtures';

const admin: Viewer = { tenantId: 't1', userId: 'ada', roles: ['admin'] };
const otherAdmin: Viewer = { tenantId: 't2', userId: 'oz', roles: ['admin'] };

function adminSetup() {
  const base = setup();
  const admins = capabilities(base.repo, base.catalog, { clock: base.clock });
  return { ...base, admins };
}

// Who may call what (FORBIDDEN for non-admins) is decided in the GraphQL layer: test/unit/graphql-auth.test.ts.
describe('tenant isolation', () => {
  test("an admin of another tenant finds nothing of this tenant's", async () => {
    const { admins, svc, repo, clock } = adminSetup();
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    clock.advance(DAY);
    const before = repo.snapshot();
    await expectDomainError(admins.transfers.transfer(otherAdmin, s.id, 'bob'), 'NOT_FOUND');
    await expectDomainError(admins.transfers.sessionTransfers(otherAdmin, s.id, null, null), 'NOT_FOUND');
    expect((await admins.listings.idleSessions(otherAdmin, 0, null, null)).sessions).toEqual([]);
    expect((await admins.listings.tenantSessions(otherAdmin, LINGER.id, null, null, null)).sessions).toEqual([]);
    expect(await admins.userData.eraseUserData(otherAdmin, 'alice')).toEqual({ sessionsDeleted: 0, itemsDeleted: 0, itemsRedacted: 0 });
    // Only the other tenant's audit of its (empty) erasure was written.
    const after = repo.snapshot();
    expect(after.audits.map((a) => a.tenantId)).toEqual(['t2']);
    expect({ ...after, audits: [] }).toEqual({ ...before, audits: [] });
  });
});

describe('transferSession', () => {
  test('moves a live session and its hold; the previous owner loses it, audit fields are set', async () => {
    const { admins, svc, clock } = adminSetup();
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    clock.advance(2 * DAY);
    await svc.lifecycle.start(bob, FOCUS.id, false); // bob is a user of the tenant
    const moved = await admins.transfers.transfer(admin, s.id, 'bob');
    expect(moved).toMatchObject({ id: s.id, userId: 'bob', status: 'ACTIVE', transfer: { at: clock.now(), by: 'ada', from: 'alice' } });
    expect(moved.lastActivityAt).toBe(clock.now());
    expect(await svc.sessions.get(alice, s.id)).toBeNull();
    await expectDomainError(svc.lifecycle.pause(alice, s.id), 'NOT_FOUND');
    expect(await svc.sessions.check(bob, LINGER.id)).toMatchObject({ hasSession: true, sessionId: s.id });
    expect(await svc.sessions.check(alice, LINGER.id)).toMatchObject({ conflict: true, conflictUserId: 'bob' });
    expect((await svc.sessions.mySessions(bob, null, null, null)).sessions.map((x) => x.id)).toContain(s.id);
    // The new owner keeps going; the audit stays on the session.
    const paused = await svc.lifecycle.pause(bob, s.id);
    expect(paused.transfer).toEqual({ at: moved.transfer!.at, by: 'ada', from: 'alice' });
  });

  test('a paused session stays paused; transferring to the owner is a no-op', async () => {
    const { admins, svc, repo } = adminSetup();
    await svc.lifecycle.start(bob, FOCUS.id, false);
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    await svc.lifecycle.pause(alice, s.id);
    repo.resetCalls();
    const same = await admins.transfers.transfer(admin, s.id, 'alice');
    expect(same.userId).toBe('alice');
    expect(repo.writeCalls()).toBe(0);
    expect((await admins.transfers.transfer(admin, s.id, 'bob')).status).toBe('PAUSED');
  });

  test('terminal -> SESSION_NOT_LIVE; bad input -> BAD_USER_INPUT; unknown -> NOT_FOUND', async () => {
    const { admins, svc } = adminSetup();
    const s = await svc.lifecycle.start(alice, FOCUS.id, false);
    await expectDomainError(admins.transfers.transfer(admin, s.id, ''), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.transfer(admin, s.id, '   '), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'x'.repeat(257)), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'bo\u0000b'), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.transfer(admin, 'nope', 'bob'), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.transfer(admin, UNKNOWN_SESSION_ID, 'bob'), 'NOT_FOUND');
    await svc.lifecycle.complete(alice, s.id);
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'bob'), 'SESSION_NOT_LIVE');
  });

  test('a lost race with the owner is retried over the fresh version', async () => {
    const { admins, svc, repo } = adminSetup();
    await svc.lifecycle.start(bob, FOCUS.id, false);
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    repo.beforeNext('transferSession', () => svc.lifecycle.pause(alice, s.id));
    const moved = await admins.transfers.transfer(admin, s.id, 'bob');
    expect(moved).toMatchObject({ userId: 'bob', status: 'PAUSED' });
    // The lost attempt left no history entry: one hop, at the version the winning write made.
    const history = await admins.transfers.sessionTransfers(admin, s.id, null, null);
    expect(history.transfers).toEqual([
      { sessionId: s.id, seq: moved.version, at: moved.transfer!.at, from: 'alice', to: 'bob', by: 'ada', topicId: s.topicId, withContent: false },
    ]);
  });

  test('never to the acting admin, and only to a user the tenant knows; refusals change nothing', async () => {
    const { admins, svc, repo, clock } = adminSetup();
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    await svc.lifecycle.start({ tenantId: 't2', userId: 'carol', roles: [] }, FOCUS.id, false);
    const before = repo.snapshot();
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'ada'), 'FORBIDDEN');
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'made-up-user'), 'BAD_USER_INPUT', { argumentName: 'toUserId' });
    // A user of another tenant is not known here either.
    await expectDomainError(admins.transfers.transfer(admin, s.id, 'carol'), 'BAD_USER_INPUT');
    expect(repo.snapshot()).toEqual(before);
    // Someone who had a session (now ended, until its TTL) is known; so is someone with a kept outcome.
    const dave = { tenantId: 't1', userId: 'dave', roles: [] };
    const daves = await svc.lifecycle.start(dave, FOCUS.id, false);
    await svc.lifecycle.cancel(dave, daves.id);
    expect((await admins.transfers.transfer(admin, s.id, 'dave')).userId).toBe('dave');
    const erin = { tenantId: 't1', userId: 'erin', roles: [] };
    const erins = await svc.lifecycle.start(erin, 'purpose', false);
    await svc.lifecycle.complete(erin, erins.id);
    clock.advance(400 * DAY); // the completed session expired; the outcome is kept
    const t = await svc.lifecycle.start(alice, 'vision', false);
    expect((await admins.transfers.transfer(admin, t.id, 'erin')).userId).toBe('erin');
  });

  test('an append-only history of every hop (from, to, by, at), paged, readable after the session ended', async () => {
    const { admins, svc, clock } = adminSetup();
    await svc.lifecycle.start(bob, FOCUS.id, false);
    const s = await svc.lifecycle.start(alice, LINGER.id, false);
    await admins.transfers.transfer(admin, s.id, 'bob');
    clock.advance(MINUTE);
    const back = await admins.transfers.transfer({ ...admin, userId: 'ann' }, s.id, 'alice');
    // The session's audit keeps only the last hop; the history keeps them all.
    expect(back.transfer).toMatchObject({ by: 'ann', from: 'bob' });
    const first = await admins.transfers.sessionTransfers(admin, s.id, 1, null);
    expect(first.transfers.map((t) => [t.from, t.to, t.by])).toEqual([['alice', 'bob', 'ada']]);
    expect(first.hasNextPage).toBe(true);
    const rest = await admins.transfers.sessionTransfers(admin, s.id, 1, first.transfers[0].seq);
    expect(rest.transfers.map((t) => [t.from, t.to, t.by, t.at])).toEqual([['bob', 'alice', 'ann', clock.now()]]);
    expect(rest.hasNextPage).toBe(false);
    await svc.lifecycle.cancel(alice, s.id);
    expect((await admins.transfers.sessionTransfers(admin, s.id, null, null)).transfers).toHaveLength(2);
    await expectDomainError(admins.transfers.sessionTransfers(admin, 'nope', null, null), 'BAD_USER_INPUT');
    await expectDomainError(admins.transfers.sessionTransfers(admin, UNKNOWN_SESSION_ID, null, null), 'NOT_FOUND');
  });

  test("what an admin sees of a session is metadata: never its result, which quotes the user", async () => {
    const { admins, svc } = adminSetup();
    await svc.lifecycle.start(bob, FOCUS.id, false);
    const done = await svc.lifecycle.start(alice, 'purpose', false);
    await svc.conversation.sendMessage(alice, done.id, 'I value honesty', null);
    const completed = await svc.lifecycle.complete(alice, done.id);
    expect(completed.result ?? completed.resultError).toBeTruthy(); // the owner sees it
    const listed = await admins.listings.tenantSessions(admin, 'purpose', null, null, null);
    expect(listed.sessions.map((s) => [s.id, s.result, s.resultError])).toEqual([[done.id, null, null]]);
    const live = await svc.lifecycle.start(alice, LINGER.id, false);
    const moved = await admins.transfers.transfer(admin, live.id, 'bob');
    expect(moved.result).toBeNull();
  });
});

describe('idleSessions and tenantSessions', () => {
  test('live sessions idle past the threshold, oldest first, paged with cursors', async () => {
    const { admins, svc, clock } = adminSetup();
    const users = ['u1', 'u2', 'u3'];
    const topics = ['core_values', 'purpose', 'vision'];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await svc.lifecycle.start({ tenantId: 't1', userId: users[i], roles: [] }, topics[i], false)).id);
      clock.advance(DAY);
    }
    const ended = await svc.lifecycle.start({ tenantId: 't1', userId: 'u4', roles: [] }, 'strengths', false);
    await svc.lifecycle.complete({ tenantId: 't1', userId: 'u4', roles: [] }, ended.id);
    const first = await admins.listings.idleSessions(admin, 60, 2, null);
    expect(first.sessions.map((s) => s.id)).toEqual([ids[0], ids[1]]);
    expect(first.sessions.every((s) => s.isIdle && s.idleSince !== null)).toBe(true);
    expect(first.hasNextPage).toBe(true);
    const second = await admins.listings.idleSessions(admin, 60, 2, first.cursors[1]);
    expect(second.sessions.map((s) => s.id)).toEqual([ids[2]]);
    expect(second.hasNextPage).toBe(false);
    // Only sessions idle for more than 1.5 days.
    expect((await admins.listings.idleSessions(admin, 36 * 60, null, null)).sessions.map((s) => s.id)).toEqual([ids[0], ids[1]]);
    await expectDomainError(admins.listings.idleSessions(admin, -1, null, null), 'BAD_USER_INPUT');
    await expectDomainError(admins.listings.idleSessions(admin, 10, 0, null), 'BAD_USER_INPUT');
  });

  test('tenantSessions: who holds a topic, all topics when omitted, status filter, most recent first', async () => {
    const { admins, svc, clock } = adminSetup();
    const a = await svc.lifecycle.start(alice, 'purpose', false);
    await svc.lifecycle.complete(alice, a.id);
    clock.advance(MINUTE);
    const b = await svc.lifecycle.start(bob, 'purpose', false);
    clock.advance(MINUTE);
    const c = await svc.lifecycle.start(alice, 'vision', false);
    expect((await admins.listings.tenantSessions(admin, 'purpose', null, null, null)).sessions.map((s) => s.id)).toEqual([b.id, a.id]);
    expect((await admins.listings.tenantSessions(admin, 'purpose', ['ACTIVE', 'PAUSED'], null, null)).sessions.map((s) => [s.id, s.userId])).toEqual([
      [b.id, 'bob'],
    ]);
    const all = await admins.listings.tenantSessions(admin, null, null, 2, null);
    expect(all.sessions.map((s) => s.id)).toEqual([c.id, b.id]);
    const rest = await admins.listings.tenantSessions(admin, null, null, 2, all.cursors[1]);
    expect(rest.sessions.map((s) => s.id)).toEqual([a.id]);
    await expectDomainError(admins.listings.tenantSessions(admin, 'Bad Topic!', null, null, null), 'BAD_USER_INPUT');
  });
});

describe('erasure', () => {
  test("eraseMyData deletes the caller's sessions, messages and holds; others keep theirs", async () => {
    const { admins, svc, repo } = adminSetup();
    const live = await svc.lifecycle.start(alice, 'purpose', false);
    await svc.conversation.sendMessage(alice, live.id, 'hello', 'c-1');
    const done = await svc.lifecycle.start(alice, 'vision', false);
    await svc.lifecycle.complete(alice, done.id);
    const bobs = await svc.lifecycle.start(bob, 'goals', false);
    const result = await admins.userData.eraseMyData(alice);
    expect(result.sessionsDeleted).toBe(2);
    expect(result.itemsDeleted).toBeGreaterThanOrEqual(2 + 1 + 4);
    const left = repo.snapshot();
    expect(Object.values(left.sessions).map((s) => s.id)).toEqual([bobs.id]);
    expect(Object.values(left.holds).map((s) => s.id)).toEqual([bobs.id]);
    expect(await svc.sessions.check(alice, 'purpose')).toMatchObject({ hasSession: false, conflict: false });
    expect((await svc.lifecycle.start(alice, 'purpose', false)).id).not.toBe(live.id);
  });

  test('eraseUserData: same tenant only, validated', async () => {
    const { admins, svc } = adminSetup();
    await svc.lifecycle.start(bob, 'goals', false);
    await expectDomainError(admins.userData.eraseUserData(admin, ''), 'BAD_USER_INPUT');
    expect(await admins.userData.eraseUserData(otherAdmin, 'bob')).toEqual({ sessionsDeleted: 0, itemsDeleted: 0, itemsRedacted: 0 });
    expect((await admins.userData.eraseUserData(admin, 'bob')).sessionsDeleted).toBe(1);
    expect((await svc.sessions.mySessions(bob, null, null, null)).sessions).toEqual([]);
  });
});

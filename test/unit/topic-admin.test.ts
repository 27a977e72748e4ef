import { capabilities } from '../support/capabilities';
/**
 * Topic administration with in-memory repositories: tenant catalogues (defaults merged with
 * a tenant's items, cached), the admin service's validation, and what archive and a changed
 * TTL mean for sessions. Authorization (FORBIDDEN for non-admins) is the GraphQL layer's:
 * test/unit/graphql-auth.test.ts.
 */
import { serviceUnavailable } from '../../src/domain/errors';
import { Viewer } from '../../src/domain/viewer';
import { TopicCatalog } from '../../src/topics/catalog';
import { TenantTopics } from '../../src/topics/tenant-topics';
import { TopicAdminService } from '../../src/topics/topic-admin-service';
import { FakeClock, MINUTE } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { MemoryTopicRepository } from '../support/memory-topic-repository';
import { alice, expectDomainError, expiry, FakeCoach, FOCUS, LINGER } from './fixtures';

const admin: Viewer = { tenantId: 't1', userId: 'ada', roles: ['admin'] };
const otherAdmin: Viewer = { tenantId: 't2', userId: 'oz', roles: ['admin'] };
const carol: Viewer = { tenantId: 't2', userId: 'carol', roles: [] };

function stack(cacheMs = 30_000) {
  let mono = 0;
  const topicRepo = new MemoryTopicRepository();
  const clock = new FakeClock();
  const tenantTopics = new TenantTopics(new TopicCatalog([FOCUS, LINGER]), topicRepo, { cacheMs, now: () => mono });
  const topicAdmin = new TopicAdminService(tenantTopics, topicRepo, clock);
  const repo = new MemorySessionRepository();
  const svc = capabilities(repo, tenantTopics, { coach: new FakeCoach(), clock: clock });
  return { topicRepo, tenantTopics, topicAdmin, svc, repo, clock, tick: (ms: number) => (mono += ms) };
}

describe('TenantTopics', () => {
  test('a tenant sees the defaults plus its own topics; another tenant only the defaults', async () => {
    const { topicAdmin, tenantTopics } = stack();
    await topicAdmin.create(admin, { id: 'mine', name: 'Mine' });
    expect((await tenantTopics.catalogFor('t1')).topics.map((t) => t.id)).toEqual(['focus', 'linger', 'mine']);
    expect((await tenantTopics.catalogFor('t2')).topics.map((t) => t.id)).toEqual(['focus', 'linger']);
  });

  test('one read per tenant per cache lifetime; own writes invalidate at once', async () => {
    const { topicAdmin, tenantTopics, topicRepo, tick } = stack(30_000);
    await tenantTopics.catalogFor('t1');
    await tenantTopics.catalogFor('t1');
    expect(topicRepo.lists).toBe(1);
    tick(29_000);
    await tenantTopics.catalogFor('t1');
    expect(topicRepo.lists).toBe(1);
    tick(2_000);
    await tenantTopics.catalogFor('t1');
    expect(topicRepo.lists).toBe(2);
    await topicAdmin.update(admin, 'focus', { name: 'Focus!' });
    expect((await tenantTopics.catalogFor('t1')).get('focus')!.name).toBe('Focus!');
  });

  test("another process's write shows after the cache lifetime", async () => {
    const a = stack(30_000);
    // A second "process" on the same store.
    const other = new TopicAdminService(new TenantTopics(a.tenantTopics.defaults, a.topicRepo), a.topicRepo, a.clock);
    await a.tenantTopics.catalogFor('t1');
    await other.create(admin, { id: 'later', name: 'Later' });
    expect((await a.tenantTopics.catalogFor('t1')).get('later')).toBeUndefined();
    a.tick(30_001);
    expect((await a.tenantTopics.catalogFor('t1')).get('later')!.name).toBe('Later');
  });

  test('a failed read is not cached', async () => {
    const { tenantTopics, topicRepo } = stack();
    const list = topicRepo.listTenantTopics.bind(topicRepo);
    topicRepo.listTenantTopics = async () => {
      throw new Error('down');
    };
    await expect(tenantTopics.catalogFor('t1')).rejects.toThrow('down');
    topicRepo.listTenantTopics = list;
    expect((await tenantTopics.catalogFor('t1')).topics).toHaveLength(2);
  });
});

describe('the listing while the store is down', () => {
  test('serves the last catalogue loaded (the defaults if none); writes and session reads still fail', async () => {
    const { topicAdmin, tenantTopics, topicRepo, tick } = stack();
    await topicAdmin.create(admin, { id: 'mine', name: 'Mine' });
    await tenantTopics.catalogFor('t1');
    tick(60_000);
    topicRepo.listTenantTopics = async () => {
      throw serviceUnavailable();
    };
    expect((await topicAdmin.list(alice, false)).map((t) => t.id)).toEqual(['focus', 'linger', 'mine']);
    expect((await topicAdmin.list(carol, false)).map((t) => t.id)).toEqual(['focus', 'linger']);
    await expectDomainError(tenantTopics.catalogFor('t1'), 'SERVICE_UNAVAILABLE');
  });
});

describe('TopicAdminService', () => {
  test('create applies the TOPICS_FILE defaults and stores version 1 with who and when', async () => {
    const { topicAdmin, topicRepo, clock } = stack();
    const t = await topicAdmin.create(admin, { id: 'new_one', name: 'New', activeTtlSeconds: 120 });
    expect(t).toMatchObject({ id: 'new_one', name: 'New', description: null, archived: false, instructions: 'Coach the user on New.' });
    expect(t.settings).toMatchObject({ activeTtlSeconds: 120, inactivityTimeoutMinutes: 30 });
    const [item] = topicRepo.items.values();
    expect(item).toMatchObject({ tenantId: 't1', version: 1, updatedBy: 'ada', updatedAt: clock.now(), archived: false });
  });

  test('validation uses the TOPICS_FILE bounds and names the argument', async () => {
    const { topicAdmin } = stack();
    await expectDomainError(topicAdmin.create(admin, { id: 'Bad Id', name: 'X' }), 'BAD_USER_INPUT', { argumentName: 'id' });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: ' ' }), 'BAD_USER_INPUT', { argumentName: 'name' });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'x'.repeat(201) }), 'BAD_USER_INPUT', { argumentName: 'name' });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'X', activeTtlSeconds: 0 }), 'BAD_USER_INPUT', { argumentName: 'activeTtlSeconds' });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'X', terminalTtlSeconds: 10 ** 9 }), 'BAD_USER_INPUT', {
      argumentName: 'terminalTtlSeconds',
    });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'X', inactivityTimeoutMinutes: -1 }), 'BAD_USER_INPUT', {
      argumentName: 'inactivityTimeoutMinutes',
    });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'X', maxTurns: 0 }), 'BAD_USER_INPUT', { argumentName: 'maxTurns' });
    await expectDomainError(topicAdmin.create(admin, { id: 'x', name: 'X', resultSchema: { type: 'string' } }), 'BAD_USER_INPUT', {
      argumentName: 'resultSchema',
    });
    await expectDomainError(topicAdmin.update(admin, 'focus', { description: 'd'.repeat(2001) }), 'BAD_USER_INPUT', { argumentName: 'description' });
  });

  test('create refuses an id the tenant has (its own or a default); update of an unknown id is NOT_FOUND', async () => {
    const { topicAdmin } = stack();
    await expectDomainError(topicAdmin.create(admin, { id: 'focus', name: 'Again' }), 'BAD_USER_INPUT', { argumentName: 'id' });
    await topicAdmin.create(admin, { id: 'mine', name: 'Mine' });
    await expectDomainError(topicAdmin.create(admin, { id: 'mine', name: 'Again' }), 'BAD_USER_INPUT', { argumentName: 'id' });
    await expectDomainError(topicAdmin.update(admin, 'nope', { name: 'N' }), 'NOT_FOUND');
    // The same id is free in another tenant.
    await topicAdmin.create(otherAdmin, { id: 'mine', name: 'Theirs' });
  });

  test('update is partial; null clears an optional field; a default topic gets an override of this tenant only', async () => {
    const { topicAdmin, tenantTopics, topicRepo } = stack();
    const t = await topicAdmin.update(admin, 'focus', { activeTtlSeconds: 7200, maxTurns: 3 });
    expect(t).toMatchObject({ name: 'Focus', description: FOCUS.description, instructions: FOCUS.instructions });
    expect(t.settings).toEqual({ ...FOCUS.settings, activeTtlSeconds: 7200, maxTurns: 3 });
    const again = await topicAdmin.update(admin, 'focus', { description: null, maxTurns: null });
    expect(again.description).toBeNull();
    expect(again.settings).toEqual({ ...FOCUS.settings, activeTtlSeconds: 7200 });
    expect([...topicRepo.items.values()][0].version).toBe(2);
    expect((await tenantTopics.catalogFor('t2')).get('focus')).toEqual(FOCUS);
  });

  test('a write based on a stale read is redone on a fresh one (optimistic concurrency)', async () => {
    const a = stack();
    const other = new TopicAdminService(new TenantTopics(a.tenantTopics.defaults, a.topicRepo), a.topicRepo, a.clock);
    await a.topicAdmin.create(admin, { id: 'shared', name: 'Shared' });
    await a.tenantTopics.catalogFor('t1'); // cached at version 1
    await other.update(admin, 'shared', { maxTurns: 9 }); // version 2 elsewhere
    const t = await a.topicAdmin.update(admin, 'shared', { name: 'Renamed' });
    expect(t.settings.maxTurns).toBe(9);
    expect(t.name).toBe('Renamed');
    expect([...a.topicRepo.items.values()][0].version).toBe(3);
  });

  test('list: archived ones only when asked for', async () => {
    const { topicAdmin } = stack();
    await topicAdmin.archive(admin, 'linger', true);
    expect((await topicAdmin.list(alice, false)).map((t) => t.id)).toEqual(['focus']);
    expect((await topicAdmin.list(admin, true)).map((t) => [t.id, t.archived === true])).toEqual([
      ['focus', false],
      ['linger', true],
    ]);
    expect((await topicAdmin.list(carol, false)).map((t) => t.id)).toEqual(['focus', 'linger']);
  });

  test('list: an archived topic stays, in catalogue order, for a caller with a live session of it; asked only when one is archived', async () => {
    const { topicAdmin } = stack();
    const asked: string[][] = [];
    const liveOf = async (ids: readonly string[]) => {
      asked.push([...ids]);
      return new Set(['linger']);
    };
    expect((await topicAdmin.list(alice, false, liveOf)).map((t) => t.id)).toEqual(['focus', 'linger']);
    expect(asked).toEqual([]);
    await topicAdmin.archive(admin, 'focus', true);
    expect((await topicAdmin.list(alice, false, liveOf)).map((t) => t.id)).toEqual(['linger']);
    await topicAdmin.archive(admin, 'linger', true);
    expect((await topicAdmin.list(alice, false, liveOf)).map((t) => [t.id, t.archived])).toEqual([['linger', true]]);
    expect(asked).toEqual([['focus'], ['focus', 'linger']]);
  });
});

describe('sessions of administered topics', () => {
  test('archive blocks new sessions; a live one continues (resume, message, complete); unarchive reopens', async () => {
    const { topicAdmin, svc } = stack();
    const live = await svc.lifecycle.start(alice, 'focus', false);
    await topicAdmin.archive(admin, 'focus', true);
    const bobT1: Viewer = { tenantId: 't1', userId: 'bob', roles: [] };
    // Alice still holds it: the usual conflict for others.
    await expectDomainError(svc.lifecycle.start(bobT1, 'focus', false), 'SESSION_CONFLICT');
    // The holder's own startSession resumes their live session; a restart would be a new one.
    expect((await svc.lifecycle.start(alice, 'focus', false)).id).toBe(live.id);
    await expectDomainError(svc.lifecycle.start(alice, 'focus', true), 'BAD_USER_INPUT');
    await svc.lifecycle.pause(alice, live.id);
    await svc.lifecycle.resume(alice, live.id);
    await svc.conversation.sendMessage(alice, live.id, 'Still here.', null);
    expect((await svc.lifecycle.complete(alice, live.id)).status).toBe('COMPLETED');
    const err = await expectDomainError(svc.lifecycle.start(bobT1, 'focus', false), 'BAD_USER_INPUT', { argumentName: 'topicId' });
    expect(err.message).toMatch(/archived/);
    // Another tenant is unaffected.
    expect((await svc.lifecycle.start(carol, 'focus', false)).status).toBe('ACTIVE');
    await topicAdmin.archive(admin, 'focus', false);
    expect((await svc.lifecycle.start(bobT1, 'focus', false)).status).toBe('ACTIVE');
  });

  test("a changed TTL applies from the session's next write", async () => {
    const { topicAdmin, svc, clock } = stack();
    const s = await svc.lifecycle.start(alice, 'focus', false);
    expect(s.expiresAt).toBe(expiry(clock.now(), FOCUS.settings.activeTtlSeconds));
    await topicAdmin.update(admin, 'focus', { activeTtlSeconds: 86_400, terminalTtlSeconds: 5_000 });
    // Not rewritten by the change itself.
    expect((await svc.sessions.get(alice, s.id))!.expiresAt).toBe(s.expiresAt);
    clock.advance(MINUTE);
    const sent = await svc.conversation.sendMessage(alice, s.id, 'Hello.', null);
    expect(sent.session.expiresAt).toBe(expiry(clock.now(), 86_400));
    clock.advance(MINUTE);
    const done = await svc.lifecycle.cancel(alice, s.id);
    expect(done.expiresAt).toBe(expiry(clock.now(), 5_000));
  });

  test('a tenant topic starts sessions with its own opening and settings; others cannot start it', async () => {
    const { topicAdmin, svc, clock } = stack();
    await topicAdmin.create(admin, { id: 'custom', name: 'Custom', openingMessage: 'Hi custom.', activeTtlSeconds: 90, maxTurns: 2 });
    const s = await svc.lifecycle.start(alice, 'custom', false);
    expect(s).toMatchObject({ topicId: 'custom', maxTurns: 2, expiresAt: expiry(clock.now(), 90) });
    await expectDomainError(svc.lifecycle.start(carol, 'custom', false), 'BAD_USER_INPUT', { argumentName: 'topicId' });
  });
});

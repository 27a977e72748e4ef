/**
 * Administration over HTTP with the codegen-typed operations (operations/admin.graphql):
 * authorization of every new operation, transfer, idle and per-topic listings, erasure.
 */
import {
  CompleteSessionDocument,
  EraseMyDataDocument,
  EraseUserDataDocument,
  IdleSessionsDocument,
  MySessionsDocument,
  PauseSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TenantSessionsDocument,
  TransferSessionDocument,
} from '../generated/graphql/graphql';
import { DAY, FakeClock } from '../support/clock';
import { codeOf, gql, GqlResult, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 6, 1, 8, 0, 0));
let alice: string; // tenant A
let bob: string; // tenant A
let carol: string; // tenant A
let adminA: string; // tenant A admin
let adminB: string; // tenant B admin

beforeAll(async () => {
  server = await startTestServer({ clock });
  [alice, bob, carol, adminA, adminB] = await Promise.all([
    tokenFor('tenant-a', 'alice'),
    tokenFor('tenant-a', 'bob'),
    tokenFor('tenant-a', 'carol'),
    tokenFor('tenant-a', 'ada', { roles: ['admin'] }),
    tokenFor('tenant-b', 'oz', { roles: ['admin'] }),
  ]);
});
afterAll(() => server.stop());

const start = async (topicId: string, token: string) => ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
const read = async (id: string, token: string) => ok(await gql(server.url, SessionDocument, { id, first: 50 }, token)).session;
const ids = (r: GqlResult<{ [k: string]: { edges: { node: { id: string } }[] } }>, field: string) =>
  ok(r)[field].edges.map((e) => e.node.id);

describe('authorization', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = (await start('strengths', carol)).id;
    clock.advance(DAY);
  });

  test('every admin operation gives a non-admin FORBIDDEN and changes nothing', async () => {
    const before = await read(sessionId, carol);
    const calls: [string, () => Promise<GqlResult<unknown>>][] = [
      ['transferSession', () => gql(server.url, TransferSessionDocument, { sessionId, toUserId: 'bob' }, bob)],
      ['idleSessions', () => gql(server.url, IdleSessionsDocument, { minIdleMinutes: 0 }, bob)],
      ['tenantSessions', () => gql(server.url, TenantSessionsDocument, {}, bob)],
      ['eraseUserData', () => gql(server.url, EraseUserDataDocument, { userId: 'carol' }, bob)],
    ];
    for (const [name, call] of calls) {
      const result = await call();
      expect([name, codeOf(result), result.errors?.[0]?.message]).toEqual([name, 'FORBIDDEN', 'This operation needs the admin role']);
      expect(result.data ?? null).toBeNull();
    }
    expect(await read(sessionId, carol)).toEqual(before);
  });

  test("an admin of another tenant gets NOT_FOUND / empty results and changes nothing", async () => {
    const before = await read(sessionId, carol);
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId, toUserId: 'bob' }, adminB))).toBe('NOT_FOUND');
    expect(ids(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 0 }, adminB), 'idleSessions')).toEqual([]);
    expect(ids(await gql(server.url, TenantSessionsDocument, { topicId: 'strengths' }, adminB), 'tenantSessions')).toEqual([]);
    expect(ok(await gql(server.url, EraseUserDataDocument, { userId: 'carol' }, adminB)).eraseUserData).toEqual({
      sessionsDeleted: 0,
      itemsDeleted: 0,
      itemsRedacted: 0,
    });
    expect(await read(sessionId, carol)).toEqual(before);
  });

  test('unauthenticated calls are refused', async () => {
    expect(codeOf(await gql(server.url, EraseMyDataDocument, {}))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1 }))).toBe('UNAUTHENTICATED');
  });
});

describe('transferSession', () => {
  test('moves the session: the previous owner loses it, the new owner has it, audit fields show', async () => {
    const s = await start('purpose', alice);
    ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'My purpose is...' }, alice));
    clock.advance(DAY);
    await start('core_values', bob); // bob is a user of the tenant: a session can go to him
    const moved = ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'bob' }, adminA)).transferSession;
    expect(moved).toMatchObject({ id: s.id, userId: 'bob', transferredBy: 'ada', transferredFrom: 'alice', isIdle: false });
    expect(moved.transferredAt).toBe(new Date(clock.now()).toISOString());
    expect(await read(s.id, alice)).toBeNull();
    expect(codeOf(await gql(server.url, PauseSessionDocument, { sessionId: s.id }, alice))).toBe('NOT_FOUND');
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, bob)).sessionCheck).toMatchObject({
      hasSession: true,
      sessionId: s.id,
    });
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, alice)).sessionCheck).toMatchObject({
      conflict: true,
      conflictUserId: 'bob',
    });
    expect(ok(await gql(server.url, MySessionsDocument, {}, bob)).mySessions.edges.map((e) => e.node.id)).toContain(s.id);
    expect((await read(s.id, bob))!.messageCount).toBe(3);
  });

  test('bad input, ended sessions, and the current owner', async () => {
    const s = await start('vision', alice);
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: '' }, adminA))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'a\u0007b' }, adminA))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId: 'ses_x', toUserId: 'bob' }, adminA))).toBe('BAD_USER_INPUT');
    const same = ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'alice' }, adminA)).transferSession;
    expect(same).toMatchObject({ userId: 'alice', transferredAt: null });
    ok(await gql(server.url, PauseSessionDocument, { sessionId: s.id }, alice));
    const { completeSession } = ok(await gql(server.url, CompleteSessionDocument, { sessionId: s.id }, alice));
    expect(completeSession.status).toBe('COMPLETED');
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'bob' }, adminA))).toBe('SESSION_NOT_LIVE');
  });
});

describe('idleSessions and tenantSessions', () => {
  test('the tenant admin sees idle live sessions oldest first, with paging, and who holds a topic', async () => {
    const t = await tokenFor('tenant-c', 'ann');
    const u = await tokenFor('tenant-c', 'ulf');
    const adminC = await tokenFor('tenant-c', 'cid', { roles: ['admin'] });
    const first = await start('core_values', t);
    clock.advance(DAY);
    const second = await start('goals', u);
    clock.advance(DAY);
    const page1 = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 60, first: 1 }, adminC)).idleSessions;
    expect(page1.edges.map((e) => e.node.id)).toEqual([first.id]);
    expect(page1.edges[0].node).toMatchObject({ isIdle: true, idleSince: first.lastActivityAt });
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 60, first: 1, after: page1.pageInfo.endCursor }, adminC))
      .idleSessions;
    expect(page2.edges.map((e) => e.node.id)).toEqual([second.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(codeOf(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 60, after: 'garbage' }, adminC))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: -5 }, adminC))).toBe('BAD_USER_INPUT');

    const held = ok(await gql(server.url, TenantSessionsDocument, { topicId: 'goals', status: ['ACTIVE', 'PAUSED'] }, adminC)).tenantSessions;
    expect(held.edges.map((e) => [e.node.id, e.node.userId])).toEqual([[second.id, 'ulf']]);
    expect(ids(await gql(server.url, TenantSessionsDocument, {}, adminC), 'tenantSessions')).toEqual([second.id, first.id]);
  });
});

describe('erasure', () => {
  test("eraseMyData: nothing of the caller's is readable afterwards, and a new session can start", async () => {
    const dora = await tokenFor('tenant-d', 'dora');
    const s = await start('purpose', dora);
    ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Something private', clientMessageId: 'p-1' }, dora));
    const other = await start('goals', dora);
    const erased = ok(await gql(server.url, EraseMyDataDocument, {}, dora)).eraseMyData;
    expect(erased.sessionsDeleted).toBe(2);
    expect(erased.itemsDeleted).toBeGreaterThanOrEqual(2 + 2 + 4);
    expect(await read(s.id, dora)).toBeNull();
    expect(await read(other.id, dora)).toBeNull();
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, dora)).sessionCheck).toMatchObject({
      hasSession: false,
      conflict: false,
    });
    expect(ok(await gql(server.url, MySessionsDocument, {}, dora)).mySessions.edges).toEqual([]);
    expect(codeOf(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'again' }, dora))).toBe('NOT_FOUND');
    expect((await start('purpose', dora)).id).not.toBe(s.id);
  });

  test("eraseUserData: a tenant admin erases a user of their tenant only", async () => {
    const ed = await tokenFor('tenant-a', 'ed');
    const edOfB = await tokenFor('tenant-b', 'ed');
    const s = await start('goals', ed);
    const sB = await start('goals', edOfB);
    expect(codeOf(await gql(server.url, EraseUserDataDocument, { userId: '' }, adminA))).toBe('BAD_USER_INPUT');
    expect(ok(await gql(server.url, EraseUserDataDocument, { userId: 'ed' }, adminA)).eraseUserData.sessionsDeleted).toBe(1);
    expect(await read(s.id, ed)).toBeNull();
    expect(await read(sB.id, edOfB)).not.toBeNull();
  });
});

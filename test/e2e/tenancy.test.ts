import { newSessionId } from '../../src/domain/ids';
import {
  CancelSessionDocument,
  CompleteSessionDocument,
  MySessionsDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { expectCode, expectNoInternals, rawGql } from '../support/e2e-helpers';
import { gql, GqlResult, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
let alice: string; // tenant A
let amy: string; // tenant A, another user
let bob: string; // tenant B
let aliceOfB: string; // tenant B, the same user id as alice in tenant A

beforeAll(async () => {
  server = await startTestServer();
  [alice, amy, bob, aliceOfB] = await Promise.all([
    tokenFor('tenant-a', 'alice'),
    tokenFor('tenant-a', 'amy'),
    tokenFor('tenant-b', 'bob'),
    tokenFor('tenant-b', 'alice'),
  ]);
});
afterAll(() => server.stop());

const read = async (id: string, token: string) => ok(await gql(server.url, SessionDocument, { id, first: 50 }, token)).session;

/** Every write a client can attempt with a session id, as [name, call]. */
const writes = (sessionId: string): [string, (token: string) => Promise<GqlResult<unknown>>][] => [
  ['sendMessage', (t) => gql(server.url, SendMessageDocument, { sessionId, content: 'let me in', clientMessageId: 'x-1' }, t)],
  ['pauseSession', (t) => gql(server.url, PauseSessionDocument, { sessionId }, t)],
  ['resumeSession', (t) => gql(server.url, ResumeSessionDocument, { sessionId }, t)],
  ['completeSession', (t) => gql(server.url, CompleteSessionDocument, { sessionId }, t)],
  ['cancelSession', (t) => gql(server.url, CancelSessionDocument, { sessionId }, t)],
];

describe('across tenants', () => {
  let sessionId: string;
  let before: Awaited<ReturnType<typeof read>>;

  beforeAll(async () => {
    sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession.id;
    ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'Private thoughts of tenant A' }, alice));
    before = await read(sessionId, alice);
    expect(before).not.toBeNull();
  });

  test.each([
    ['bob (tenant B)', () => bob],
    ['alice of tenant B (same sub, other tenant)', () => aliceOfB],
  ])('%s gets null for session(id)', async (_who, token) => {
    expect(await read(sessionId, token())).toBeNull();
  });

  test.each([
    ['bob (tenant B)', () => bob],
    ['alice of tenant B (same sub, other tenant)', () => aliceOfB],
  ])('%s gets NOT_FOUND for every write, exactly as for an unknown id, and nothing changes', async (_who, token) => {
    const unknown = newSessionId(Date.now());
    for (const [name, call] of writes(sessionId)) {
      const res = await call(token());
      const error = expectCode(res, 'NOT_FOUND');
      const unknownError = expectCode(await writes(unknown).find(([n]) => n === name)![1](token()), 'NOT_FOUND');
      // Indistinguishable from an unknown id: same code and message, nothing about tenant A.
      expect({ name, message: error.message }).toEqual({ name, message: unknownError.message });
      expect(JSON.stringify(res)).not.toMatch(/tenant-a|Private thoughts/);
    }
    expect(await read(sessionId, alice)).toEqual(before);
  });

  test("tenant B's sessionCheck for the same topic shows no conflict, and B can start its own session", async () => {
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, bob)).sessionCheck;
    expect(check).toEqual({ hasSession: false, sessionId: null, status: null, isIdle: false, conflict: false, conflictUserId: null, lastActivityAt: null, idleSince: null, expiresAt: null, conflictIdleSince: null });
    const own = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, bob)).startSession;
    expect(own.id).not.toBe(sessionId);
    expect(own).toMatchObject({ userId: 'bob', status: 'ACTIVE', messageCount: 1 });
    // alice of tenant B is another user of tenant B: she sees bob's hold, not tenant A's alice.
    const other = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, aliceOfB)).sessionCheck;
    expect(other).toMatchObject({ hasSession: false, conflict: true, conflictUserId: 'bob' });
    // Tenant A's session is untouched by tenant B's start.
    expect(await read(sessionId, alice)).toEqual(before);
    const aCheck = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, alice)).sessionCheck;
    expect(aCheck).toMatchObject({ hasSession: true, sessionId, conflict: false });
  });

  test("tenant B's topics and mySessions know nothing of tenant A", async () => {
    const mine = ok(await gql(server.url, MySessionsDocument, {}, aliceOfB)).mySessions;
    expect(mine.edges).toEqual([]);
    const topics = ok(await gql(server.url, TopicsDocument, {}, aliceOfB)).topics;
    expect(topics.every((t) => t.myStatus === 'NOT_STARTED')).toBe(true);
  });
});

describe('within one tenant', () => {
  let held: NonNullable<Awaited<ReturnType<typeof read>>>;

  beforeAll(async () => {
    const id = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, alice)).startSession.id;
    held = (await read(id, alice))!;
  });

  test("the other user's sessionCheck reports the conflict and who holds it, without the session", async () => {
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'vision' }, amy)).sessionCheck;
    // The holder is active: no idle card to show either.
    expect(check).toEqual({ hasSession: false, sessionId: null, status: null, isIdle: false, conflict: true, conflictUserId: 'alice', lastActivityAt: null, idleSince: null, expiresAt: null, conflictIdleSince: null });
  });

  test.each([[false], [true]])('startSession(restart: %s) by the other user -> SESSION_CONFLICT; the holder is untouched', async (restart) => {
    const res = await gql(server.url, StartSessionDocument, { topicId: 'vision', restart }, amy);
    const error = expectCode(res, 'SESSION_CONFLICT');
    expect(error.extensions?.conflictUserId).toBe('alice');
    expect(await read(held.id, alice)).toEqual(held);
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'vision' }, alice)).sessionCheck;
    expect(check).toMatchObject({ hasSession: true, sessionId: held.id, status: 'ACTIVE', conflict: false });
  });

  test("session(id) of another user's session is null", async () => {
    expect(await read(held.id, amy)).toBeNull();
  });

  test("the other user's writes with the holder's id -> NOT_FOUND; nothing changes", async () => {
    for (const [name, call] of writes(held.id)) {
      const res = await call(amy);
      expect({ name, code: expectCode(res, 'NOT_FOUND').extensions?.code }).toEqual({ name, code: 'NOT_FOUND' });
    }
    expect(await read(held.id, alice)).toEqual(held);
  });

  test("a session's messages cannot be read through another user's query either", async () => {
    const res = await rawGql(
      server.url,
      'query($id: ID!) { session(id: $id) { id messages(first: 5) { edges { node { content } } } } }',
      { id: held.id },
      amy,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ session: null });
    expectNoInternals(res.text);
  });

  test('once the holder ends the session, the other user may start one', async () => {
    ok(await gql(server.url, CancelSessionDocument, { sessionId: held.id }, alice));
    const amys = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, amy)).startSession;
    expect(amys).toMatchObject({ userId: 'amy', status: 'ACTIVE' });
    expect(amys.id).not.toBe(held.id);
    const aliceCheck = ok(await gql(server.url, SessionCheckDocument, { topicId: 'vision' }, alice)).sessionCheck;
    expect(aliceCheck).toMatchObject({ hasSession: false, conflict: true, conflictUserId: 'amy' });
  });

  test("mySessions lists only the caller's own sessions", async () => {
    ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, amy));
    const aliceIds = ok(await gql(server.url, MySessionsDocument, { first: 100 }, alice)).mySessions.edges.map((e) => e.node);
    const amyIds = ok(await gql(server.url, MySessionsDocument, { first: 100 }, amy)).mySessions.edges.map((e) => e.node);
    const bobIds = ok(await gql(server.url, MySessionsDocument, { first: 100 }, bob)).mySessions.edges.map((e) => e.node);
    expect(aliceIds.length).toBeGreaterThanOrEqual(2); // purpose + vision (cancelled)
    expect(aliceIds.every((s) => s.userId === 'alice')).toBe(true);
    expect(amyIds.map((s) => s.topicId).sort()).toEqual(['goals', 'vision']);
    expect(amyIds.every((s) => s.userId === 'amy')).toBe(true);
    expect(bobIds.map((s) => s.topicId)).toEqual(['purpose']);
    const all = [...aliceIds, ...amyIds, ...bobIds].map((s) => s.id);
    expect(new Set(all).size).toBe(all.length);
  });
});

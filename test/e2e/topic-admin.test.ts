/**
 * Topic administration over HTTP with the codegen-typed operations (operations/admin.graphql):
 * create / update / archive / unarchive by a tenant admin, authorization and tenant
 * isolation, what archive and a changed TTL mean for sessions, and the steady-state cost.
 */
import {
  AdminTopicsDocument,
  ArchiveTopicDocument,
  CompleteSessionDocument,
  CreateTopicDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  StartSessionDocument,
  TopicsDocument,
  UnarchiveTopicDocument,
  UpdateTopicDocument,
} from '../generated/graphql/graphql';
import { FakeClock, MINUTE } from '../support/clock';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 7, 3, 9, 0, 0));
let alice: string; // tenant ta
let bob: string; // tenant ta
let adminA: string; // tenant ta admin
let adminB: string; // tenant tb admin
let zoe: string; // tenant tb

beforeAll(async () => {
  server = await startTestServer({ clock });
  [alice, bob, adminA, adminB, zoe] = await Promise.all([
    tokenFor('ta', 'alice'),
    tokenFor('ta', 'bob'),
    tokenFor('ta', 'ada', { roles: ['admin'] }),
    tokenFor('tb', 'oz', { roles: ['admin'] }),
    tokenFor('tb', 'zoe'),
  ]);
});
afterAll(() => server.stop());

const topicIds = async (token: string) => ok(await gql(server.url, TopicsDocument, {}, token)).topics.map((t) => t.id);
const expiresAt = (iso: string) => Date.parse(iso);

test('create, update (partial), archive and unarchive a topic', async () => {
  const created = ok(
    await gql(server.url, CreateTopicDocument, { input: { id: 'leadership', name: 'Leadership', activeTtlSeconds: 3600, maxTurns: 10 } }, adminA),
  ).createTopic;
  expect(created).toMatchObject({ id: 'leadership', name: 'Leadership', description: null, archived: false });
  expect(created.settings).toMatchObject({ activeTtlSeconds: 3600, maxTurns: 10, inactivityTimeoutMinutes: 30 });
  expect(await topicIds(alice)).toContain('leadership');

  const updated = ok(await gql(server.url, UpdateTopicDocument, { id: 'leadership', input: { description: 'Leading people', maxTurns: null } }, adminA))
    .updateTopic;
  expect(updated).toMatchObject({ name: 'Leadership', description: 'Leading people' });
  expect(updated.settings).toMatchObject({ activeTtlSeconds: 3600, maxTurns: null });

  expect(ok(await gql(server.url, ArchiveTopicDocument, { id: 'leadership' }, adminA)).archiveTopic.archived).toBe(true);
  expect(await topicIds(alice)).not.toContain('leadership');
  const all = ok(await gql(server.url, AdminTopicsDocument, { includeArchived: true }, adminA)).topics;
  expect(all.find((t) => t.id === 'leadership')).toMatchObject({ archived: true });
  expect(ok(await gql(server.url, UnarchiveTopicDocument, { id: 'leadership' }, adminA)).unarchiveTopic.archived).toBe(false);
  expect(await topicIds(alice)).toContain('leadership');
});

test('validation errors are BAD_USER_INPUT with the argument; an existing id cannot be created again', async () => {
  const bad = await gql(server.url, CreateTopicDocument, { input: { id: 'ttl_bad', name: 'X', terminalTtlSeconds: 0 } }, adminA);
  expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  expect(bad.errors![0].extensions!.argumentName).toBe('terminalTtlSeconds');
  const dup = await gql(server.url, CreateTopicDocument, { input: { id: 'vision', name: 'Vision again' } }, adminA);
  expect(codeOf(dup)).toBe('BAD_USER_INPUT');
  expect(dup.errors![0].extensions!.argumentName).toBe('id');
  expect(codeOf(await gql(server.url, UpdateTopicDocument, { id: 'no_such', input: { name: 'N' } }, adminA))).toBe('NOT_FOUND');
});

test('non-admins are FORBIDDEN', async () => {
  const calls = [
    gql(server.url, CreateTopicDocument, { input: { id: 'sneaky', name: 'Sneaky' } }, alice),
    gql(server.url, UpdateTopicDocument, { id: 'vision', input: { name: 'Mine' } }, alice),
    gql(server.url, ArchiveTopicDocument, { id: 'vision' }, alice),
    gql(server.url, UnarchiveTopicDocument, { id: 'vision' }, alice),
    gql(server.url, AdminTopicsDocument, { includeArchived: true }, alice),
  ];
  for (const r of await Promise.all(calls)) {
    expect([codeOf(r), r.errors?.[0]?.message]).toEqual(['FORBIDDEN', 'This operation needs the admin role']);
    expect(r.data ?? null).toBeNull();
  }
  expect(await topicIds(alice)).not.toContain('sneaky');
});

test("a tenant's topics are its own: invisible to another tenant, whose admin cannot change them", async () => {
  ok(await gql(server.url, CreateTopicDocument, { input: { id: 'ta_only', name: 'Only A' } }, adminA));
  expect(await topicIds(zoe)).not.toContain('ta_only');
  expect(ok(await gql(server.url, AdminTopicsDocument, { includeArchived: true }, adminB)).topics.map((t) => t.id)).not.toContain('ta_only');
  expect(codeOf(await gql(server.url, StartSessionDocument, { topicId: 'ta_only' }, zoe))).toBe('BAD_USER_INPUT');
  expect(codeOf(await gql(server.url, UpdateTopicDocument, { id: 'ta_only', input: { name: 'Taken' } }, adminB))).toBe('NOT_FOUND');
  expect(codeOf(await gql(server.url, ArchiveTopicDocument, { id: 'ta_only' }, adminB))).toBe('NOT_FOUND');
  // B archiving a default topic archives it for B only.
  ok(await gql(server.url, ArchiveTopicDocument, { id: 'strengths' }, adminB));
  expect(await topicIds(zoe)).not.toContain('strengths');
  expect(await topicIds(alice)).toContain('strengths');
  ok(await gql(server.url, UnarchiveTopicDocument, { id: 'strengths' }, adminB));
});

test('archive blocks new sessions; a live one continues', async () => {
  ok(await gql(server.url, CreateTopicDocument, { input: { id: 'retiring', name: 'Retiring' } }, adminA));
  const live = ok(await gql(server.url, StartSessionDocument, { topicId: 'retiring' }, alice)).startSession;
  ok(await gql(server.url, ArchiveTopicDocument, { id: 'retiring' }, adminA));
  // Still in alice's list while her session is in progress (marked archived); nobody else's.
  const listed = async (token: string) => ok(await gql(server.url, TopicsDocument, {}, token)).topics.find((t) => t.id === 'retiring');
  expect(await listed(alice)).toMatchObject({ archived: true, myStatus: 'IN_PROGRESS' });
  expect(await listed(bob)).toBeUndefined();

  const refused = await gql(server.url, StartSessionDocument, { topicId: 'retiring' }, bob);
  expect(codeOf(refused)).toBe('SESSION_CONFLICT'); // alice still holds it
  expect(ok(await gql(server.url, StartSessionDocument, { topicId: 'retiring' }, alice)).startSession.id).toBe(live.id);
  ok(await gql(server.url, PauseSessionDocument, { sessionId: live.id }, alice));
  expect(await listed(alice)).toMatchObject({ archived: true, myStatus: 'PAUSED' });
  ok(await gql(server.url, ResumeSessionDocument, { sessionId: live.id }, alice));
  ok(await gql(server.url, SendMessageDocument, { sessionId: live.id, content: 'Still going.' }, alice));
  expect(ok(await gql(server.url, CompleteSessionDocument, { sessionId: live.id }, alice)).completeSession.status).toBe('COMPLETED');
  expect(await listed(alice)).toBeUndefined();

  const blocked = await gql(server.url, StartSessionDocument, { topicId: 'retiring' }, bob);
  expect(codeOf(blocked)).toBe('BAD_USER_INPUT');
  expect(blocked.errors![0].message).toMatch(/archived/);
  ok(await gql(server.url, UnarchiveTopicDocument, { id: 'retiring' }, adminA));
  expect(ok(await gql(server.url, StartSessionDocument, { topicId: 'retiring' }, bob)).startSession.status).toBe('ACTIVE');
});

test("a changed TTL applies at the session's next write", async () => {
  ok(await gql(server.url, CreateTopicDocument, { input: { id: 'ttl_topic', name: 'TTL', activeTtlSeconds: 3600, terminalTtlSeconds: 600 } }, adminA));
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'ttl_topic' }, alice)).startSession;
  expect(expiresAt(s.expiresAt!)).toBe(Date.parse(s.lastActivityAt) + 3600_000);
  ok(await gql(server.url, UpdateTopicDocument, { id: 'ttl_topic', input: { activeTtlSeconds: 7 * 86_400, terminalTtlSeconds: 86_400 } }, adminA));
  clock.advance(MINUTE);
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Hello.' }, alice)).sendMessage.session;
  expect(expiresAt(sent.expiresAt!)).toBe(Date.parse(sent.lastActivityAt) + 7 * 86_400_000);
  clock.advance(MINUTE);
  const done = ok(await gql(server.url, CompleteSessionDocument, { sessionId: s.id }, alice)).completeSession;
  expect(expiresAt(done.expiresAt!)).toBe(Date.parse(done.endedAt!) + 86_400_000);
});

test('sessionCheck is still one GetItem once the tenant catalogue is cached', async () => {
  ok(await gql(server.url, CreateTopicDocument, { input: { id: 'cheap', name: 'Cheap' } }, adminA));
  ok(await gql(server.url, SessionCheckDocument, { topicId: 'cheap' }, alice)); // loads the catalogue after the write
  const totals = server.app.dynamoTotals;
  const before = { requests: totals.requests, get: totals.byCommand.GetItemCommand ?? 0 };
  ok(await gql(server.url, SessionCheckDocument, { topicId: 'cheap' }, alice));
  expect(totals.requests - before.requests).toBe(1);
  expect((totals.byCommand.GetItemCommand ?? 0) - before.get).toBe(1);
});

test("a topic's instructions and result schema are shown to its tenant's admins only; its opening message to all", async () => {
  const query = '{ topics { id openingMessage instructions resultSchema } }';
  const post = async (token: string) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return ((await res.json()) as { data: { topics: { id: string; openingMessage: string; instructions: string | null; resultSchema: unknown }[] } }).data.topics;
  };
  const asAdmin = (await post(adminA)).find((t) => t.id === 'core_values')!;
  const asUser = (await post(alice)).find((t) => t.id === 'core_values')!;
  expect(asAdmin.instructions).toMatch(/core values/i);
  expect(asAdmin.resultSchema).toMatchObject({ type: 'object' });
  expect(asUser).toMatchObject({ instructions: null, resultSchema: null });
  expect(asUser.openingMessage).toBe(asAdmin.openingMessage);
  expect(asUser.openingMessage.length).toBeGreaterThan(10);
});

import { FakeClock, MINUTE } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { catalog, domainError, Item, scanAll, stackOn, Stack, topic, viewer } from '../support/store-helpers';
import { SessionStatus } from '../../src/domain/session';
import { Viewer } from '../../src/domain/viewer';

let table: TestTable;
let stack: Stack;
const clock = new FakeClock(Date.UTC(2026, 7, 1, 8, 0, 0, 321));
const topics = catalog(topic('p0'), topic('p1'), topic('p2'), topic('short', { activeTtlSeconds: 60 }));

const alice = viewer('paging', 'alice');
const bob = viewer('paging', 'bob');
const carol = viewer('paging-other', 'alice'); // same user id, other tenant

/** Session ids of a viewer, most recent activity first, straight from the table. */
let expected: (v: Viewer, statuses?: SessionStatus[]) => string[];

beforeAll(async () => {
  table = await createTestTable();
  stack = stackOn(table, clock, topics);
  const { service } = stack;
  // An expired one first: it must never show up.
  await service.lifecycle.start(alice, 'short', false);
  // Bob (same tenant) goes first and completes his, so that the topics are free for alice.
  for (const v of [bob, alice, carol]) {
    for (let i = 0; i < (v === alice ? 9 : 3); i++) {
      clock.advance(MINUTE);
      const s = await service.lifecycle.start(v, `p${i % 3}`, false);
      if (i % 2 === 0) await service.conversation.sendMessage(v, s.id, `Message ${i}.`, null);
      if (v === bob) await service.lifecycle.complete(v, s.id);
      if (v === alice && i < 6) await (i % 2 === 0 ? service.lifecycle.complete(v, s.id) : service.lifecycle.cancel(v, s.id));
    }
  }
  clock.advance(MINUTE);
  // Pausing changes activity, so alice's session on p1 moves to the front.
  const p1 = (await service.sessions.check(alice, 'p1')).sessionId!;
  await service.lifecycle.pause(alice, p1);
  clock.advance(2 * MINUTE);

  const items = (await scanAll(table)).filter((i) => i.sk === 'SESSION');
  const nowSec = Math.floor(clock.now() / 1000);
  expected = (v, statuses) =>
    items
      .filter((i: Item) => i.tenantId === v.tenantId && i.userId === v.userId && (i.ttl as number) > nowSec)
      .filter((i) => !statuses || statuses.includes(i.status as SessionStatus))
      .sort((a, b) => String(b.gsi1sk).localeCompare(String(a.gsi1sk)))
      .map((i) => i.sessionId as string);
});
afterAll(() => table.drop());

async function all(v: Viewer, pageSize: number, statuses: SessionStatus[] | null = null) {
  const ids: string[] = [];
  const pages: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const page: Awaited<ReturnType<Stack['service']['sessions']['mySessions']>> = await stack.service.sessions.mySessions(v, statuses, pageSize, after);
    expect(page.cursors).toHaveLength(page.sessions.length);
    for (const s of page.sessions) {
      expect(s.userId).toBe(v.userId);
      expect(s.tenantId).toBe(v.tenantId);
    }
    ids.push(...page.sessions.map((s) => s.id));
    pages.push(page.sessions.length);
    if (!page.hasNextPage) return { ids, pages };
    expect(page.sessions).toHaveLength(pageSize);
    after = page.cursors[page.cursors.length - 1];
  }
  throw new Error('paging did not end');
}

test('the fixture is what the tests assume', () => {
  expect(expected(alice)).toHaveLength(9); // the expired one excluded
  expect(expected(bob)).toHaveLength(3);
  expect(expected(carol)).toHaveLength(3);
  expect(expected(alice, ['COMPLETED'])).toHaveLength(3);
  expect(expected(alice, ['CANCELLED'])).toHaveLength(3);
  expect(expected(alice, ['PAUSED'])).toHaveLength(1);
});

test('most recent activity first, one page', async () => {
  const page = await stack.service.sessions.mySessions(alice, null, 20, null);
  expect(page.sessions.map((s) => s.id)).toEqual(expected(alice));
  expect(page.hasNextPage).toBe(false);
  expect(page.sessions[0].status).toBe('PAUSED'); // the latest write
  const times = page.sessions.map((s) => s.lastActivityAt);
  expect([...times].sort((a, b) => b - a)).toEqual(times);
});

test.each([1, 2, 4, 8, 9])('pages of %i cover every session once, in order', async (size) => {
  const { ids, pages } = await all(alice, size);
  expect(ids).toEqual(expected(alice));
  expect(pages.slice(0, -1).every((p) => p === size)).toBe(true);
  expect(pages.length).toBe(Math.max(1, Math.ceil(9 / size)));
});

test('a cursor from the middle continues right after its session', async () => {
  const page = await stack.service.sessions.mySessions(alice, null, 9, null);
  const rest = await stack.service.sessions.mySessions(alice, null, 9, page.cursors[4]);
  expect(rest.sessions.map((s) => s.id)).toEqual(expected(alice).slice(5));
  expect(rest.hasNextPage).toBe(false);
});

test('status filter, also across pages', async () => {
  for (const statuses of [['COMPLETED'], ['CANCELLED', 'PAUSED'], ['ACTIVE'], ['ABANDONED']] as SessionStatus[][]) {
    const one = await stack.service.sessions.mySessions(alice, statuses, 20, null);
    expect(one.sessions.map((s) => s.id)).toEqual(expected(alice, statuses));
    expect(one.sessions.every((s) => statuses.includes(s.status))).toBe(true);
    expect((await all(alice, 1, statuses)).ids).toEqual(expected(alice, statuses));
    expect((await all(alice, 2, statuses)).ids).toEqual(expected(alice, statuses));
  }
  // An empty list means no filter.
  expect((await stack.service.sessions.mySessions(alice, [], 20, null)).sessions.map((s) => s.id)).toEqual(expected(alice));
});

test('users and tenants see only their own sessions', async () => {
  expect((await all(bob, 2)).ids).toEqual(expected(bob));
  expect((await all(carol, 2)).ids).toEqual(expected(carol));
  const aliceIds = new Set(expected(alice));
  for (const id of [...expected(bob), ...expected(carol)]) expect(aliceIds.has(id)).toBe(false);
});

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

test('malformed or tampered cursors are BAD_USER_INPUT', async () => {
  const valid = (await stack.service.sessions.mySessions(alice, null, 1, null)).cursors[0];
  // The cursor is the index sort key "<lastActivityAt ISO>#<sessionId>", base64url-encoded.
  const gsi1sk = Buffer.from(valid, 'base64url').toString('utf8');
  const [time, sessionId] = gsi1sk.split('#');
  const bad = [
    'not a cursor!',
    '',
    b64('{"a":1}'),
    b64('not json'),
    b64(time),
    b64(`${gsi1sk}#extra`),
    b64(`${time}#ses_nope`),
    b64(`${time}#42`),
    b64('2026-08-01#' + sessionId),
    b64(`${gsi1sk}#T#other`),
    b64(JSON.stringify({ gsi1sk, sessionId })),
    b64('x'.repeat(200)),
    valid.slice(0, -3),
  ];
  for (const cursor of bad) {
    if (cursor === '') continue; // an empty cursor is "no cursor" for the service
    const e = await domainError(() => stack.service.sessions.mySessions(alice, null, 5, cursor), 'BAD_USER_INPUT');
    expect(e.details).toMatchObject({ argumentName: 'after' });
  }
  await domainError(() => stack.repo.listUserSessions('paging', 'alice', { statuses: null, limit: 5, cursor: 'garbage' }, clock.now()), 'BAD_USER_INPUT');
});

test("another user's or tenant's cursor does not leak their sessions", async () => {
  const mine = new Set(expected(alice));
  for (const other of [bob, carol]) {
    const theirs = await stack.service.sessions.mySessions(other, null, 3, null);
    for (const cursor of theirs.cursors) {
      const page = await stack.service.sessions.mySessions(alice, null, 20, cursor);
      for (const s of page.sessions) {
        expect(mine.has(s.id)).toBe(true);
        expect(s.userId).toBe('alice');
        expect(s.tenantId).toBe('paging');
      }
    }
  }
  // A hand-made cursor naming bob's session and position still reads only alice's partition.
  const bobs = (await scanAll(table)).find((i) => i.sk === 'SESSION' && i.userId === 'bob')!;
  const forged = b64(bobs.gsi1sk);
  const page = await stack.service.sessions.mySessions(alice, null, 20, forged);
  expect(page.sessions.every((s) => mine.has(s.id))).toBe(true);
});

test('page size bounds', async () => {
  await domainError(() => stack.service.sessions.mySessions(alice, null, 0, null), 'BAD_USER_INPUT');
  await domainError(() => stack.service.sessions.mySessions(alice, null, 101, null), 'BAD_USER_INPUT');
  await domainError(() => stack.service.sessions.mySessions(alice, null, 2.5, null), 'BAD_USER_INPUT');
  expect((await stack.service.sessions.mySessions(alice, null, null, null)).sessions).toHaveLength(9);
});

test('topic statuses come from the same index, hiding expired sessions', async () => {
  const statuses = await stack.service.sessions.topicStatuses(alice);
  expect(statuses.get('p1')).toBe('PAUSED');
  expect(statuses.get('short')).toBeUndefined();
  expect(statuses.get('p0')).toBe('IN_PROGRESS');
  expect(statuses.get('p2')).toBe('IN_PROGRESS');
});

test('messages of a session page forward and backward', async () => {
  const me = viewer('paging-msgs', 'm');
  const s = await stack.service.lifecycle.start(me, 'p0', false);
  for (let i = 0; i < 5; i++) await stack.service.conversation.sendMessage(me, s.id, `Line ${i}.`, null);
  const view = (await stack.service.sessions.get(me, s.id))!;
  expect(view.messageCount).toBe(11);
  const seqs = (r: { messages: { seq: number }[] }) => r.messages.map((m) => m.seq);
  const first = await stack.service.sessions.messages(me, view, { first: 4, after: null, last: null, before: null });
  expect(seqs(first)).toEqual([1, 2, 3, 4]);
  expect(first).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  const next = await stack.service.sessions.messages(me, view, { first: 4, after: 4, last: null, before: null });
  expect(seqs(next)).toEqual([5, 6, 7, 8]);
  const tail = await stack.service.sessions.messages(me, view, { first: null, after: null, last: 2, before: null });
  expect(seqs(tail)).toEqual([10, 11]);
  expect(tail.hasPreviousPage).toBe(true);
  const before = await stack.service.sessions.messages(me, view, { first: null, after: null, last: 3, before: 4 });
  expect(seqs(before)).toEqual([1, 2, 3]);
  expect(before.hasPreviousPage).toBe(false);
  // Someone else's view of it is refused.
  await domainError(() => stack.service.sessions.messages(viewer('paging-msgs', 'x'), view, { first: 1, after: null, last: null, before: null }), 'NOT_FOUND');
});

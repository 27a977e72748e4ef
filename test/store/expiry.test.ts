import { DAY, FakeClock, MINUTE } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import {
  catalog,
  domainError,
  isChild,
  Item,
  partition,
  rng,
  scanAll,
  sec,
  shuffle,
  Stack,
  stackOn,
  sweep,
  topic,
  viewer,
} from '../support/store-helpers';
import { StaleSessionError } from '../../src/sessions/repository';
import { Message, Session, touched } from '../../src/domain/session';
import { holdKey } from '../../src/store/items/hold';
import { newSessionId } from '../../src/domain/ids';

const ACTIVE_TTL = 600; // 10 minutes
const TERMINAL_TTL = 300;
const topics = catalog(topic('brief', { activeTtlSeconds: ACTIVE_TTL, terminalTtlSeconds: TERMINAL_TTL, inactivityTimeoutMinutes: 1 }));
const settings = topics.get('brief')!.settings;

let table: TestTable;
beforeAll(async () => (table = await createTestTable())); // DynamoDB TTL off: expired items stay
afterAll(() => table.drop());

/** A session with a couple of messages (one with a clientMessageId), then the clock moved past its expiry. */
async function expiredSession(stack: Stack, clock: FakeClock, tenantId: string, userId: string) {
  const me = viewer(tenantId, userId);
  const s = await stack.service.lifecycle.start(me, 'brief', false);
  clock.advance(MINUTE);
  const sent = await stack.service.conversation.sendMessage(me, s.id, 'Something on my mind.', 'retry-1');
  // The title after the first exchange, written before the session expires.
  await stack.service.background.settled();
  const live = (await stack.repo.getSession(tenantId, s.id, clock.now()))!;
  expect(live).not.toBeNull();
  const before = await partition(table, tenantId, s.id);
  // Exactly at the ttl the session counts as expired (ttl > now is live).
  clock.set(live.expiresAt);
  return { me, s, sent, live, before };
}

const stripVolatile = (items: Item[]) => items.map((i) => JSON.stringify(i)).sort();

/**
 * Every session-level read of the repository and every read of the service says "nothing"
 * about the session. Children (messages, records) may outlive their session by up to a day
 * by design; `children: true` also checks the repository's child reads (once those expired).
 */
async function expectGone(stack: Stack, clock: FakeClock, tenantId: string, userId: string, sessionId: string, children = false) {
  const { repo, service } = stack;
  const now = clock.now();
  const me = viewer(tenantId, userId);
  expect(await repo.findHolder(tenantId, 'brief', now)).toBeNull();
  expect(await repo.getSession(tenantId, sessionId, now)).toBeNull();
  expect(await repo.getSessions(tenantId, [sessionId, sessionId], now)).toEqual([null, null]);
  if (children) await expectChildrenGone(stack, now, tenantId, sessionId);
  const page = await repo.listUserSessions(tenantId, userId, { statuses: null, limit: 10, cursor: null }, now);
  expect(page.sessions.map((s) => s.id)).not.toContain(sessionId);
  expect(await service.sessions.check(me, 'brief')).toEqual({
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
  expect(await service.sessions.get(me, sessionId)).toBeNull();
  expect(await service.sessions.getMany(me, [sessionId])).toEqual([null]);
  expect((await service.sessions.mySessions(me, null, 10, null)).sessions.map((s) => s.id)).not.toContain(sessionId);
  // No expired session shows in the topic's progress; only a completion's outcome (kept, the
  // user's own item) keeps it COMPLETED, and then it names a completed session.
  const progress = (await service.sessions.topicProgress(me)).get('brief');
  if (progress) expect(progress).toMatchObject({ status: 'COMPLETED', result: { topicId: 'brief' } });
}

async function expectChildrenGone(stack: Stack, now: number, tenantId: string, sessionId: string) {
  const { repo } = stack;
  expect(await repo.listMessages(tenantId, sessionId, { direction: 'forward', from: null, limit: 50 }, now)).toEqual([]);
  expect(await repo.listMessages(tenantId, sessionId, { direction: 'backward', from: null, limit: 50 }, now)).toEqual([]);
  expect(await repo.getMessages(tenantId, sessionId, [1, 2, 3], now)).toEqual([]);
  for (const cmid of ['retry-1', 'k1', 'k2', 'k3']) expect(await repo.getClientMessage(tenantId, sessionId, cmid, now)).toBeNull();
}

test('an expired session is absent from every read, for its owner and for others', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 10, 0, 0, 700));
  const stack = stackOn(table, clock, topics);
  const { s } = await expiredSession(stack, clock, 'exp-reads', 'alice');
  await expectGone(stack, clock, 'exp-reads', 'alice', s.id);
  // Another user of the tenant sees no conflict.
  const bob = await stack.service.sessions.check(viewer('exp-reads', 'bob'), 'brief');
  expect(bob.conflict).toBe(false);
  expect(bob.conflictUserId).toBeNull();
  // One millisecond before the ttl it was still there (the boundary is the ttl itself).
  clock.advance(-1);
  expect(await stack.repo.getSession('exp-reads', s.id, clock.now())).not.toBeNull();
  expect((await stack.service.sessions.check(viewer('exp-reads', 'alice'), 'brief')).hasSession).toBe(true);

  // Once the children's own ttl (at most a day after the session's) has passed, the
  // repository's child reads return nothing either.
  const children = (await partition(table, 'exp-reads', s.id)).filter(isChild);
  const latest = Math.max(...children.map((c) => c.ttl as number));
  expect(latest).toBeLessThanOrEqual(sec(s.expiresAt) + 86_400 + ACTIVE_TTL);
  clock.set(latest * 1000);
  await expectGone(stack, clock, 'exp-reads', 'alice', s.id, true);
});

test('service writes to an expired session are NOT_FOUND and change nothing', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 2, 10, 0, 0));
  const stack = stackOn(table, clock, topics);
  const { me, s, before } = await expiredSession(stack, clock, 'exp-svc', 'alice');
  const all = async () => stripVolatile([...(await partition(table, 'exp-svc', s.id)), ...(await holdItems('exp-svc'))]);
  const snapshot = await all();
  await domainError(() => stack.service.conversation.sendMessage(me, s.id, 'Hello?', null), 'NOT_FOUND');
  await domainError(() => stack.service.conversation.sendMessage(me, s.id, 'Hello?', 'retry-1'), 'NOT_FOUND');
  await domainError(() => stack.service.lifecycle.pause(me, s.id), 'NOT_FOUND');
  await domainError(() => stack.service.lifecycle.resume(me, s.id), 'NOT_FOUND');
  await domainError(() => stack.service.lifecycle.complete(me, s.id), 'NOT_FOUND');
  await domainError(() => stack.service.lifecycle.cancel(me, s.id), 'NOT_FOUND');
  expect(await all()).toEqual(snapshot);
  expect(stripVolatile(await partition(table, 'exp-svc', s.id))).toEqual(stripVolatile(before));
});

async function holdItems(tenantId: string): Promise<Item[]> {
  const key = holdKey(tenantId, 'brief');
  return (await scanAll(table)).filter((i) => i.pk === key.pk && i.sk === key.sk);
}

test('start after expiry creates a new session over the expired hold; the old one is not revived', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 3, 10, 0, 0, 5));
  const stack = stackOn(table, clock, topics);
  const { me, s, before } = await expiredSession(stack, clock, 'exp-start', 'alice');
  const oldSession = before.find((i) => i.sk === 'SESSION')!;

  const fresh = await stack.service.lifecycle.start(me, 'brief', false);
  expect(fresh.id).not.toBe(s.id);
  expect(fresh.status).toBe('ACTIVE');
  expect(fresh.messageCount).toBe(1);
  expect(fresh.expiresAt).toBe((sec(clock.now()) + ACTIVE_TTL) * 1000);

  const holds = await holdItems('exp-start');
  expect(holds).toHaveLength(1);
  expect(holds[0]).toMatchObject({ sessionId: fresh.id, status: 'ACTIVE', ttl: sec(clock.now()) + ACTIVE_TTL });

  // The old session's items are exactly as they were: same ttl, same version, same status.
  const oldNow = await partition(table, 'exp-start', s.id);
  expect(stripVolatile(oldNow)).toEqual(stripVolatile(before));
  expect(oldNow.find((i) => i.sk === 'SESSION')).toMatchObject({ ttl: oldSession.ttl, version: oldSession.version, status: 'ACTIVE' });
  expect(await stack.service.sessions.get(me, s.id)).toBeNull();
  expect((await stack.service.sessions.mySessions(me, null, 10, null)).sessions.map((x) => x.id)).toEqual([fresh.id]);
  expect(await stack.service.sessions.check(me, 'brief')).toMatchObject({ hasSession: true, sessionId: fresh.id });
});

test('another user of the tenant may take a topic whose holder expired', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 4, 10, 0, 0));
  const stack = stackOn(table, clock, topics);
  const { s } = await expiredSession(stack, clock, 'exp-take', 'alice');
  const bob = viewer('exp-take', 'bob');
  const taken = await stack.service.lifecycle.start(bob, 'brief', false);
  expect(taken.userId).toBe('bob');
  const check = await stack.service.sessions.check(viewer('exp-take', 'alice'), 'brief');
  expect(check).toMatchObject({ hasSession: false, conflict: true, conflictUserId: 'bob' });
  expect(await stack.service.sessions.get(viewer('exp-take', 'alice'), s.id)).toBeNull();
});

describe('repository writes over an expired session fail with StaleSessionError and revive nothing', () => {
  // Shortly after expiry, and two days after (DynamoDB has typically not deleted it yet):
  // in the second case the new ttl of a write would pass the children's ttl floor.
  for (const [label, lateBy] of [
    ['just expired', 0],
    ['expired two days ago', 2 * DAY],
  ] as const) {
    test(`${label}: appendMessage, pause (updateSession), complete, replaceSession`, async () => {
      const clock = new FakeClock(Date.UTC(2026, 5, 5, 10, 0, 0));
      const stack = stackOn(table, clock, topics);
      const tenant = `exp-repo-${lateBy}`;
      const { live, before } = await expiredSession(stack, clock, tenant, 'alice');
      clock.advance(lateBy);
      const now = clock.now();
      const snapshot = stripVolatile([...(await partition(table, tenant, live.id)), ...(await holdItems(tenant))]);

      const next: Session = { ...touched(live, 'ACTIVE', now, settings), messageCount: live.messageCount + 1 };
      const message: Message = { sessionId: live.id, seq: live.messageCount + 1, role: 'USER', content: 'late', createdAt: now };
      await expect(stack.repo.appendMessage(live, next, message, null, now)).rejects.toBeInstanceOf(StaleSessionError);
      await expect(stack.repo.appendMessage(live, next, { ...message, clientMessageId: 'late-1' }, 'late-1', now)).rejects.toBeInstanceOf(
        StaleSessionError,
      );
      await expect(stack.repo.updateSession(live, touched(live, 'PAUSED', now, settings), now)).rejects.toBeInstanceOf(StaleSessionError);
      const ended: Session = { ...live, status: 'COMPLETED', endedAt: now, updatedAt: now, version: live.version + 1, expiresAt: (sec(now) + TERMINAL_TTL) * 1000 };
      await expect(stack.repo.updateSession(live, ended, now)).rejects.toBeInstanceOf(StaleSessionError);
      const id = newSessionId(now);
      const replacement: Session = {
        ...live,
        id,
        status: 'ACTIVE',
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
        endedAt: null,
        expiresAt: (sec(now) + ACTIVE_TTL) * 1000,
        messageCount: 1,
        version: 1,
      };
      const opening: Message = { sessionId: id, seq: 1, role: 'ASSISTANT', content: 'hi', createdAt: now };
      const abandoned: Session = { ...ended, status: 'ABANDONED' };
      await expect(stack.repo.replaceSession(live, abandoned, replacement, opening, now)).rejects.toBeInstanceOf(StaleSessionError);
      expect(await partition(table, tenant, id)).toEqual([]);

      const after = stripVolatile([...(await partition(table, tenant, live.id)), ...(await holdItems(tenant))]);
      expect(after).toEqual(snapshot);
      // In particular no child got a fresh ttl: nothing of the session reads as live again.
      const items = await partition(table, tenant, live.id);
      for (const c of items.filter(isChild)) expect(c.ttl as number).toBeLessThanOrEqual(sec(live.expiresAt) + 86_400);
      expect(stripVolatile(items)).toEqual(stripVolatile(before));
      if (lateBy > DAY) {
        // The children's own ttl has passed too: none of them reads as present again.
        await expectChildrenGone(stack, now, tenant, live.id);
      }
    });
  }
});

test('a late sweep deleting expired items in random order never makes reads inconsistent', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 6, 10, 0, 0));
  const stack = stackOn(table, clock, topics);
  const tenant = 'exp-sweep';
  // Three generations for alice: completed-and-expired, cancelled-and-expired, live-then-expired.
  const me = viewer(tenant, 'alice');
  const a = await stack.service.lifecycle.start(me, 'brief', false);
  await stack.service.conversation.sendMessage(me, a.id, 'One.', 'k1');
  await stack.service.lifecycle.complete(me, a.id);
  clock.advance(MINUTE);
  const b = await stack.service.lifecycle.start(me, 'brief', false);
  await stack.service.conversation.sendMessage(me, b.id, 'Two.', 'k2');
  await stack.service.lifecycle.cancel(me, b.id);
  clock.advance(MINUTE);
  const c = await stack.service.lifecycle.start(me, 'brief', false);
  await stack.service.conversation.sendMessage(me, c.id, 'Three.', 'k3');
  await stack.service.lifecycle.pause(me, c.id);
  const expiredIds = [a.id, b.id, c.id];

  // Past every ttl of the three sessions, children included (those may trail by a day).
  clock.advance((ACTIVE_TTL + 86_400) * 1000 + 10_000);
  const nowSec = sec(clock.now());
  const everything = await scanAll(table);
  const expired = everything.filter((i) => String(i.pk).startsWith(`T#${tenant}#`) && (i.ttl as number) <= nowSec);
  // 3 x (session, 3 messages, 1 record, the owner's mention) + c's hold; a's outcome has no ttl (kept).
  expect(expired.length).toBe(3 * 6 + 1);

  const consistent = async () => {
    for (const id of expiredIds) await expectGone(stack, clock, tenant, 'alice', id, true);
  };
  const random = rng(20260606);
  const order = shuffle(expired, random);
  const half = Math.ceil(order.length / 2);
  // First half of the sweep: reads keep saying "nothing" after every deletion.
  expect(await sweep(table, order.slice(0, half), nowSec, consistent)).toBe(half);

  // Mid-sweep, alice starts again: a new session, whatever of the old hold is left.
  const fresh = await stack.service.lifecycle.start(me, 'brief', false);
  expect(expiredIds).not.toContain(fresh.id);
  await stack.service.conversation.sendMessage(me, fresh.id, 'Four.', 'k1'); // same clientMessageId as an old session: independent

  const freshIsIntact = async () => {
    for (const id of expiredIds) {
      expect(await stack.repo.getSession(tenant, id, clock.now())).toBeNull();
      expect(await stack.service.sessions.get(me, id)).toBeNull();
    }
    expect(await stack.service.sessions.check(me, 'brief')).toMatchObject({ hasSession: true, sessionId: fresh.id, status: 'ACTIVE' });
    const mine = await stack.service.sessions.mySessions(me, null, 10, null);
    expect(mine.sessions.map((s) => s.id)).toEqual([fresh.id]);
    const view = (await stack.service.sessions.get(me, fresh.id))!;
    expect(view.messageCount).toBe(3);
    const msgs = await stack.service.sessions.messages(me, view, { first: 10, after: null, last: null, before: null });
    expect(msgs.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  };
  // Second half: the sweeper must not take the new hold (its ttl is no longer past), and reads stay right.
  const deleted = await sweep(table, shuffle(order.slice(half), random), nowSec, freshIsIntact);
  const holdWasOverwritten = order.slice(half).some((i) => i.sk === 'HOLD');
  expect(deleted).toBe(order.length - half - (holdWasOverwritten ? 1 : 0));
  await freshIsIntact();

  // Nothing of the three old sessions is left but the user's kept outcome of the completed one;
  // the new session is complete (with its owner's mention).
  const left = (await scanAll(table)).filter((i) => String(i.pk).startsWith(`T#${tenant}#`));
  expect(left.filter((i) => expiredIds.some((id) => String(i.pk).endsWith(id)))).toEqual([]);
  // And the month's usage counters (the topic's and the user's), which expire with their month.
  expect(left.map((i) => i.sk).sort()).toEqual(['CMID#k1', 'HOLD', 'MENTION#alice', 'MSG#00000001', 'MSG#00000002', 'MSG#00000003', 'OUTCOME#brief', 'SESSION', 'USAGE#2026-06', 'USAGE#2026-06']);
  expect(left.find((i) => i.sk === 'OUTCOME#brief')).toMatchObject({ sessionId: a.id });
});

test('partial sweeps: a session item gone but its hold and messages left (and the reverse) read as absent', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 7, 10, 0, 0));
  const stack = stackOn(table, clock, topics);
  const tenant = 'exp-partial';
  const { s } = await expiredSession(stack, clock, tenant, 'alice');
  clock.advance(DAY + MINUTE); // children expired too
  const items = [...(await partition(table, tenant, s.id)), ...(await holdItems(tenant))];
  const sessionItem = items.filter((i) => i.sk === 'SESSION');
  expect(await sweep(table, sessionItem, sec(clock.now()))).toBe(1);
  await expectGone(stack, clock, tenant, 'alice', s.id, true);
  // Restore the session item, sweep only the hold.
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: sessionItem[0] }));
  expect(await sweep(table, items.filter((i) => i.sk === 'HOLD'), sec(clock.now()))).toBe(1);
  await expectGone(stack, clock, tenant, 'alice', s.id, true);
  const fresh = await stack.service.lifecycle.start(viewer(tenant, 'alice'), 'brief', false);
  expect(fresh.id).not.toBe(s.id);
});

import { DAY, FakeClock, HOUR } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';

/** The idle topic's hold (its partition also keeps the topic's monthly usage counters, which outlive sessions). */
const isIdleHold = (i: Record<string, unknown>) => String(i.pk).includes('#TOPIC#idle') && i.sk === 'HOLD';
import { catalog, domainError, Item, rng, scanAll, sec, shuffle, stackOn, sweep, topic, viewer } from '../support/store-helpers';

// TTL as DynamoDB really behaves: a reaper that deletes expired items late (0-48 h after
// their ttl) and in random order, running every simulated day for 50 days, while
// sessions are used, left alone and ended. DynamoDB Local's own TTL is off on this table.

const SLACK = 86_400; // children may outlive their session by at most a day
const MAX_LATENESS = 2 * DAY;
const topics = catalog(topic('long'), topic('idle'), topic('ended'));

let table: TestTable;
beforeAll(async () => (table = await createTestTable({ ttl: false })));
afterAll(() => table.drop());

test('50 simulated days with a late, random reaper: the kept-alive conversation keeps its first message; the idle session expires whole; nothing expired is shown or revived', async () => {
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 8, 0, 0));
  const { service, repo } = stackOn(table, clock, topics);
  const random = rng(424242);
  const tenant = 'reaper';
  const talker = viewer(tenant, 'talker');
  const idler = viewer(tenant, 'idler');
  const ender = viewer(tenant, 'ender');
  const other = viewer(tenant, 'other');

  const long = await service.lifecycle.start(talker, 'long', false);
  const idle = await service.lifecycle.start(idler, 'idle', false);
  await service.conversation.sendMessage(idler, idle.id, 'I will be back, maybe.', 'i-1');
  const ended = await service.lifecycle.start(ender, 'ended', false);
  await service.conversation.sendMessage(ender, ended.id, 'One thing before I go.', 'e-1');
  await service.lifecycle.complete(ender, ended.id);

  /** Last known ttl of every session (kept after the item itself is reaped). */
  const sessionTtl = new Map<string, number>();
  // An outcome names its session but is the user's (no session ttl): not part of the session.
  const sessionOf = (i: Item) => (i.type === 'OUTCOME' ? undefined : (/#S#(ses_\w+)$/.exec(String(i.pk))?.[1] ?? (i.sessionId as string | undefined)));
  const figures = { days: 0, reaped: 0, maxExpiredVisibleItems: 0, longMessages: 0, orphanViolations: [] as string[] };
  let idleGoneAt: number | null = null;
  let endedGoneAt: number | null = null;
  const idleExpiry = (await repo.getSession(tenant, idle.id, clock.now()))!.expiresAt;

  for (let day = 1; day <= 50; day++) {
    // Uneven days, so that ttl boundaries fall anywhere between two reaper passes.
    clock.advance(DAY + ((day * 7) % 5) * HOUR - 2 * HOUR);
    const now = clock.now();
    const nowSec = sec(now);

    // The talker keeps the conversation alive once a day for 40 days.
    if (day <= 40) {
      const r = await service.conversation.sendMessage(talker, long.id, `Day ${day}: still here.`, day % 5 === 0 ? `d-${day}` : null);
      expect(r.session.messageCount).toBe(1 + 2 * day);
    }

    // The reaper: items whose ttl passed at least a random 0-48 h ago, in random order, each
    // deleted only if still expired (as DynamoDB does).
    const items = await scanAll(table);
    for (const i of items) if (i.sk === 'SESSION') sessionTtl.set(i.sessionId as string, i.ttl as number);
    const due = items.filter((i) => (i.ttl as number) <= nowSec - Math.floor((random() * MAX_LATENESS) / 1000));
    figures.reaped += await sweep(table, shuffle(due, random), nowSec);
    figures.days++;

    // No item outlives its session by more than a day (by ttl), whoever deletes it when.
    const left = await scanAll(table);
    figures.maxExpiredVisibleItems = Math.max(figures.maxExpiredVisibleItems, left.filter((i) => (i.ttl as number) <= nowSec).length);
    for (const i of left) {
      const id = sessionOf(i);
      const st = id ? sessionTtl.get(id) : undefined;
      if (st !== undefined && (i.ttl as number) > st + SLACK && i.sk !== 'SESSION') {
        figures.orphanViolations.push(`day ${day}: ${i.pk}/${i.sk} ttl ${i.ttl} > session ttl ${st} + 1 day`);
      }
    }

    // The kept-alive conversation: whole, first message included, every step.
    if (day <= 40) {
      const view = (await service.sessions.get(talker, long.id))!;
      expect(view.status).toBe('ACTIVE');
      const page = await service.sessions.messages(talker, view, { first: 100, after: null, last: null, before: null });
      expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: view.messageCount }, (_, k) => k + 1));
      expect(page.messages[0]).toMatchObject({ seq: 1, role: 'ASSISTANT', content: 'Welcome to long.' });
      figures.longMessages = page.messages.length;
    }

    // The idle session: visible and resumable until its expiry, then absent at once, deleted or not.
    if (now < idleExpiry) {
      expect(await service.sessions.check(idler, 'idle')).toMatchObject({ hasSession: true, sessionId: idle.id });
    } else {
      expect(await service.sessions.get(idler, idle.id)).toBeNull();
      expect(await service.sessions.check(idler, 'idle')).toMatchObject({ hasSession: false, conflict: false });
      expect((await service.sessions.mySessions(idler, null, 10, null)).sessions).toEqual([]);
      // A write does not revive it: NOT_FOUND, and no item's ttl moves.
      const before = (await scanAll(table)).filter((i) => sessionOf(i) === idle.id || isIdleHold(i));
      await domainError(() => service.conversation.sendMessage(idler, idle.id, 'Hello again?', 'i-1'), 'NOT_FOUND');
      await domainError(() => service.lifecycle.resume(idler, idle.id), 'NOT_FOUND');
      const after = (await scanAll(table)).filter((i) => sessionOf(i) === idle.id || isIdleHold(i));
      expect(after.map((i) => `${i.sk}:${i.ttl}`).sort()).toEqual(
        before.filter((b) => after.some((a) => a.pk === b.pk && a.sk === b.sk)).map((i) => `${i.sk}:${i.ttl}`).sort(),
      );
      if (idleGoneAt === null && after.length === 0) idleGoneAt = day;
    }
    if (endedGoneAt === null && !left.some((i) => sessionOf(i) === ended.id)) endedGoneAt = day;
  }

  // Expired whole: nothing of the idle or ended sessions is left, and no more than a day + the
  // reaper's lateness after their expiry.
  const final = await scanAll(table);
  expect(final.filter((i) => sessionOf(i) === idle.id)).toEqual([]);
  expect(final.filter((i) => sessionOf(i) === ended.id)).toEqual([]);
  // ...while the user's outcome of the completed one is kept (Topic.myResult outlives the session).
  expect(final.filter((i) => i.type === 'OUTCOME' && i.sessionId === ended.id)).toHaveLength(1);
  expect(idleGoneAt).not.toBeNull();
  expect(idleGoneAt! * DAY).toBeLessThanOrEqual(idleExpiry - Date.UTC(2026, 2, 1, 8, 0, 0) + DAY + MAX_LATENESS + 3 * DAY);
  expect(endedGoneAt).not.toBeNull();
  expect(figures.orphanViolations).toEqual([]);
  // After the idle session expired, the topic is free: another user of the tenant gets a new session.
  const fresh = await service.lifecycle.start(other, 'idle', false);
  expect(fresh.id).not.toBe(idle.id);
  // The long conversation ended its 40 days with all 81 messages, and 10 idle days later (its
  // 30-day TTL runs from the last activity) it is still whole, first message included.
  expect(figures.longMessages).toBe(81);
  const view = (await service.sessions.get(talker, long.id))!;
  expect(view).toMatchObject({ status: 'ACTIVE', messageCount: 81, isIdle: true });
  const page = await service.sessions.messages(talker, view, { first: 100, after: null, last: null, before: null });
  expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 81 }, (_, k) => k + 1));
  console.log(`ttl reaper figures: ${JSON.stringify({ ...figures, orphanViolations: figures.orphanViolations.length, idleGoneAt, endedGoneAt })}`);
});

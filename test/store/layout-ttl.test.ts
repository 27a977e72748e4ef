import { DAY, FakeClock, HOUR, MINUTE } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import {
  bySk,
  catalog,
  isChild,
  isMessage,
  isRecord,
  Item,
  partition,
  scanAll,
  sec,
  stackOn,
  topic,
  viewer,
} from '../support/store-helpers';
import { CHILD_SLACK_MS } from '../../src/domain/child-ttl';
import { DEFAULT_SETTINGS } from '../../src/defaults';

const SLACK = 86_400;
const ACTIVE_TTL = 7 * 24 * 3600;
const TERMINAL_TTL = 2 * 24 * 3600;

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

const topics = catalog(topic('layout', { activeTtlSeconds: ACTIVE_TTL, terminalTtlSeconds: TERMINAL_TTL }), topic('long'));

test('the documented child slack is one day', () => {
  expect(CHILD_SLACK_MS).toBe(SLACK * 1000);
});

describe('key layout', () => {
  test('start + messages write exactly the documented items; ids with "#" are encoded', async () => {
    // A fresh table of its own, so the scan sees only this test's items.
    const own = await createTestTable();
    try {
      const clock = new FakeClock(Date.UTC(2026, 2, 3, 10, 0, 0, 250));
      const { service } = stackOn(own, clock, topics);
      const me = viewer('acme#1', 'u#x/y');
      const s = await service.lifecycle.start(me, 'layout', false);
      clock.advance(MINUTE);
      await service.conversation.sendMessage(me, s.id, 'First thing.', 'c-1');
      clock.advance(MINUTE);
      const last = await service.conversation.sendMessage(me, s.id, 'Second thing.', null);

      const items = await scanAll(own);
      const spk = `T#acme%231#S#${s.id}`;
      const keys = items.map((i) => `${i.pk}|${i.sk}`).sort();
      expect(keys).toEqual(
        [
          `${spk}|SESSION`,
          `${spk}|MSG#00000001`,
          `${spk}|MSG#00000002`,
          `${spk}|MSG#00000003`,
          `${spk}|MSG#00000004`,
          `${spk}|MSG#00000005`,
          `${spk}|CMID#c-1`,
          `${spk}|MENTION#u%23x%2Fy`,
          `T#acme%231#TOPIC#layout|HOLD`,
          // The month's usage counters: the topic's beside its hold, the user's in their partition.
          `T#acme%231#TOPIC#layout|USAGE#2026-03`,
          `T#acme%231#USER#u%23x%2Fy|USAGE#2026-03`,
        ].sort(),
      );
      // No raw "#" from a tenant or user id leaks into any key.
      for (const i of items) {
        expect(String(i.pk)).not.toContain('acme#1');
        expect(String(i.pk)).not.toContain('u#x');
      }

      const byKey = new Map(items.map((i) => [`${i.pk}|${i.sk}`, i]));
      const session = byKey.get(`${spk}|SESSION`)!;
      expect(session).toMatchObject({
        type: 'SESSION',
        sessionId: s.id,
        tenantId: 'acme#1',
        userId: 'u#x/y',
        topicId: 'layout',
        status: 'ACTIVE',
        messageCount: 5,
        lastSeq: 5,
        gsi1pk: 'T#acme%231#U#u%23x%2Fy',
        // byUser's sort key moves by the minute (a message within the minute writes no index).
        gsi1sk: `${new Date(last.session.lastActivityAt - (last.session.lastActivityAt % 60_000)).toISOString()}#${s.id}`,
      });
      expect(session.version).toBe(last.session.version);

      // The hold: who holds the topic and what sessionCheck shows (no message count: replies never write it).
      const hold = byKey.get('T#acme%231#TOPIC#layout|HOLD')!;
      expect(hold).toEqual({
        pk: 'T#acme%231#TOPIC#layout',
        sk: 'HOLD',
        type: 'HOLD',
        sessionId: s.id,
        tenantId: 'acme#1',
        userId: 'u#x/y',
        topicId: 'layout',
        status: 'ACTIVE',
        lastActivityAt: new Date(last.session.lastActivityAt).toISOString(),
        turnCount: 2,
        ttl: last.session.expiresAt / 1000,
      });

      // In the byUser index: the session under the user's sessions, its owner's mention under their mentions.
      expect(byKey.get(`${spk}|MENTION#u%23x%2Fy`)).toMatchObject({
        type: 'MENTION',
        userId: 'u#x/y',
        owner: true,
        gsi1pk: 'T#acme%231#M#u%23x%2Fy',
        gsi1sk: `S#${s.id}`,
      });
      for (const i of items) {
        if (i.sk === 'SESSION' || String(i.sk).startsWith('MENTION#')) continue;
        expect(i).not.toHaveProperty('gsi1pk');
        expect(i).not.toHaveProperty('gsi1sk');
      }

      const messages = items.filter(isMessage).sort(bySk);
      expect(messages.map((m) => [m.seq, m.role])).toEqual([
        [1, 'ASSISTANT'],
        [2, 'USER'],
        [3, 'ASSISTANT'],
        [4, 'USER'],
        [5, 'ASSISTANT'],
      ]);
      expect(messages.every((m) => m.type === 'MESSAGE')).toBe(true);
      expect(messages[1]).toMatchObject({ content: 'First thing.', clientMessageId: 'c-1', authorId: 'u#x/y' });
      expect(messages[1]).not.toHaveProperty('replyTo');
      // Each reply names the message it answers (and its client id); the opening answers nothing.
      expect(messages[2]).toMatchObject({ replyTo: 2, clientMessageId: 'c-1' });
      expect(messages[2]).not.toHaveProperty('authorId');
      expect(messages[3]).not.toHaveProperty('clientMessageId');
      expect(messages[4]).toMatchObject({ replyTo: 4 });
      expect(messages[0]).not.toHaveProperty('replyTo');

      const record = byKey.get(`${spk}|CMID#c-1`)!;
      expect(record).toEqual({ pk: spk, sk: 'CMID#c-1', type: 'CLIENT_MESSAGE', userSeq: 2, ttl: expect.any(Number) });

      // Completing the session removes the hold and records the user's outcome (in their own partition).
      await service.lifecycle.complete(me, s.id);
      const after = (await scanAll(own)).map((i) => `${i.pk}|${i.sk}`).sort();
      expect(after).toEqual([...keys.filter((k) => !k.endsWith('|HOLD')), 'T#acme%231#USER#u%23x%2Fy|OUTCOME#layout'].sort());
    } finally {
      await own.drop();
    }
  });

  test('users whose ids only differ around "#" get separate index partitions', async () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 4, 8, 0, 0));
    const { service } = stackOn(table, clock, catalog(topic('sep-a'), topic('sep-b')));
    // Unencoded, "a" + "#U#b" style ids could collide with a crafted tenant/user pair.
    const one = viewer('t', 'a#U#b');
    const two = viewer('t#U#a', 'b');
    const s1 = await service.lifecycle.start(one, 'sep-a', false);
    const s2 = await service.lifecycle.start(two, 'sep-b', false);
    expect((await service.sessions.mySessions(one, null, 10, null)).sessions.map((s) => s.id)).toEqual([s1.id]);
    expect((await service.sessions.mySessions(two, null, 10, null)).sessions.map((s) => s.id)).toEqual([s2.id]);
    expect(await service.sessions.get(one, s2.id)).toBeNull();
  });
});

describe('ttl attribute values', () => {
  const expectChildrenWithin = (items: Item[], sessionTtl: number) => {
    const children = items.filter(isChild);
    expect(children.length).toBeGreaterThan(0);
    for (const c of children) {
      expect(typeof c.ttl).toBe('number');
      expect(c.ttl as number).toBeGreaterThanOrEqual(sessionTtl);
      expect(c.ttl as number).toBeLessThanOrEqual(sessionTtl + SLACK);
    }
  };

  test('live: ttl = floor(lastActivityAt) + activeTtl on session and hold, refreshed by every write; terminal: endedAt + terminalTtl', async () => {
    const t0 = Date.UTC(2026, 3, 1, 12, 0, 0, 999); // sub-second part must be floored, not rounded
    const clock = new FakeClock(t0);
    const { service } = stackOn(table, clock, topics);
    const me = viewer('ttl-tenant', 'ttl-user');
    const holdPk = `T#ttl-tenant#TOPIC#layout`;

    const state = async (sessionId: string) => {
      const items = await partition(table, 'ttl-tenant', sessionId);
      const hold = (await scanAll(table)).find((i) => i.pk === holdPk && i.sk === 'HOLD');
      const session = items.find((i) => i.sk === 'SESSION')!;
      for (const i of [...items, ...(hold ? [hold] : [])]) {
        expect(typeof i.ttl).toBe('number');
        expect(Number.isInteger(i.ttl)).toBe(true);
      }
      return { items, session, hold };
    };

    const s = await service.lifecycle.start(me, 'layout', false);
    let st = await state(s.id);
    expect(st.session.ttl).toBe(Math.floor(t0 / 1000) + ACTIVE_TTL);
    expect(st.hold?.ttl).toBe(st.session.ttl);
    expect(s.expiresAt).toBe((st.session.ttl as number) * 1000);
    expectChildrenWithin(st.items, st.session.ttl as number);

    // message
    clock.advance(3 * HOUR + 501);
    const sent = await service.conversation.sendMessage(me, s.id, 'Hello there.', 'cm-1');
    st = await state(s.id);
    expect(st.session.ttl).toBe(sec(clock.now()) + ACTIVE_TTL);
    expect(st.hold?.ttl).toBe(st.session.ttl);
    expect(sent.session.expiresAt).toBe((st.session.ttl as number) * 1000);
    expectChildrenWithin(st.items, st.session.ttl as number);

    // pause
    clock.advance(2 * DAY + 7);
    const paused = await service.lifecycle.pause(me, s.id);
    st = await state(s.id);
    expect(st.session.ttl).toBe(sec(clock.now()) + ACTIVE_TTL);
    expect(st.hold).toMatchObject({ ttl: st.session.ttl, status: 'PAUSED' });
    expect(paused.expiresAt).toBe((st.session.ttl as number) * 1000);
    expectChildrenWithin(st.items, st.session.ttl as number);

    // resume (after more than a day, so the children have to follow)
    clock.advance(3 * DAY + 123);
    await service.lifecycle.resume(me, s.id);
    st = await state(s.id);
    expect(st.session.ttl).toBe(sec(clock.now()) + ACTIVE_TTL);
    expect(st.hold).toMatchObject({ ttl: st.session.ttl, status: 'ACTIVE' });
    expectChildrenWithin(st.items, st.session.ttl as number);

    // start of a held PAUSED session resumes it and refreshes too
    await service.lifecycle.pause(me, s.id);
    clock.advance(5 * HOUR);
    const resumed = await service.lifecycle.start(me, 'layout', false);
    expect(resumed.id).toBe(s.id);
    st = await state(s.id);
    expect(st.session.ttl).toBe(sec(clock.now()) + ACTIVE_TTL);
    expect(st.hold?.ttl).toBe(st.session.ttl);

    // complete: terminal ttl from endedAt, hold gone, children follow down
    clock.advance(4 * HOUR + 333);
    const endedAt = clock.now();
    const done = await service.lifecycle.complete(me, s.id);
    st = await state(s.id);
    expect(st.hold).toBeUndefined();
    expect(st.session.endedAt).toBe(new Date(endedAt).toISOString());
    expect(st.session.ttl).toBe(Math.floor(endedAt / 1000) + TERMINAL_TTL);
    expect(done.expiresAt).toBe((st.session.ttl as number) * 1000);
    expectChildrenWithin(st.items, st.session.ttl as number);
    expect(st.items.filter(isRecord)).toHaveLength(1);
  });

  test('cancel: terminal ttl from endedAt on the session, children within a day of it', async () => {
    const clock = new FakeClock(Date.UTC(2026, 3, 2, 6, 30, 0, 42));
    const { service } = stackOn(table, clock, topics);
    const me = viewer('ttl-tenant-2', 'x');
    const s = await service.lifecycle.start(me, 'layout', false);
    for (let i = 0; i < 3; i++) {
      clock.advance(DAY + 11 * MINUTE);
      await service.conversation.sendMessage(me, s.id, `Note ${i}.`, `n${i}`);
    }
    clock.advance(HOUR);
    const endedAt = clock.now();
    await service.lifecycle.cancel(me, s.id);
    const items = await partition(table, 'ttl-tenant-2', s.id);
    const session = items.find((i) => i.sk === 'SESSION')!;
    expect(session.status).toBe('CANCELLED');
    expect(session.ttl).toBe(Math.floor(endedAt / 1000) + TERMINAL_TTL);
    expectChildrenWithin(items, session.ttl as number);
  });

  test('a 40-day conversation keeps its first message, and no child outlives the session by more than a day', async () => {
    const clock = new FakeClock(Date.UTC(2026, 4, 1, 9, 0, 0, 500));
    const { service } = stackOn(table, clock, topics);
    const me = viewer('long-tenant', 'talker');
    const s = await service.lifecycle.start(me, 'long', false);
    expect(DEFAULT_SETTINGS.activeTtlSeconds).toBe(30 * DAY / 1000);

    for (let day = 1; day <= 40; day++) {
      // Uneven steps: a day, sometimes a little more or less.
      clock.advance(DAY + ((day * 37) % 120) * MINUTE - 45 * MINUTE);
      const r = await service.conversation.sendMessage(me, s.id, `Day ${day}: still thinking.`, day % 3 === 0 ? `d${day}` : null);
      expect(r.session.messageCount).toBe(1 + 2 * day);

      const items = await partition(table, 'long-tenant', s.id);
      const session = items.find((i) => i.sk === 'SESSION')!;
      const sessionTtl = session.ttl as number;
      expect(sessionTtl).toBe(sec(clock.now()) + DEFAULT_SETTINGS.activeTtlSeconds);
      const first = items.find((i) => i.sk === 'MSG#00000001')!;
      expect(first).toBeDefined();
      expect(first.ttl as number).toBeGreaterThanOrEqual(sessionTtl);
      expect(first.ttl as number).toBeLessThanOrEqual(sessionTtl + SLACK);
      for (const c of items.filter(isChild)) {
        expect(c.ttl as number).toBeGreaterThanOrEqual(sessionTtl);
        expect(c.ttl as number).toBeLessThanOrEqual(sessionTtl + SLACK);
      }
    }

    // The whole conversation is still readable on day 40 (more than the 30-day active ttl).
    const view = (await service.sessions.get(me, s.id))!;
    const page = await service.sessions.messages(me, view, { first: 100, after: null, last: null, before: null });
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));

    clock.advance(6 * HOUR);
    const endedAt = clock.now();
    await service.lifecycle.complete(me, s.id);
    const items = await partition(table, 'long-tenant', s.id);
    const session = items.find((i) => i.sk === 'SESSION')!;
    expect(session.ttl).toBe(Math.floor(endedAt / 1000) + DEFAULT_SETTINGS.terminalTtlSeconds);
    const children = items.filter(isChild);
    expect(children.length).toBe(81 + 13);
    for (const c of children) {
      expect(c.ttl as number).toBeLessThanOrEqual((session.ttl as number) + SLACK);
      expect(c.ttl as number).toBeGreaterThanOrEqual(session.ttl as number);
    }
  });
});

import { DAY, FakeClock, HOUR } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import {
  bySk,
  catalog,
  independentStack,
  isChild,
  isMessage,
  Item,
  partition,
  scanAll,
  sec,
  Stack,
  stackOn,
  TickingClock,
  topic,
  viewer,
} from '../support/store-helpers';
import { DomainError } from '../../src/domain/errors';
import { Message, Session, touched } from '../../src/domain/session';
import { StaleSessionError } from '../../src/sessions/repository';
import { SendMessageResult } from '../../src/conversation/turn-writes';

const topics = catalog(topic('race'), topic('tabs'), topic('other'));

let table: TestTable;
let one: Stack;
let two: Stack;
const clock = new TickingClock(Date.UTC(2026, 6, 1, 9, 0, 0));

beforeAll(async () => {
  table = await createTestTable();
  // Two "processes": separate repositories, services and DynamoDB clients on one table.
  one = independentStack(table, clock, topics);
  two = independentStack(table, clock, topics);
});
afterAll(async () => {
  one.close();
  two.close();
  await table.drop();
});

const tenantItems = async (tenantId: string) => (await scanAll(table)).filter((i) => String(i.pk).startsWith(`T#${tenantId}#`));
const sessionsOf = (items: Item[]) => items.filter((i) => i.sk === 'SESSION');
const holdsOf = (items: Item[]) => items.filter((i) => i.sk === 'HOLD');
const pick = (i: number) => (i % 2 === 0 ? one : two);

describe('startSession races', () => {
  test('50 users of one tenant, two processes: exactly one session, 49 SESSION_CONFLICT naming the winner', async () => {
    const tenant = 'race-50';
    const users = Array.from({ length: 50 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
    const results = await Promise.allSettled(users.map((u, i) => pick(i).service.lifecycle.start(viewer(tenant, u), 'race', false)));

    const items = await tenantItems(tenant);
    const sessions = sessionsOf(items);
    expect(sessions).toHaveLength(1);
    const winner = sessions[0].userId as string;
    expect(holdsOf(items)).toHaveLength(1);
    expect(holdsOf(items)[0]).toMatchObject({ sessionId: sessions[0].sessionId, userId: winner, status: 'ACTIVE' });
    expect(items.filter(isMessage)).toHaveLength(1); // the one opening message

    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [[users[i], r.value] as const] : []));
    expect(won).toHaveLength(1);
    expect(won[0][0]).toBe(winner);
    expect(won[0][1].id).toBe(sessions[0].sessionId);

    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(lost).toHaveLength(49);
    for (const e of lost) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('SESSION_CONFLICT');
      expect((e as DomainError).details.conflictUserId).toBe(winner);
    }
    // Everyone now sees the same holder.
    const check = await two.service.sessions.check(viewer(tenant, 'user-99'), 'race');
    expect(check).toMatchObject({ conflict: true, conflictUserId: winner, hasSession: false });
  });

  test('20 simultaneous starts by one user: one session, every call returns it', async () => {
    const tenant = 'race-same';
    const me = viewer(tenant, 'solo');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).service.lifecycle.start(me, 'race', false)));
    const sessions = sessionsOf(await tenantItems(tenant));
    expect(sessions).toHaveLength(1);
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([sessions[0].sessionId]));
    expect(results.every((r) => r.status === 'ACTIVE' && r.userId === 'solo')).toBe(true);
    const items = await partition(table, tenant, sessions[0].sessionId as string);
    expect(items.filter(isMessage)).toHaveLength(1);
  });

  test('simultaneous starts in different tenants do not interfere', async () => {
    const tenants = Array.from({ length: 8 }, (_, i) => `race-tenant-${i}`);
    const calls = tenants.flatMap((t, ti) =>
      Array.from({ length: 5 }, (_, ui) => ({ tenant: t, user: `u${ui}`, stack: pick(ti + ui) })),
    );
    const results = await Promise.allSettled(calls.map((c) => c.stack.service.lifecycle.start(viewer(c.tenant, c.user), 'race', false)));
    for (const t of tenants) {
      const items = await tenantItems(t);
      const sessions = sessionsOf(items);
      expect(sessions).toHaveLength(1);
      expect(holdsOf(items)).toHaveLength(1);
      const winner = sessions[0].userId;
      const mine = calls.map((c, i) => ({ c, r: results[i] })).filter(({ c }) => c.tenant === t);
      expect(mine.filter(({ r }) => r.status === 'fulfilled').map(({ c }) => c.user)).toEqual([winner]);
      for (const { r } of mine.filter(({ r }) => r.status === 'rejected')) {
        const e = (r as PromiseRejectedResult).reason as DomainError;
        expect(e.code).toBe('SESSION_CONFLICT');
        expect(e.details.conflictUserId).toBe(winner); // never a user of another tenant
      }
    }
  });
});

describe('message races', () => {
  test('two tabs sending 20 messages each, interleaved: 81 messages, seqs 1..81, each tab in its own order', async () => {
    const tenant = 'tabs';
    const me = viewer(tenant, 'writer');
    const s = await one.service.lifecycle.start(me, 'tabs', false);
    const tab = async (stack: Stack, name: string) => {
      const out: SendMessageResult[] = [];
      for (let i = 0; i < 20; i++) out.push(await stack.service.conversation.sendMessage(me, s.id, `${name} says ${i}.`, null));
      return out;
    };
    const [a, b] = await Promise.all([tab(one, 'A'), tab(two, 'B')]);

    const session = (await one.service.sessions.get(me, s.id))!;
    const items = await partition(table, tenant, s.id);
    const messages = items.filter(isMessage).sort(bySk);
    expect(session.messageCount).toBe(81);
    expect(messages).toHaveLength(81);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    expect(sessionsOf(items)[0].messageCount).toBe(81);

    const bySeq = new Map(messages.map((m) => [m.seq as number, m]));
    for (const [name, results] of [
      ['A', a],
      ['B', b],
    ] as const) {
      // The tab's user messages are stored in the order it sent them...
      const own = messages.filter((m) => m.role === 'USER' && String(m.content).startsWith(`${name} says`));
      expect(own.map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `${name} says ${i}.`));
      // ...and what each call returned is what is stored, each reply after its message.
      let lastSeq = 0;
      for (const r of results) {
        expect(r.message.seq).toBeGreaterThan(lastSeq);
        expect(r.reply.seq).toBeGreaterThan(r.message.seq);
        lastSeq = r.reply.seq;
        expect(bySeq.get(r.message.seq)).toMatchObject({ role: 'USER', content: r.message.content });
        expect(bySeq.get(r.reply.seq)).toMatchObject({ role: 'ASSISTANT', content: r.reply.content });
      }
    }
    // 40 user messages and 40 replies besides the opening.
    expect(messages.filter((m) => m.role === 'USER')).toHaveLength(40);
    expect(messages.filter((m) => m.role === 'ASSISTANT')).toHaveLength(41);
  });

  test('one clientMessageId sent 5 times at once: one message, one reply, the same seqs for every call', async () => {
    const tenant = 'cmid';
    const me = viewer(tenant, 'retrier');
    const s = await one.service.lifecycle.start(me, 'other', false);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => pick(i).service.conversation.sendMessage(me, s.id, 'Did this arrive?', 'net-retry-7')),
    );
    const items = await partition(table, tenant, s.id);
    const messages = items.filter(isMessage).sort(bySk);
    expect(messages.map((m) => [m.seq, m.role])).toEqual([
      [1, 'ASSISTANT'],
      [2, 'USER'],
      [3, 'ASSISTANT'],
    ]);
    // The record names the message; its reply is the one at the seq after it, answering it.
    expect(items.filter((i) => String(i.sk).startsWith('CMID#'))).toEqual([expect.objectContaining({ sk: 'CMID#net-retry-7', userSeq: 2 })]);
    expect(messages[2]).toMatchObject({ replyTo: 2, clientMessageId: 'net-retry-7' });
    expect(sessionsOf(items)[0].messageCount).toBe(3);
    for (const r of results) {
      expect(r.message).toMatchObject({ seq: 2, role: 'USER', content: 'Did this arrive?' });
      expect(r.reply).toMatchObject({ seq: 3, role: 'ASSISTANT', content: messages[2].content });
    }
    // A later retry still replays without writing.
    const again = await two.service.conversation.sendMessage(me, s.id, 'Did this arrive?', 'net-retry-7');
    expect([again.message.seq, again.reply.seq]).toEqual([2, 3]);
    expect((await partition(table, tenant, s.id)).filter(isMessage)).toHaveLength(3);
  });
});

describe('complete racing sendMessage', () => {
  test('20 sessions: nothing is stored after the end, and counts agree', async () => {
    const n = 20;
    const viewers = Array.from({ length: n }, (_, i) => viewer(`end-race-${i}`, `u${i}`));
    const sessions = await Promise.all(viewers.map((v, i) => pick(i).service.lifecycle.start(v, 'race', false)));
    // Half of them have been idle for two days, so a message must also refresh the children's ttl.
    clock.advance(2 * DAY);
    const outcomes = await Promise.all(
      viewers.map(async (v, i) => {
        const [send, done] = await Promise.allSettled([
          pick(i).service.conversation.sendMessage(v, sessions[i].id, `Last words ${i}.`, i % 2 ? `last-${i}` : null),
          pick(i + 1).service.lifecycle.complete(v, sessions[i].id),
        ]);
        return { send, done };
      }),
    );
    const ttlViolations: string[] = [];
    for (let i = 0; i < n; i++) {
      const { send, done } = outcomes[i];
      expect(done.status).toBe('fulfilled');
      const ended = (done as PromiseFulfilledResult<Awaited<ReturnType<typeof one.service.lifecycle.complete>>>).value;
      expect(ended.status).toBe('COMPLETED');
      const items = await partition(table, viewers[i].tenantId, sessions[i].id);
      const session = sessionsOf(items)[0];
      const messages = items.filter(isMessage).sort(bySk);
      expect(session.status).toBe('COMPLETED');
      const endedAt = Date.parse(session.endedAt as string);
      expect(session.messageCount).toBe(messages.length);
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: messages.length }, (_, k) => k + 1));
      for (const m of messages) expect(Date.parse(m.createdAt as string)).toBeLessThanOrEqual(endedAt);
      expect(messages.length === 1 || messages.length === 2 || messages.length === 3).toBe(true);

      if (send.status === 'fulfilled') {
        // Acknowledged before the end: both stored, within the final count.
        expect(messages.length).toBe(3);
        expect(send.value.message.seq).toBe(2);
        expect(send.value.reply.seq).toBe(3);
        expect(send.value.reply.createdAt).toBeLessThanOrEqual(endedAt);
      } else {
        const e = send.reason as DomainError;
        expect(e).toBeInstanceOf(DomainError);
        expect(e.code).toBe('SESSION_NOT_LIVE');
        // Refused: at most its user message landed before the end, never a reply.
        expect(messages.length).toBeLessThanOrEqual(2);
        if (messages.length === 2) expect(messages[1]).toMatchObject({ role: 'USER', content: `Last words ${i}.` });
      }
      // No child outlives the (terminal) session by more than a day, nor expires before it.
      for (const c of items.filter(isChild)) {
        const t = c.ttl as number;
        const st = session.ttl as number;
        if (t < st || t > st + 86_400) ttlViolations.push(`${c.pk}/${c.sk}: ttl ${t}, session ttl ${st} (+${t - st} s)`);
      }
      // The session is read-only now.
      await expect(one.service.conversation.sendMessage(viewers[i], sessions[i].id, 'More?', null)).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
    }
    expect(ttlViolations).toEqual([]);
  });

  test('a writer that read the session before it ended (and needs a child refresh) does not raise the children afterwards', async () => {
    // The interleaving of the race above, made deterministic: read, complete, then the stale write.
    const fake = new FakeClock(Date.UTC(2026, 6, 10, 9, 0, 0));
    const stack = stackOn(table, fake, topics);
    const me = viewer('stale-writer', 'w');
    const s = await stack.service.lifecycle.start(me, 'race', false);
    await stack.service.conversation.sendMessage(me, s.id, 'Hello.', 'h1');
    fake.advance(2 * DAY);
    const read = (await stack.repo.getSession(me.tenantId, s.id, fake.now()))!;
    await stack.service.lifecycle.complete(me, s.id);

    const now = fake.now();
    const settings = topics.get('race')!.settings;
    const next: Session = { ...touched(read, 'ACTIVE', now, settings), messageCount: read.messageCount + 1 };
    const msg: Message = { sessionId: s.id, seq: read.messageCount + 1, role: 'USER', content: 'late', createdAt: now };
    await expect(stack.repo.appendMessage(read, next, msg, null, now)).rejects.toBeInstanceOf(StaleSessionError);
    await expect(stack.repo.updateSession(read, touched(read, 'PAUSED', now, settings), now)).rejects.toBeInstanceOf(StaleSessionError);

    const items = await partition(table, me.tenantId, s.id);
    const session = sessionsOf(items)[0];
    expect(session).toMatchObject({ status: 'COMPLETED', ttl: sec(now) + settings.terminalTtlSeconds, messageCount: 3 });
    expect(items.filter(isMessage)).toHaveLength(3);
    for (const c of items.filter(isChild)) {
      expect(c.ttl as number).toBeGreaterThanOrEqual(session.ttl as number);
      expect(c.ttl as number).toBeLessThanOrEqual((session.ttl as number) + 86_400);
    }
  });
});

describe('restart', () => {
  test('the old session becomes ABANDONED, a new ACTIVE one holds the topic, in one step', async () => {
    const fake = new FakeClock(Date.UTC(2026, 6, 20, 9, 0, 0));
    const stack = stackOn(table, fake, topics);
    const tenant = 'restart';
    const me = viewer(tenant, 'r');
    const old = await stack.service.lifecycle.start(me, 'race', false);
    await stack.service.conversation.sendMessage(me, old.id, 'Something.', 'x1');
    fake.advance(HOUR);
    // Someone else may not restart it.
    await expect(stack.service.lifecycle.start(viewer(tenant, 'intruder'), 'race', true)).rejects.toMatchObject({
      code: 'SESSION_CONFLICT',
      details: { conflictUserId: 'r' },
    });
    expect((await stack.service.sessions.get(me, old.id))!.status).toBe('ACTIVE');

    fake.advance(HOUR);
    const fresh = await stack.service.lifecycle.start(me, 'race', true);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh).toMatchObject({ status: 'ACTIVE', messageCount: 1 });

    const items = await tenantItems(tenant);
    const holds = holdsOf(items);
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ sessionId: fresh.id, status: 'ACTIVE' });
    const oldItem = sessionsOf(items).find((i) => i.sessionId === old.id)!;
    const settings = topics.get('race')!.settings;
    expect(oldItem).toMatchObject({
      status: 'ABANDONED',
      endedAt: new Date(fake.now()).toISOString(),
      ttl: sec(fake.now()) + settings.terminalTtlSeconds,
    });
    for (const c of items.filter((i) => String(i.pk).endsWith(old.id) && isChild(i))) {
      expect(c.ttl as number).toBeLessThanOrEqual((oldItem.ttl as number) + 86_400);
    }
    expect(await stack.service.sessions.check(me, 'race')).toMatchObject({ hasSession: true, sessionId: fresh.id });
    await expect(stack.service.conversation.sendMessage(me, old.id, 'Hi', null)).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
  });

  test('concurrent restarts by one user over two processes leave exactly one live session, holding the topic', async () => {
    const tenant = 'restart-race';
    const me = viewer(tenant, 'r');
    await one.service.lifecycle.start(me, 'race', false);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => pick(i).service.lifecycle.start(me, 'race', true)));
    for (const r of results) expect(r.status).toBe('fulfilled');
    const items = await tenantItems(tenant);
    const now = clock.now();
    const live = sessionsOf(items).filter((i) => i.status === 'ACTIVE' || i.status === 'PAUSED');
    expect(live).toHaveLength(1);
    expect(holdsOf(items)).toHaveLength(1);
    expect(holdsOf(items)[0].sessionId).toBe(live[0].sessionId);
    for (const s of sessionsOf(items)) if (s !== live[0]) expect(s.status).toBe('ABANDONED');
    expect(await one.service.sessions.check(me, 'race')).toMatchObject({ hasSession: true, sessionId: live[0].sessionId });
    expect(sec(now)).toBeLessThan(live[0].ttl as number);
  });
});

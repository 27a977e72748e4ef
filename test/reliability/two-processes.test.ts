import {
  CompleteSessionDocument,
  MySessionsDocument,
  SendMessageDocument,
  SessionCheckDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { TestTable } from '../support/dynamo';
import { ServerProcess } from '../support/e2e-helpers';
import { readConversation, serverProcesses, ServerProcesses } from '../support/reliability-helpers';
import { gql, ok, tokenFor } from '../support/server';
import { bySk, isMessage, partition, scanAll } from '../support/store-helpers';

// Two real server processes (node dist/src/main.js) on one table of the run's DynamoDB Local,
// driven over HTTP. The same races as test/store/concurrency.test.ts (two clients in one
// process), now across processes, through GraphQL.

let servers: ServerProcesses;
let table: TestTable;
let procs: ServerProcess[];
const url = (i: number) => procs[i % 2].url;
const figures: Record<string, number> = {};

beforeAll(async () => {
  servers = await serverProcesses(2, 'rel-procs-');
  ({ table, procs } = servers);
}, 120_000);

afterAll(async () => {
  await servers?.stop();
  console.log(`two-process figures: ${JSON.stringify(figures)}`);
}, 30_000);

const tenantItems = async (tenant: string) => (await scanAll(table)).filter((i) => String(i.pk).startsWith(`T#${tenant}#`));

test('50 users of one tenant, 50 simultaneous startSession over two processes: one session, 49 SESSION_CONFLICT', async () => {
  const users = Array.from({ length: 50 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
  const tokens = await Promise.all(users.map((u) => tokenFor('procs-race', u)));
  const results = await Promise.all(tokens.map((t, i) => gql(url(i), StartSessionDocument, { topicId: 'purpose' }, t)));
  const wins = results.flatMap((r, i) => (r.errors?.length ? [] : [{ user: users[i], session: r.data!.startSession }]));
  const losses = results.filter((r) => r.errors?.length);
  expect(wins).toHaveLength(1);
  expect(losses).toHaveLength(49);
  for (const l of losses) expect(l.errors![0].extensions).toMatchObject({ code: 'SESSION_CONFLICT', conflictUserId: wins[0].user });
  const items = await tenantItems('procs-race');
  expect(items.filter((i) => i.sk === 'SESSION')).toHaveLength(1);
  expect(items.filter((i) => i.sk === 'HOLD')).toHaveLength(1);
  expect(items.filter(isMessage)).toHaveLength(1);
  figures.startRaceWinners = wins.length;
  figures.startRaceConflicts = losses.length;
});

test('one user, 20 simultaneous startSession over two processes: one session, every call returns it', async () => {
  const token = await tokenFor('procs-solo', 'solo');
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => gql(url(i), StartSessionDocument, { topicId: 'vision' }, token)));
  for (const r of results) expect(r.errors).toBeUndefined();
  const ids = new Set(results.map((r) => r.data!.startSession.id));
  expect(ids.size).toBe(1);
  const items = await tenantItems('procs-solo');
  expect(items.filter((i) => i.sk === 'SESSION').map((i) => i.sessionId)).toEqual([...ids]);
  expect(items.filter(isMessage)).toHaveLength(1);
  figures.sameUserCalls = results.length;
  figures.sameUserSessions = ids.size;
});

test('two tabs (one per process) send 20 messages each, interleaved: 40 + 40 stored once, counts agree, each tab in its order', async () => {
  const token = await tokenFor('procs-tabs', 'writer');
  const { id } = ok(await gql(url(0), StartSessionDocument, { topicId: 'strengths' }, token)).startSession;
  const tab = async (p: number, name: string) => {
    const seen: { message: number; reply: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const r = ok(await gql(url(p), SendMessageDocument, { sessionId: id, content: `${name} ${i}`, clientMessageId: `${name}-${i}` }, token));
      const seq = (mid: string) => Number(/(\d+)$/.exec(mid)?.[1]);
      seen.push({ message: seq(r.sendMessage.message.id), reply: seq(r.sendMessage.reply.id) });
    }
    return seen;
  };
  const [a, b] = await Promise.all([tab(0, 'A'), tab(1, 'B')]);
  const conv = await readConversation(url(0), token, id);
  expect(conv.messageCount).toBe(81);
  expect(conv.messages).toHaveLength(81);
  expect(new Set(conv.messages.map((m) => m.id)).size).toBe(81);
  for (const name of ['A', 'B']) {
    const own = conv.messages.filter((m) => m.role === 'USER' && m.content.startsWith(`${name} `)).map((m) => m.content);
    expect(own).toEqual(Array.from({ length: 20 }, (_, i) => `${name} ${i}`));
  }
  expect(conv.messages.filter((m) => m.role === 'ASSISTANT')).toHaveLength(41);
  // What each tab saw is increasing, each reply after its message: consistent with the stored order.
  for (const seen of [a, b]) {
    for (let i = 0; i < seen.length; i++) {
      expect(seen[i].reply).toBeGreaterThan(seen[i].message);
      if (i > 0) expect(seen[i].message).toBeGreaterThan(seen[i - 1].reply);
    }
  }
  const stored = (await partition(table, 'procs-tabs', id)).filter(isMessage).sort(bySk);
  expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
  figures.tabsMessagesStored = stored.length;
});

test('the same clientMessageId sent twice at once (10 pairs, one request to each process): stored once each', async () => {
  const token = await tokenFor('procs-cmid', 'retrier');
  const { id } = ok(await gql(url(0), StartSessionDocument, { topicId: 'goals' }, token)).startSession;
  for (let k = 0; k < 10; k++) {
    const vars = { sessionId: id, content: `Did message ${k} arrive?`, clientMessageId: `dup-${k}` };
    const [x, y] = await Promise.all([gql(url(0), SendMessageDocument, vars, token), gql(url(1), SendMessageDocument, vars, token)]);
    const a = ok(x).sendMessage;
    const b = ok(y).sendMessage;
    expect([b.message.id, b.reply.id]).toEqual([a.message.id, a.reply.id]);
  }
  const conv = await readConversation(url(1), token, id);
  expect(conv.messageCount).toBe(21);
  expect(conv.messages.filter((m) => m.role === 'USER').map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, k) => `Did message ${k} arrive?`));
  figures.duplicatePairs = 10;
  figures.duplicateUserMessagesStored = conv.messages.filter((m) => m.role === 'USER').length;
});

test('completeSession racing sendMessage on the other process (20 sessions): the message lands before the end or gets SESSION_NOT_LIVE', async () => {
  let landed = 0;
  let refused = 0;
  for (let k = 0; k < 20; k++) {
    const topicId = ['purpose', 'vision', 'goals', 'strengths', 'core_values'][k % 5];
    const t = await tokenFor(`procs-end-${k}`, `u${k}`);
    const { id } = ok(await gql(url(k), StartSessionDocument, { topicId }, t)).startSession;
    const [send, done] = await Promise.all([
      gql(url(k), SendMessageDocument, { sessionId: id, content: `Last words ${k}`, clientMessageId: `last-${k}` }, t),
      gql(url(k + 1), CompleteSessionDocument, { sessionId: id }, t),
    ]);
    const ended = ok(done).completeSession;
    expect(ended.status).toBe('COMPLETED');
    const conv = await readConversation(url(k), t, id);
    expect(conv.messageCount).toBe(conv.messages.length);
    const endedAt = Date.parse(ended.endedAt as string);
    if (send.errors?.length) {
      expect(send.errors[0].extensions?.code).toBe('SESSION_NOT_LIVE');
      expect(conv.messages.filter((m) => m.role === 'ASSISTANT')).toHaveLength(1); // no reply after the end
      refused++;
    } else {
      expect(conv.messages).toHaveLength(3);
      expect(Date.parse(send.data!.sendMessage.reply.createdAt as string)).toBeLessThanOrEqual(endedAt);
      landed++;
    }
    const stored = (await partition(table, `procs-end-${k}`, id)).filter(isMessage);
    for (const m of stored) expect(Date.parse(m.createdAt as string)).toBeLessThanOrEqual(endedAt);
    // Read-only afterwards, on both processes.
    for (const p of [0, 1]) {
      const late = await gql(url(p), SendMessageDocument, { sessionId: id, content: 'more?' }, t);
      expect(late.errors?.[0].extensions?.code).toBe('SESSION_NOT_LIVE');
    }
  }
  expect(landed + refused).toBe(20);
  figures.endRaceLanded = landed;
  figures.endRaceRefused = refused;
  // Both processes agree on who holds what afterwards: nobody (every session ended).
  const t0 = await tokenFor('procs-end-0', 'u0');
  const check = ok(await gql(url(1), SessionCheckDocument, { topicId: 'purpose' }, t0)).sessionCheck;
  expect(check.hasSession).toBe(false);
  const mine = ok(await gql(url(0), MySessionsDocument, {}, t0)).mySessions.edges;
  expect(mine.map((e) => e.node.status)).toEqual(['COMPLETED']);
});

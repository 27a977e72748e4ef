import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArchiveTopicDocument,
  CompleteSessionDocument,
  MySessionsDocument,
  PauseSessionDocument,
  SendMessageDocument,
  SendMessageStreamDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { growConversation } from '../../src/store/seed-conversation';
import { rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { bearer, subscribeTo, wsClient } from '../support/ws-client';

// DynamoDB round trips per operation, counted by the SDK middleware (src/store/request-stats.ts).
// They are deterministic, so they are asserted exactly; speed is only measured by `npm run bench`.
const TOPICS = 60;
let server: TestServer;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-topics-'));
  const file = join(dir, 'topics.json');
  writeFileSync(file, JSON.stringify(Array.from({ length: TOPICS }, (_, i) => ({ id: `t${i}`, name: `Topic ${i}` }))));
  // The token caps are read once per tenant and BUDGET_CACHE_MS: here once per tenant for the whole file.
  server = await startTestServer({ env: { TOPICS_FILE: file, BUDGET_CACHE_MS: '300000' } });
});
afterAll(() => server.stop());

/** DynamoDB requests (total and per command) made while `fn` runs. */
async function cost(fn: () => Promise<unknown>) {
  const totals = server.app.dynamoTotals;
  const before = { requests: totals.requests, readCapacity: totals.readCapacity, byCommand: { ...totals.byCommand } };
  await fn();
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(totals.byCommand)) if (v !== (before.byCommand[k] ?? 0)) byCommand[k] = v - (before.byCommand[k] ?? 0);
  return { requests: totals.requests - before.requests, byCommand, readCapacity: totals.readCapacity - before.readCapacity };
}

/**
 * Uncounted warm-up of the tenant's topic catalogue. Tenant topics (src/topics/tenant-topics.ts)
 * cost one Query per tenant per cache lifetime (30 s); the targets here are steady-state
 * costs, so a test whose first counted operation is its tenant's first loads it beforehand.
 */
async function warmTopics(token: string) {
  ok(await gql(server.url, TopicsDocument, {}, token));
}

const BARE_START = 'mutation($t: ID!) { startSession(topicId: $t) { id status messageCount } }';

async function start(token: string, topicId: string): Promise<string> {
  const res = await rawGql(server.url, BARE_START, { t: topicId }, token);
  return (res.data!.startSession as { id: string }).id;
}

/** Grows a conversation to `total` messages of ~400 bytes with the store's own item layout (fast, no coach). */
const grow = (tenantId: string, sessionId: string, total: number) =>
  growConversation(server.table.doc, server.table.tableName, { tenantId, sessionId }, total, (seq) => `message ${seq} `.repeat(20));

test('sessionCheck is one consistent GetItem, whether the topic is free, yours or held by another user', async () => {
  const alice = await tokenFor('rc-check', 'alice');
  await warmTopics(alice);
  const bob = await tokenFor('rc-check', 'bob');
  const oneGet = { requests: 1, byCommand: { GetItemCommand: 1 } };
  expect(await cost(() => gql(server.url, SessionCheckDocument, { topicId: 'vision' }, alice))).toMatchObject(oneGet);
  await start(alice, 'vision');
  expect(await cost(() => gql(server.url, SessionCheckDocument, { topicId: 'vision' }, alice))).toMatchObject(oneGet);
  expect(await cost(() => gql(server.url, SessionCheckDocument, { topicId: 'vision' }, bob))).toMatchObject(oneGet);
});

test('aliases of one sessionCheck in one request make one read; another topic one more', async () => {
  const alice = await tokenFor('rc-check-alias', 'alice');
  await warmTopics(alice);
  const query = '{ a: sessionCheck(topicId: "vision") { hasSession } b: sessionCheck(topicId: "vision") { hasSession } c: sessionCheck(topicId: "purpose") { hasSession } }';
  let data: Record<string, unknown> | undefined;
  const counted = await cost(async () => (data = (await rawGql(server.url, query, {}, alice)).data ?? undefined));
  expect(counted).toMatchObject({ requests: 2, byCommand: { GetItemCommand: 2 } });
  expect(data).toEqual({ a: { hasSession: false }, b: { hasSession: false }, c: { hasSession: false } });
});

test('startSession: creating is 2 requests; resuming ACTIVE 2 and PAUSED 3; the frontend page of messages adds one Query', async () => {
  const token = await tokenFor('rc-start', 'alice');
  await warmTopics(token);
  // Creating checks the token caps first: the tenant's first check in this process reads them (once per BUDGET_CACHE_MS).
  expect(await cost(() => start(token, 'purpose'))).toMatchObject({ requests: 3, byCommand: { GetItemCommand: 2, TransactWriteItemsCommand: 1 } });
  // ACTIVE: the hold (who holds the topic), then the session itself. The hold carries only what
  // sessionCheck shows, so that a coach reply never writes it (docs/performance.md, cost per turn).
  expect(await cost(() => start(token, 'purpose'))).toMatchObject({ requests: 2, byCommand: { GetItemCommand: 2 } });
  const id = await start(token, 'purpose');
  ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, token));
  // PAUSED: the hold, the session, then one transaction (session + hold).
  expect(await cost(() => start(token, 'purpose'))).toMatchObject({ requests: 3, byCommand: { GetItemCommand: 2, TransactWriteItemsCommand: 1 } });
  ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, token));
  // The frontend's StartSession document also selects messages(last: 20): one more Query, whatever the history.
  expect(await cost(async () => ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)))).toMatchObject({
    requests: 4,
    byCommand: { GetItemCommand: 2, TransactWriteItemsCommand: 1, QueryCommand: 1 },
  });
  expect(await cost(async () => ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)))).toMatchObject({
    requests: 3,
    byCommand: { GetItemCommand: 2, QueryCommand: 1 },
  });
});

test('sendMessage is 3 requests besides the coach and its memory, on a 10- or a 300-message conversation', async () => {
  const token = await tokenFor('rc-send', 'alice');
  const short = await start(token, 'goals');
  const long = await start(token, 'strengths');
  await grow('rc-send', short, 10);
  await grow('rc-send', long, 300);
  // The coach's memory adds its own requests after the reply (docs/performance.md): a write for
  // the title after the first exchange, and a Query and a write per fold (a seeded history with
  // no summary yet is caught up 40 messages a reply). Each memory write is a transaction with
  // the usage counters of its model call; the turn's counters ride in the reply's transaction.
  const cases: [string, string | null, { writes: number; queries: number }][] = [
    [short, null, { writes: 1, queries: 0 }],
    [long, null, { writes: 2, queries: 1 }],
    [short, 'c-1', { writes: 0, queries: 0 }],
    [long, 'c-2', { writes: 1, queries: 1 }],
  ];
  for (const [sessionId, clientMessageId, memory] of cases) {
    const c = await cost(async () => {
      ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'Hello there.', clientMessageId }, token));
      await server.app.settled();
    });
    const queries = memory.queries ? { QueryCommand: memory.queries } : {};
    expect(c).toEqual(
      expect.objectContaining({ requests: 3 + memory.writes + memory.queries, byCommand: { GetItemCommand: 1, TransactWriteItemsCommand: 2 + memory.writes, ...queries } }),
    );
  }
});

test('sendMessageStream costs what sendMessage does (3); a replay of the stored reply is 4, its one write refused by its condition', async () => {
  const token = await tokenFor('rc-stream', 'alice');
  await warmTopics(token);
  const sessionId = await start(token, 'goals');
  await grow('rc-stream', sessionId, 300);
  const ws = wsClient(server.url, bearer(token));
  try {
    const stream = async () => {
      const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId, content: 'Streamed, please.', clientMessageId: 's-1' });
      expect(await sub.ended).toEqual({});
      await server.app.settled();
    };
    // The turn's 3, then the memory's title and first fold (as for sendMessage above).
    expect(await cost(stream)).toEqual(
      expect.objectContaining({ requests: 6, byCommand: { GetItemCommand: 1, TransactWriteItemsCommand: 4, QueryCommand: 1 } }),
    );
    // The message's write finds its clientMessageId taken (nothing written); then the record, the message and reply, the session.
    expect(await cost(stream)).toMatchObject({ requests: 4, byCommand: { TransactWriteItemsCommand: 1, GetItemCommand: 2, BatchGetItemCommand: 1 } });
  } finally {
    await ws.dispose();
  }
});

test('a page of messages reads only that page: two Queries besides the session for 50, however long the conversation', async () => {
  const token = await tokenFor('rc-page', 'alice');
  const id = await start(token, 'core_values');
  await grow('rc-page', id, 400);
  // One Query asks for no more messages than the page's byte budget holds at the largest
  // message size (34 of 14 KB in 480 KiB, src/domain/page-budget.ts): 51 take two.
  const first = await cost(async () => {
    const data = ok(await gql(server.url, SessionDocument, { id, first: 50 }, token));
    expect(data.session!.messages.edges).toHaveLength(50);
    expect(data.session!.messages.pageInfo.hasNextPage).toBe(true);
  });
  expect(first).toMatchObject({ requests: 3, byCommand: { GetItemCommand: 1, QueryCommand: 2 } });
  // 51 messages of ~400 bytes (~20 KB) read consistently: ~5 units + 1 for the session, not the ~40 of the ~160 KB history.
  expect(first.readCapacity).toBeLessThanOrEqual(8);
  const last = await cost(async () => ok(await gql(server.url, SessionDocument, { id, last: 50 }, token)));
  expect(last).toMatchObject({ requests: 3, byCommand: { GetItemCommand: 1, QueryCommand: 2 } });
  // The default page (20) is one Query.
  const small = await cost(async () => ok(await gql(server.url, SessionDocument, { id, last: 20 }, token)));
  expect(small).toMatchObject({ requests: 2, byCommand: { GetItemCommand: 1, QueryCommand: 1 } });
  expect(last.readCapacity).toBeLessThanOrEqual(8);
});

test("an archived topic kept in its holder's topics list costs no extra read: topics { myStatus } is still the two progress Queries", async () => {
  const [alice, admin] = [await tokenFor('rc-archived', 'alice'), await tokenFor('rc-archived', 'ada', { roles: ['admin'] })];
  await start(alice, 't3');
  ok(await gql(server.url, ArchiveTopicDocument, { id: 't3' }, admin));
  await warmTopics(alice);
  const listed = await cost(async () => {
    const topics = ok(await gql(server.url, TopicsDocument, {}, alice)).topics;
    expect(topics.find((t) => t.id === 't3')).toMatchObject({ archived: true, myStatus: 'IN_PROGRESS' });
    expect(topics).toHaveLength(TOPICS + 5);
  });
  // The caller's sessions and outcomes, in parallel, as for any topics { myStatus }.
  expect(listed).toMatchObject({ requests: 2, byCommand: { QueryCommand: 2 } });
  // Without myStatus, the list itself asks the same two, only in a tenant with archived topics.
  const bare = await cost(async () => expect((await rawGql(server.url, '{ topics { id } }', {}, alice)).data!.topics).toHaveLength(TOPICS + 5));
  expect(bare).toMatchObject({ requests: 2, byCommand: { QueryCommand: 2 } });
  const other = await tokenFor('rc-plain', 'bob');
  await warmTopics(other);
  expect(await cost(async () => rawGql(server.url, '{ topics { id } }', {}, other))).toMatchObject({ requests: 0 });
});

test('mySessions { topic { name } } costs the same with first: 5 and first: 50 (no N+1)', async () => {
  const token = await tokenFor('rc-list', 'alice');
  for (let i = 0; i < 55; i += 5) await Promise.all([0, 1, 2, 3, 4].map((j) => start(token, `t${i + j}`)));
  const small = await cost(async () => expect(ok(await gql(server.url, MySessionsDocument, { first: 5 }, token)).mySessions.edges).toHaveLength(5));
  const large = await cost(async () => expect(ok(await gql(server.url, MySessionsDocument, { first: 50 }, token)).mySessions.edges).toHaveLength(50));
  expect(small).toMatchObject({ requests: 1, byCommand: { QueryCommand: 1 } });
  expect(large).toMatchObject({ requests: 1, byCommand: { QueryCommand: 1 } });
});

// Two Queries, in parallel: the caller's sessions (byUser) and their outcomes (their own partition),
// which keep a completed topic COMPLETED with its result after the session expired.
test('topics { myStatus myResult } is two Queries however many topics, sessions and outcomes there are', async () => {
  const token = await tokenFor('rc-topics', 'alice');
  await warmTopics(token);
  const none = await cost(async () => expect(ok(await gql(server.url, TopicsDocument, {}, token)).topics).toHaveLength(TOPICS + 5));
  for (let i = 0; i < 30; i += 5) await Promise.all([0, 1, 2, 3, 4].map((j) => start(token, `t${i + j}`)));
  const some = await cost(async () => {
    const topics = ok(await gql(server.url, TopicsDocument, {}, token)).topics;
    expect(topics.filter((t) => t.myStatus === 'IN_PROGRESS')).toHaveLength(30);
  });
  for (let i = 30; i < 40; i++) {
    const id = await start(token, `t${i}`);
    ok(await gql(server.url, CompleteSessionDocument, { sessionId: id }, token));
  }
  const more = await cost(async () => {
    const topics = ok(await gql(server.url, TopicsDocument, {}, token)).topics;
    expect(topics.filter((t) => t.myStatus === 'COMPLETED' && t.myResult !== null)).toHaveLength(10);
  });
  expect(none).toMatchObject({ requests: 2, byCommand: { QueryCommand: 2 } });
  expect(some).toMatchObject({ requests: 2, byCommand: { QueryCommand: 2 } });
  expect(more).toMatchObject({ requests: 2, byCommand: { QueryCommand: 2 } });
});

import { CreateTopicDocument, SessionDocument, StartSessionDocument, TopicsDocument } from '../generated/graphql/graphql';
import { PAGE_BYTE_BUDGET } from '../../src/domain/page-budget';
import { growConversation } from '../../src/store/seed-conversation';
import { expectCode, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { bearer, wsClient } from '../support/ws-client';

// Issue #19, amplification by bytes: no request under 2 KB returns more than 1 MB or reads more
// than 200 read units. Pages of messages stop early at a byte budget (hasNextPage stays true);
// the cost model prices what a request may read and return, so the rest is refused before it runs.
const MB = 1024 * 1024;
const MAX_RCU = 200;
const MESSAGES = 240;
let server: TestServer;
let alice: string;
let sessionId: string;

/** 4,000 characters (MAX_MESSAGE_CHARS) of 3-byte UTF-8 text: 12 KB a message, the most one can take. */
const big = (seq: number) => `${seq}:`.padEnd(4000, '語');

beforeAll(async () => {
  server = await startTestServer();
  alice = await tokenFor('bytes', 'alice');
  ok(await gql(server.url, TopicsDocument, {}, alice));
  sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession.id;
  await growConversation(server.table.doc, server.table.tableName, { tenantId: 'bytes', sessionId }, MESSAGES, big);
});
afterAll(() => server.stop());

/** A raw request, with the DynamoDB requests and read units it made and the bytes it returned. */
async function measured(query: string, variables: Record<string, unknown>, token: string) {
  const totals = server.app.dynamoTotals;
  const before = { requests: totals.requests, rcu: totals.readCapacity };
  const res = await rawGql(server.url, query, variables, token);
  return { res, requests: totals.requests - before.requests, rcu: totals.readCapacity - before.rcu, bytes: Buffer.byteLength(res.text) };
}

const page100 = (alias: string) => `${alias}: messages(first: 100) { edges { node { id content } } pageInfo { hasNextPage endCursor } }`;

test('11 aliases of messages(first: 100) over 4,000-character messages (11.4 MB in the review) are refused before any read', async () => {
  const query = `{ session(id: "${sessionId}") { ${Array.from({ length: 11 }, (_, i) => `m${i}: messages(first: 100) { edges { node { content } } }`).join(' ')} } }`;
  expect(query.length).toBeLessThan(2048);
  const { res, requests } = await measured(query, {}, alice);
  const error = expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
  expect(error.extensions).toMatchObject({ maxCost: 3000 });
  expect(requests).toBe(0);
});

test('what the budget allows stays under 1 MB and 200 read units: a page of 100 big messages, two pages of 20', async () => {
  const allowed = [
    `{ session(id: "${sessionId}") { id ${page100('m')} } }`,
    `{ session(id: "${sessionId}") { a: messages(first: 20) { edges { node { content } } } b: messages(last: 20) { edges { node { content } } } } }`,
  ];
  for (const query of allowed) {
    expect(query.length).toBeLessThan(2048);
    const { res, rcu, bytes } = await measured(query, {}, alice);
    expect(res.errors).toBeUndefined();
    expect({ bytes: bytes < MB, rcu: rcu < MAX_RCU }).toEqual({ bytes: true, rcu: true });
  }
});

test('a page of 100 big messages stops early at the byte budget with hasNextPage true; paging on returns every message once, forward and backward', async () => {
  type Page = { edges: { cursor: string; node: { content: string } }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } };
  const pageOf = async (variables: Record<string, unknown>) => ok(await gql(server.url, SessionDocument, { id: sessionId, ...variables }, alice)).session!.messages as Page;
  const first = await pageOf({ first: 100 });
  expect(first.edges.length).toBeGreaterThan(0);
  expect(first.edges.length).toBeLessThan(100);
  expect(first.edges.reduce((n, e) => n + Buffer.byteLength(e.node.content), 0)).toBeLessThanOrEqual(PAGE_BYTE_BUDGET);
  expect(first.pageInfo.hasNextPage).toBe(true);

  const forward: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const page: Page = await pageOf({ first: 100, after });
    forward.push(...page.edges.map((e) => e.node.content));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const backward: string[] = [];
  let before: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const page: Page = await pageOf({ last: 100, before });
    expect(page.edges.length).toBeLessThanOrEqual(100);
    backward.unshift(...page.edges.map((e) => e.node.content));
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  // The opening message, then the seeded ones: each exactly once, in order.
  const seeded = Array.from({ length: MESSAGES - 1 }, (_, i) => big(i + 2));
  expect(forward.slice(1)).toEqual(seeded);
  expect(backward).toEqual(forward);
  expect(forward).toHaveLength(MESSAGES);
});

test('an export of big messages pages at the byte budget: each page under 1 MB and 200 read units, every message once', async () => {
  const contents: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const { res, rcu, bytes } = await measured('query($after: String) { exportMyData(first: 100, after: $after) { records hasNextPage endCursor } }', { after }, alice);
    expect(res.errors).toBeUndefined();
    expect({ bytes: bytes < MB, rcu: rcu < MAX_RCU }).toEqual({ bytes: true, rcu: true });
    const page = res.data!.exportMyData as { records: { type: string; content?: string }[]; hasNextPage: boolean; endCursor: string | null };
    contents.push(...page.records.filter((r) => r.type === 'message').map((r) => r.content!));
    if (!page.hasNextPage) break;
    after = page.endCursor;
  }
  expect(contents.slice(1)).toEqual(Array.from({ length: MESSAGES - 1 }, (_, i) => big(i + 2)));
});

test('a streamed reply with the session\'s messages(first: 100) (22.9 MB in the review: session rides on two events) is refused before anything is stored', async () => {
  const query = `subscription($s: ID!) { sendMessageStream(sessionId: $s, content: "hi", clientMessageId: "c-1") { delta session { ${page100('m')} } } }`;
  expect(query.length).toBeLessThan(2048);
  const ws = wsClient(server.url, bearer(alice));
  try {
    const before = server.app.dynamoTotals.requests;
    const ended = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve) => {
      ws.client.subscribe({ query, variables: { s: sessionId } }, { next: (r) => resolve({ errors: r.errors }), error: (e) => resolve({ errors: e as never }), complete: () => resolve({}) });
    });
    expect(ended.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', maxCost: 3000 });
    expect(server.app.dynamoTotals.requests - before).toBe(0);
  } finally {
    await ws.dispose();
  }
  const count = ok(await gql(server.url, SessionDocument, { id: sessionId, first: 1 }, alice)).session!.messageCount;
  expect(count).toBe(MESSAGES);
});

describe('topics', () => {
  const long = (n: number, ch: string) => ch.repeat(n);
  const input = (i: number) => ({ id: `t${i}`, name: long(200, 'N'), description: long(2000, 'd'), openingMessage: long(4000, 'o') });

  test('a tenant holds at most MAX_TOPICS_PER_TENANT topics (default 20, archived and default ones included): createTopic past it is BAD_USER_INPUT and changes nothing', async () => {
    const admin = await tokenFor('bytes-topics', 'root', { roles: ['admin'] });
    const existing = ok(await gql(server.url, TopicsDocument, {}, admin)).topics.length;
    for (let i = existing; i < 20; i++) ok(await gql(server.url, CreateTopicDocument, { input: input(i) }, admin));
    const refused = await gql(server.url, CreateTopicDocument, { input: input(20) }, admin);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(refused.errors?.[0]?.message).toMatch(/MAX_TOPICS_PER_TENANT/);
    expect(ok(await gql(server.url, TopicsDocument, {}, admin)).topics).toHaveLength(20);

    // Every topic's longest texts, within the budget: under 1 MB; many aliases of them (18.8 MB in the review) are refused.
    const fields = 'topics(includeArchived: true) { id name description openingMessage }';
    const one = await measured(`{ ${fields} }`, {}, admin);
    expect(one.res.errors).toBeUndefined();
    expect(one.bytes).toBeLessThan(MB);
    const many = await measured(`{ ${Array.from({ length: 8 }, (_, i) => `a${i}: ${fields}`).join(' ')} }`, {}, admin);
    expectCode(many.res, 'GRAPHQL_VALIDATION_FAILED');
    expect(many.requests).toBe(0);

    // tenantSessions without a topic queries every topic: within the cap, and priced by it.
    const all = await measured('{ tenantSessions(first: 100) { edges { node { id } } } }', {}, admin);
    expect(all.res.errors).toBeUndefined();
    expect(all.requests).toBeLessThanOrEqual(20 * 3 + 1);
    expect(all.rcu).toBeLessThan(MAX_RCU);
  });

  test('the cap is configurable', async () => {
    const small = await startTestServer({ table: server.table, env: { MAX_TOPICS_PER_TENANT: '6' } });
    try {
      const admin = await tokenFor('bytes-cap', 'root', { roles: ['admin'] });
      ok(await gql(small.url, CreateTopicDocument, { input: input(1) }, admin));
      expectCode(await gql(small.url, CreateTopicDocument, { input: input(2) }, admin), 'BAD_USER_INPUT');
    } finally {
      await small.stop();
    }
  });
});

test('one erasure per request: five aliased eraseMyData are refused before anything is erased', async () => {
  const bob = await tokenFor('bytes', 'bob');
  const own = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, bob)).startSession.id;
  const query = `mutation { ${Array.from({ length: 5 }, (_, i) => `e${i}: eraseMyData { sessionsDeleted }`).join(' ')} }`;
  const { res, requests } = await measured(query, {}, bob);
  const error = expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
  expect(error.extensions).toMatchObject({ erasureFields: 5, maxErasureFields: 1 });
  expect(requests).toBe(0);
  expect(ok(await gql(server.url, SessionDocument, { id: own }, bob)).session).not.toBeNull();
  const once = await rawGql(server.url, 'mutation { eraseMyData { sessionsDeleted } }', {}, bob);
  expect(once.errors).toBeUndefined();
  expect(once.data).toMatchObject({ eraseMyData: { sessionsDeleted: 1 } });
});

import { getIntrospectionQuery } from 'graphql';
import { MySessionsDocument, SendMessageDocument, SessionDocument, StartSessionDocument, TenantSessionsDocument } from '../generated/graphql/graphql';
import { expectCode, expectNoInternals, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { DEFAULT_MAX_QUERY_COST } from '../../src/defaults';

// The cost limit over HTTP (the analysis itself: test/unit/cost.test.ts): an operation over the
// budget, or with more than one coach-calling field, is refused before anything runs.
let server: TestServer;
let alice: string;
let admin: string;
let sessionId: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await tokenFor('cost', 'alice');
  admin = await tokenFor('cost', 'root', { roles: ['admin'] });
  sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession.id;
});
afterAll(() => server.stop());

/** The DynamoDB requests `fn` makes (the whole process's, this test's only). */
async function requestsDuring(fn: () => Promise<unknown>) {
  const before = server.app.dynamoTotals.requests;
  await fn();
  return server.app.dynamoTotals.requests - before;
}

test('a 4 KB query asking for 10,000s of messages (once 18 MB and about 4,500 read units) is refused before it runs', async () => {
  // Each alias (30, the most MAX_QUERY_ALIASES allows): 100 sessions x 100 messages with their contents.
  const alias = (i: number) => `s${i}: mySessions(first: 100) { edges { node { messages(first: 100) { edges { node { content role createdAt } } } } } }`;
  const query = `{ ${Array.from({ length: 30 }, (_, i) => alias(i)).join(' ')} }`;
  expect(query.length).toBeGreaterThan(3500);
  expect(query.length).toBeLessThan(4500);
  let res!: Awaited<ReturnType<typeof rawGql>>;
  expect(await requestsDuring(async () => (res = await rawGql(server.url, query, {}, alice)))).toBe(0);
  const error = expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
  expect(res.status).toBe(400);
  expect(res.data).toBeUndefined();
  expect(error.message).toMatch(/^The operation costs \d+, more than the limit of 3000/);
  expect(error.extensions).toMatchObject({ maxCost: DEFAULT_MAX_QUERY_COST });
  expect(error.extensions!.cost as number).toBeGreaterThan(30 * 100 * 100);
  expectNoInternals(res.text);
});

test('page sizes in variables count: the same document runs with first: 100 and is refused with 5 aliases of it', async () => {
  const mine = ok(await gql(server.url, MySessionsDocument, { first: 100 }, alice)).mySessions;
  expect(mine.edges.map((e) => e.node.id)).toContain(sessionId);
  ok(await gql(server.url, SessionDocument, { id: sessionId, last: 100 }, alice));
  ok(await gql(server.url, TenantSessionsDocument, { first: 100 }, admin));
  const fields = 'edges { cursor node { id status topic { id name } messages(last: $n) { edges { node { content } } } } } pageInfo { hasNextPage }';
  const query = `query Five($n: Int) { ${Array.from({ length: 5 }, (_, i) => `a${i}: mySessions(first: $n) { ${fields} }`).join(' ')} }`;
  expect((await rawGql(server.url, query, { n: 2 }, alice)).errors).toBeUndefined();
  expectCode(await rawGql(server.url, query, { n: 100 }, alice), 'GRAPHQL_VALIDATION_FAILED');
});

test('aliased sendMessage fields in one mutation are refused before any runs: no message, no coach call', async () => {
  const send = (i: number) => `m${i}: sendMessage(sessionId: "${sessionId}", content: "hello ${i}") { reply { content } }`;
  const before = ok(await gql(server.url, SessionDocument, { id: sessionId }, alice)).session!.messageCount;
  // Replies only: the first exchange of a session also asks the coach for a title, in the background.
  const coachCalls = async () =>
    (await server.app.metrics.coachRequests.get()).values.filter((v) => v.labels.call === 'reply').reduce((n, v) => n + v.value, 0);
  const coachBefore = await coachCalls();
  let res!: Awaited<ReturnType<typeof rawGql>>;
  expect(await requestsDuring(async () => (res = await rawGql(server.url, `mutation { ${send(1)} ${send(2)} ${send(3)} }`, {}, alice)))).toBe(0);
  const error = expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
  expect(res.status).toBe(400);
  expect(error.message).toMatch(/calls the coach 3 times \(sendMessage\); at most 1/);
  expect(error.extensions).toMatchObject({ coachFields: 3, maxCoachFields: 1 });
  expect(await coachCalls()).toBe(coachBefore);
  expect(ok(await gql(server.url, SessionDocument, { id: sessionId }, alice)).session!.messageCount).toBe(before);
  // One is fine (control).
  ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'hello' }, alice));
  expect(await coachCalls()).toBe(coachBefore + 1);
});

test('MAX_COACH_FIELDS and MAX_QUERY_COST are configurable', async () => {
  // 100 pages of messages are priced at their byte budgets (about 2,000 each): a roomy budget indeed.
  const roomy = await startTestServer({ table: server.table, env: { MAX_COACH_FIELDS: '2', MAX_QUERY_COST: '1000000' } });
  try {
    const send = (i: number) => `m${i}: postMessage(sessionId: "${sessionId}", content: "again ${i}") { replyPending }`;
    expect((await rawGql(roomy.url, `mutation { ${send(1)} ${send(2)} }`, {}, alice)).errors).toBeUndefined();
    expectCode(await rawGql(roomy.url, `mutation { ${send(1)} ${send(2)} ${send(3)} }`, {}, alice), 'GRAPHQL_VALIDATION_FAILED');
    const big = '{ mySessions(first: 100) { edges { node { messages(first: 100) { edges { node { content } } } } } } }';
    expect((await rawGql(roomy.url, big, {}, alice)).errors).toBeUndefined();
    expectCode(await rawGql(server.url, big, {}, alice), 'GRAPHQL_VALIDATION_FAILED');
  } finally {
    await roomy.stop();
  }
});

test('the introspection query passes in development', async () => {
  const res = await rawGql(server.url, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), {}, alice);
  expect(res.errors).toBeUndefined();
  expect((res.data!.__schema as { types: unknown[] }).types.length).toBeGreaterThan(10);
});

/**
 * Budgets with two processes on one table (docs/data-model.md#token-usage): each trusts the
 * tenant total it read for BUDGET_CACHE_MS, so the cap is overshot by the turns running when it
 * was reached plus what each process starts within its window, and no more: once the window
 * has passed, both refuse. A shared fake clock makes the window exact.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageDocument, SetTenantBudgetDocument, StartSessionDocument, TenantUsageDocument } from '../generated/graphql/graphql';
import { createDynamoClient } from '../../src/store/client';
import { FakeClock } from '../support/clock';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { startStub } from '../support/stub-http';

const CACHE_MS = 5000;
/** Every reply costs 100 input tokens (titles report none), so totals count turns. */
const REPLY = 100;

const clock = new FakeClock(Date.UTC(2026, 4, 10, 9, 0, 0));
let stub: Awaited<ReturnType<typeof startStub>>;
let a: TestServer;
let b: TestServer;
let bClient: DynamoDBClient;

beforeAll(async () => {
  stub = await startStub((req) => {
    const title = String(req.body.messages[0]?.content ?? '').startsWith('You name coaching sessions');
    const usage = title ? undefined : { prompt_tokens: REPLY, completion_tokens: 0, total_tokens: REPLY };
    // Replies take a while, so the four turns below are all running at once.
    return { delayMs: title ? 0 : 150, body: { id: 'c', object: 'chat.completion', created: 1, model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content: title ? 'T' : 'Go on.' }, finish_reason: 'stop' }], usage } };
  });
  const env = { COACH: 'openai', COACH_MODEL: 'stub', OPENAI_BASE_URL: `${stub.url}/v1`, COACH_MAX_RETRIES: '0', BUDGET_CACHE_MS: String(CACHE_MS) };
  a = await startTestServer({ clock, env });
  bClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: a.table.endpoint });
  b = await startTestServer({ clock, env, table: a.table, dynamo: bClient });
});
afterAll(async () => {
  await b?.stop();
  bClient?.destroy();
  await a?.stop();
  await stub?.close();
});

test('over a cap of 250: four turns running at once and two more within the cache window pass (600), then both processes refuse', async () => {
  const ada = await tokenFor('two-proc', 'ada', { roles: ['admin'] });
  const users = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => tokenFor('two-proc', u)));
  const topics = ['goals', 'vision', 'purpose', 'strengths'];
  // u1, u3 on process a; u2, u4 on b.
  const on = (i: number) => (i % 2 === 0 ? a : b);
  const sessions = await Promise.all(users.map(async (t, i) => ok(await gql(on(i).url, StartSessionDocument, { topicId: topics[i] }, t)).startSession.id));
  ok(await gql(a.url, SetTenantBudgetDocument, { monthlyTokens: 250 }, ada));
  // Past the window of what either process read before the cap was set.
  clock.advance(CACHE_MS + 1);
  const send = (i: number) => gql(on(i).url, SendMessageDocument, { sessionId: sessions[i], content: 'Next step.' }, users[i]);

  // Both processes read the tenant total (0) now and trust it for CACHE_MS: all four turns start.
  const running = await Promise.all([0, 1, 2, 3].map(send));
  expect(running.map(codeOf)).toEqual([undefined, undefined, undefined, undefined]);
  // Within the window each process still trusts its 0: one more turn each.
  expect(codeOf(await send(0))).toBeUndefined();
  expect(codeOf(await send(1))).toBeUndefined();
  await Promise.all([a.app.settled(), b.app.settled()]);

  // The window has passed: both read 600 and refuse, on every user, before anything is stored or sent.
  clock.advance(CACHE_MS);
  const calls = stub.requests.length;
  const refused = await Promise.all([0, 1, 2, 3].map(send));
  expect(refused.map(codeOf)).toEqual(['BUDGET_EXCEEDED', 'BUDGET_EXCEEDED', 'BUDGET_EXCEEDED', 'BUDGET_EXCEEDED']);
  expect(refused[0].errors![0].extensions).toMatchObject({ scope: 'TENANT', resetAt: '2026-06-01T00:00:00.000Z' });
  expect(stub.requests.length).toBe(calls);
  // The overshoot: 350 over the cap, the 4 turns running when it was reached and the 2 started within the window.
  const usage = ok(await gql(b.url, TenantUsageDocument, {}, ada)).tenantUsage;
  expect(usage).toMatchObject({ month: '2026-05', turns: 6, inputTokens: 6 * REPLY, budgetTokens: 250 });
});

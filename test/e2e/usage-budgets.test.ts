/**
 * Token usage and budgets over HTTP (docs/administration.md#usage-and-budgets), read from what an
 * OpenAI-compatible stub over real HTTP returned and from what was stored: the usage of each
 * reply on the message and the session (owner only), the tenant's month by topic, and the caps
 * refusing before anything is stored.
 */
import { bearer, subscribeTo, wsClient } from '../support/ws-client';
import { EraseUserDataDocument, ExportMyDataDocument, PostMessageDocument, RegenerateReplyDocument, RateReplyDocument, SendMessageDocument, SendMessageStreamDocument, SessionUsageDocument, SetTenantBudgetDocument, StartSessionDocument, TenantUsageDocument } from '../generated/graphql/graphql';
import { rawGql } from '../support/e2e-helpers';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { startStub, StubRequest } from '../support/stub-http';
import { verifySignature } from '../../src/notify/webhook';
import { eventually } from '../support/e2e-helpers';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

const isTitle = (body: StubRequest['body']) => String(body.messages[0]?.content ?? '').startsWith('You name coaching sessions');
/** A completion with the usage a model reports: replies 100 in / 20 out, titles 10 / 2. */
const answer = (content: string, prompt: number, completion: number) => ({
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'stub',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

let stub: Awaited<ReturnType<typeof startStub>>;
/** How long the stub holds a title's answer (a title still on its way when its user is erased). */
let titleDelayMs = 0;
let hooks: Awaited<ReturnType<typeof startStub>>;
let server: TestServer;
const SECRET = 'usage-webhook-secret-0123';

beforeAll(async () => {
  stub = await startStub((req) => (isTitle(req.body) ? { body: answer('A title', 10, 2), delayMs: titleDelayMs } : { body: answer('Tell me more.', 100, 20) }));
  hooks = await startStub(() => ({ status: 204 }));
  server = await startTestServer({
    env: { COACH: 'openai', COACH_MODEL: 'stub', OPENAI_BASE_URL: `${stub.url}/v1`, COACH_MAX_RETRIES: '0', BUDGET_CACHE_MS: '0', WEBHOOK_URL: `${hooks.url}/hook`, WEBHOOK_SECRET: SECRET },
  });
});
afterAll(async () => {
  await server.stop();
  await Promise.all([stub.close(), hooks.close()]);
});

const month = () => new Date().toISOString().slice(0, 7);
const replies = () => stub.requests.filter((r) => r.url.endsWith('/chat/completions') && !isTitle(r.body)).length;

async function turn(sessionId: string, content: string, token: string) {
  const out = await gql(server.url, SendMessageDocument, { sessionId, content }, token);
  await server.app.settled();
  return out;
}

test('each reply records what the model reported: on the message and the session for the owner, null for an admin; the tenant month counts it by topic', async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-1', 'uma'), tokenFor('use-1', 'ada', { roles: ['admin'] })]);
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  const sent = ok(await turn(s.id, 'I want to run a marathon.', uma)).sendMessage;
  expect(sent.reply.content).toBe('Tell me more.');

  const mine = ok(await gql(server.url, SessionUsageDocument, { id: s.id }, uma)).session!;
  // The reply's call (100 / 20) plus the title's after the first exchange (10 / 2).
  expect(mine.usage).toEqual({ inputTokens: 110, outputTokens: 22 });
  const byRole = mine.messages.edges.map((e) => [e.node.role, e.node.usage]);
  expect(byRole).toEqual([
    ['ASSISTANT', null], // the topic's opening: no model call
    ['USER', null],
    ['ASSISTANT', { inputTokens: 100, outputTokens: 20 }],
  ]);

  // The owner's export carries the same usage.
  const exported = ok(await gql(server.url, ExportMyDataDocument, {}, uma)).exportMyData.records as Record<string, unknown>[];
  expect(exported.find((r) => r.type === 'session')).toMatchObject({ usage: { inputTokens: 110, outputTokens: 22 } });
  expect(exported.filter((r) => r.type === 'message').map((r) => r.usage)).toEqual([null, null, { inputTokens: 100, outputTokens: 20 }]);

  const admin = await rawGql(server.url, '{ tenantSessions { edges { node { id usage { inputTokens } } } } }', {}, ada);
  expect((admin.data!.tenantSessions as { edges: { node: { id: string; usage: unknown } }[] }).edges).toEqual([{ node: { id: s.id, usage: null } }]);

  const usage = ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage;
  expect(usage).toEqual({
    month: month(),
    inputTokens: 110,
    outputTokens: 22,
    turns: 1,
    budgetTokens: null,
    perUserBudgetTokens: null,
    byTopic: [{ topicId: 'goals', inputTokens: 110, outputTokens: 22, turns: 1, ratingCount: 0, ratingAverage: null }],
  });
  // Another month is empty; a malformed one is refused.
  expect(ok(await gql(server.url, TenantUsageDocument, { month: '2020-01' }, ada)).tenantUsage).toMatchObject({ month: '2020-01', inputTokens: 0, turns: 0, byTopic: [] });
  for (const bad of ['2026-13', '26-01', 'now']) expect(codeOf(await gql(server.url, TenantUsageDocument, { month: bad }, ada))).toBe('BAD_USER_INPUT');
});

test('a user is FORBIDDEN from tenantUsage and setTenantBudget; a negative or fractional cap is BAD_USER_INPUT and changes nothing', async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-2', 'uma'), tokenFor('use-2', 'ada', { roles: ['admin'] })]);
  expect(codeOf(await gql(server.url, TenantUsageDocument, {}, uma))).toBe('FORBIDDEN');
  expect(codeOf(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: 10 }, uma))).toBe('FORBIDDEN');
  ok(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: 5000, perUserMonthlyTokens: 1000 }, ada));
  for (const bad of [{ monthlyTokens: -1 }, { monthlyTokens: 1.5 }, { perUserMonthlyTokens: -10 }]) {
    const res = await gql(server.url, SetTenantBudgetDocument, bad, ada);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  }
  expect(ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage).toMatchObject({ budgetTokens: 5000, perUserBudgetTokens: 1000 });
  // null removes a cap.
  expect(ok(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: null, perUserMonthlyTokens: 1000 }, ada)).setTenantBudget).toMatchObject({ budgetTokens: null, perUserBudgetTokens: 1000 });
});

test('over the tenant cap: a new turn and a new session are BUDGET_EXCEEDED (scope, resetAt) before anything is stored or sent to the model', async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-3', 'uma'), tokenFor('use-3', 'ada', { roles: ['admin'] })]);
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  const first = ok(await turn(s.id, 'First.', uma)).sendMessage;
  ok(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: 132 }, ada));
  const calls = replies();
  const refused = await turn(s.id, 'Second.', uma);
  expect(codeOf(refused)).toBe('BUDGET_EXCEEDED');
  expect(codeOf(await gql(server.url, PostMessageDocument, { sessionId: s.id, content: 'Posted.', clientMessageId: 'p-1' }, uma))).toBe('BUDGET_EXCEEDED');
  expect(codeOf(await gql(server.url, RegenerateReplyDocument, { sessionId: s.id, messageId: first.reply.id, clientMessageId: 'r-1' }, uma))).toBe('BUDGET_EXCEEDED');
  const ws = wsClient(server.url, bearer(uma));
  try {
    const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: s.id, content: 'Streamed.', clientMessageId: 'st-1' });
    const ended = await sub.ended;
    expect(ended.errors?.[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'TENANT' });
    expect(sub.events).toEqual([]);
  } finally {
    await ws.dispose();
  }
  const now = new Date();
  expect(refused.errors![0].extensions).toMatchObject({ scope: 'TENANT', resetAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString() });
  expect(codeOf(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, uma))).toBe('BUDGET_EXCEEDED');
  expect(replies()).toBe(calls);
  // Nothing stored: the session still has the opening and the first exchange.
  expect(ok(await gql(server.url, SessionUsageDocument, { id: s.id }, uma)).session!.messages.edges).toHaveLength(3);
  // Resuming the live session is never refused; a higher cap lets turns through again.
  expect(ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession.id).toBe(s.id);
  ok(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: 1000 }, ada));
  ok(await turn(s.id, 'Second, again.', uma));
});

test("the per-user cap refuses only that user (scope USER); the tenant's other users go on", async () => {
  const [uma, bob, ada] = await Promise.all([tokenFor('use-4', 'uma'), tokenFor('use-4', 'bob'), tokenFor('use-4', 'ada', { roles: ['admin'] })]);
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  ok(await turn(s.id, 'First.', uma));
  ok(await gql(server.url, SetTenantBudgetDocument, { perUserMonthlyTokens: 100 }, ada));
  const refused = await turn(s.id, 'Second.', uma);
  expect(codeOf(refused)).toBe('BUDGET_EXCEEDED');
  expect(refused.errors![0].extensions).toMatchObject({ scope: 'USER' });
  const b = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, bob)).startSession;
  ok(await turn(b.id, 'Hello.', bob));
  expect(ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage).toMatchObject({ turns: 2, inputTokens: 220, outputTokens: 44 });
});

test('ratings count per topic: a replaced rating moves the sum, not the count; the average shows from 5 ratings', async () => {
  const ada = await tokenFor('use-5', 'ada', { roles: ['admin'] });
  const users = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => tokenFor('use-5', u)));
  const rated: { token: string; sessionId: string; replyId: string }[] = [];
  for (const [i, token] of users.entries()) {
    // One live session per tenant and topic: each user finishes theirs before the next starts.
    const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, token)).startSession;
    const out = ok(await turn(s.id, 'Something.', token)).sendMessage;
    rated.push({ token, sessionId: s.id, replyId: out.reply.id });
    ok(await gql(server.url, RateReplyDocument, { sessionId: s.id, messageId: out.reply.id, rating: 2 }, token));
    if (i < 4) {
      const byTopic = ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage.byTopic;
      expect(byTopic).toEqual([expect.objectContaining({ topicId: 'goals', ratingCount: i + 1, ratingAverage: null })]);
      ok(await rawGql(server.url, 'mutation($id: ID!) { cancelSession(sessionId: $id) { id } }', { id: s.id }, token));
    }
  }
  // The fifth rating shows the average; the last user changes theirs from 2 to 5: 13 / 5.
  expect(ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage.byTopic[0]).toMatchObject({ ratingCount: 5, ratingAverage: 2 });
  const last = rated[4];
  ok(await gql(server.url, RateReplyDocument, { sessionId: last.sessionId, messageId: last.replyId, rating: 5 }, last.token));
  expect(ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage.byTopic[0]).toMatchObject({ ratingCount: 5, ratingAverage: 2.6 });
});

test('passing 80% of the tenant cap sends one signed webhook event for the month, from the first check that sees it', async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-6', 'uma'), tokenFor('use-6', 'ada', { roles: ['admin'] })]);
  ok(await gql(server.url, SetTenantBudgetDocument, { monthlyTokens: 200 }, ada));
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  ok(await turn(s.id, 'First.', uma)); // 132 of 200: under 80%
  const mine = () => hooks.requests.filter((r) => r.body?.tenantId === 'use-6');
  expect(mine()).toHaveLength(0);
  ok(await turn(s.id, 'Second.', uma)); // checked at 132 (66%), then 252
  expect(codeOf(await turn(s.id, 'Third.', uma))).toBe('BUDGET_EXCEEDED'); // checked at 252: the notice, and the refusal
  expect(await eventually(async () => mine().length === 1, 5000, 20)).toBe(true);
  const [event] = mine();
  expect(event.body).toEqual({ type: 'tenant.usage.near_cap', tenantId: 'use-6', month: month(), usedTokens: 252, budgetTokens: 200, threshold: 0.8 });
  const delivery = { eventId: String(event.headers['x-coaching-event-id']), signature: String(event.headers['x-coaching-signature']), body: JSON.stringify(event.body) };
  expect(verifySignature(SECRET, delivery, Math.floor(Date.now() / 1000))).toBe(true);
  // Once a month: more checks past 80% send nothing more.
  expect(codeOf(await turn(s.id, 'Fourth.', uma))).toBe('BUDGET_EXCEEDED');
  await new Promise((r) => setTimeout(r, 100));
  expect(mine()).toHaveLength(1);
});

test("erasing a user deletes their monthly counter and keeps the topic's (it names no one)", async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-7', 'uma'), tokenFor('use-7', 'ada', { roles: ['admin'] })]);
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  ok(await turn(s.id, 'First.', uma));
  const get = async (pk: string) => (await server.table.doc.send(new GetCommand({ TableName: server.table.tableName, Key: { pk, sk: `USAGE#${month()}` } }))).Item;
  expect(await get('T#use-7#USER#uma')).toMatchObject({ inputTokens: 110, outputTokens: 22, turns: 1 });
  const before = ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage;
  ok(await gql(server.url, EraseUserDataDocument, { userId: 'uma' }, ada));
  expect(await get('T#use-7#USER#uma')).toBeUndefined();
  expect(await get('T#use-7#TOPIC#goals')).toMatchObject({ inputTokens: 110, turns: 1 });
  expect(ok(await gql(server.url, TenantUsageDocument, {}, ada)).tenantUsage).toEqual(before);
});

test("a title whose user is erased while it is on its way counts for the topic, and brings no counter of that user back", async () => {
  const [uma, ada] = await Promise.all([tokenFor('use-8', 'uma'), tokenFor('use-8', 'ada', { roles: ['admin'] })]);
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, uma)).startSession;
  const get = async (pk: string) => (await server.table.doc.send(new GetCommand({ TableName: server.table.tableName, Key: { pk, sk: `USAGE#${month()}` } }))).Item;
  const titles = () => stub.requests.filter((r) => isTitle(r.body)).length;
  const titlesBefore = titles();
  titleDelayMs = 500;
  try {
    ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'First.' }, uma));
    expect(await eventually(async () => titles() === titlesBefore + 1, 5000, 10)).toBe(true);
    ok(await gql(server.url, EraseUserDataDocument, { userId: 'uma' }, ada));
    await server.app.settled();
  } finally {
    titleDelayMs = 0;
  }
  expect(await get('T#use-8#USER#uma')).toBeUndefined();
  // The reply (100 / 20) and the title the model was paid for (10 / 2).
  expect(await get('T#use-8#TOPIC#goals')).toMatchObject({ inputTokens: 110, outputTokens: 22, turns: 1 });
});

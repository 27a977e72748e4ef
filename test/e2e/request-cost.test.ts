import { SendMessageDocument, SessionCheckDocument, StartSessionDocument, TopicsDocument } from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

// DynamoDB round trips per operation are part of the contract ("sessionCheck costs one
// read") and deterministic, so they are asserted here; speed is only measured by the bench.
let server: TestServer;
let token: string;
beforeAll(async () => {
  // The token caps are read once per tenant and BUDGET_CACHE_MS: here once for the whole file.
  server = await startTestServer({ env: { BUDGET_CACHE_MS: '300000' } });
  token = await tokenFor('cost', 'alice');
  // Uncounted warm-up: a tenant's topics (src/topics/tenant-topics.ts) are one Query per
  // tenant per cache lifetime (30 s). The targets below are the steady-state costs, so the
  // tenant's catalogue is loaded once before anything is counted.
  ok(await gql(server.url, TopicsDocument, {}, token));
});
afterAll(() => server.stop());

async function cost<T>(fn: () => Promise<T>) {
  const before = { ...server.app.dynamoTotals, byCommand: { ...server.app.dynamoTotals.byCommand } };
  await fn();
  const after = server.app.dynamoTotals;
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byCommand)) if (v !== (before.byCommand[k] ?? 0)) byCommand[k] = v - (before.byCommand[k] ?? 0);
  return { requests: after.requests - before.requests, byCommand };
}

test('sessionCheck is one GetItem; a resume of an ACTIVE session one; sendMessage three', async () => {
  const url = server.url;
  expect(await cost(() => gql(url, SessionCheckDocument, { topicId: 'vision' }, token))).toEqual({ requests: 1, byCommand: { GetItemCommand: 1 } });
  const created = await cost(async () => ok(await gql(url, StartSessionDocument, { topicId: 'vision' }, token)));
  // hold read + the tenant's token caps (its first check in this process) + create transaction + the opening message page the operation selects
  expect(created).toEqual({ requests: 4, byCommand: { GetItemCommand: 2, TransactWriteItemsCommand: 1, QueryCommand: 1 } });
  const id = ok(await gql(url, SessionCheckDocument, { topicId: 'vision' }, token)).sessionCheck.sessionId!;
  expect(await cost(() => gql(url, SendMessageDocument, { sessionId: id, content: 'Hello there.' }, token))).toEqual({
    requests: 3,
    byCommand: { GetItemCommand: 1, TransactWriteItemsCommand: 2 },
  });
});

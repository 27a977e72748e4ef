import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelSessionDocument, StartSessionDocument, TenantSessionsDocument, TopicsDocument } from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';

// tenantSessions across every topic (issue #19: a request under 2 KB reads at most 200 RCU):
// the topics' index entries are merged first and only the page's own items are read.
const TOPICS = 20;
const PER_TOPIC = 6;
let server: TestServer;
let admin: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenant-sessions-'));
  const file = join(dir, 'topics.json');
  writeFileSync(file, JSON.stringify(Array.from({ length: TOPICS }, (_, i) => ({ id: `t${i}`, name: `Topic ${i}` }))));
  server = await startTestServer({ env: { TOPICS_FILE: file } });
  admin = await tokenFor('wide', 'boss', { roles: ['admin'] });
  // Six sessions per topic (one user each time: start, then cancel so the topic is free again).
  for (let round = 0; round < PER_TOPIC; round++) {
    await Promise.all(
      Array.from({ length: TOPICS }, async (_, t) => {
        const token = await tokenFor('wide', `u${round}-${t}`);
        const s = ok(await gql(server.url, StartSessionDocument, { topicId: `t${t}` }, token)).startSession;
        if (round < PER_TOPIC - 1) ok(await gql(server.url, CancelSessionDocument, { sessionId: s.id }, token));
      }),
    );
  }
}, 120_000);
afterAll(() => server?.stop());

async function counted<T>(fn: () => Promise<T>) {
  const totals = server.app.dynamoTotals;
  const before = { requests: totals.requests, readCapacity: totals.readCapacity, byCommand: { ...totals.byCommand } };
  const result = await fn();
  const byCommand = Object.fromEntries(Object.entries(totals.byCommand).map(([k, v]) => [k, v - (before.byCommand[k] ?? 0)]).filter(([, v]) => v));
  return { result, requests: totals.requests - before.requests, readCapacity: totals.readCapacity - before.readCapacity, byCommand };
}

test('a page of 100 across 20 topics reads the page\'s items, not every topic\'s, and pages on without gaps or repeats', async () => {
  ok(await gql(server.url, TopicsDocument, {}, admin)); // the tenant's catalogue, cached: not part of what is counted
  const first = await counted(async () => ok(await gql(server.url, TenantSessionsDocument, { first: 100 }, admin)).tenantSessions);
  expect(first.result.edges).toHaveLength(100);
  expect(first.result.pageInfo.hasNextPage).toBe(true);
  expect(first.readCapacity).toBeLessThan(200);
  // One index Query per catalogue topic (these 20 and the 5 built-in ones), and two BatchGetItem
  // for the page's 101 items: not one page of items per topic.
  expect(first.byCommand).toEqual({ QueryCommand: TOPICS + BUILTIN_TOPICS.length, BatchGetItemCommand: 2 });
  const times = first.result.edges.map((e) => Date.parse(e.node.lastActivityAt));
  expect(times).toEqual([...times].sort((a, b) => b - a));
  const rest = ok(await gql(server.url, TenantSessionsDocument, { first: 100, after: first.result.pageInfo.endCursor }, admin)).tenantSessions;
  const ids = [...first.result.edges, ...rest.edges].map((e) => e.node.id);
  expect(new Set(ids).size).toBe(TOPICS * PER_TOPIC);
  expect(rest.pageInfo.hasNextPage).toBe(false);
});

test('a status filter still fills the page from every topic', async () => {
  const live = ok(await gql(server.url, TenantSessionsDocument, { status: ['ACTIVE'], first: 100 }, admin)).tenantSessions;
  expect(live.edges).toHaveLength(TOPICS);
  expect(new Set(live.edges.map((e) => e.node.topicId)).size).toBe(TOPICS);
  expect(live.pageInfo.hasNextPage).toBe(false);
});

/**
 * A user's data over HTTP with the codegen-typed operations: transfer rules and history,
 * results only for their owner, outcomes (Topic.myResult, myResults) past the session's TTL,
 * the paged export, and erasure of what a user wrote in a session transferred away.
 */
import {
  CompleteSessionWithResultDocument,
  EraseMyDataDocument,
  ExportMyDataDocument,
  MyResultsDocument,
  SendMessageDocument,
  SessionDocument,
  SessionTransfersDocument,
  StartSessionDocument,
  TopicsDocument,
  TransferSessionDocument,
} from '../generated/graphql/graphql';
import { DAY, FakeClock } from '../support/clock';
import { rawGql } from '../support/e2e-helpers';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 7, 1, 8, 0, 0));
let alice: string;
let bob: string;
let ada: string; // admin
let adaOther: string; // admin of another tenant

beforeAll(async () => {
  server = await startTestServer({ clock });
  [alice, bob, ada, adaOther] = await Promise.all([
    tokenFor('ud-a', 'alice'),
    tokenFor('ud-a', 'bob'),
    tokenFor('ud-a', 'ada', { roles: ['admin'] }),
    tokenFor('ud-b', 'ada', { roles: ['admin'] }),
  ]);
});
afterAll(() => server.stop());

const start = async (topicId: string, token: string) => ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
const send = (sessionId: string, content: string, token: string) => gql(server.url, SendMessageDocument, { sessionId, content }, token);

describe('transferSession', () => {
  test('never to the acting admin nor to a user the tenant does not know; each hop lands in the history', async () => {
    const s = await start('purpose', alice);
    expect(codeOf(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'ada' }, ada))).toBe('FORBIDDEN');
    const unknown = await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'mallory' }, ada);
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.extensions?.argumentName).toBe('toUserId');
    expect(ok(await gql(server.url, SessionTransfersDocument, { sessionId: s.id }, ada)).sessionTransfers.edges).toEqual([]);

    await start('vision', bob); // now the tenant knows bob
    ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'bob' }, ada));
    clock.advance(60_000);
    ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'alice' }, ada));
    const history = ok(await gql(server.url, SessionTransfersDocument, { sessionId: s.id, first: 1 }, ada)).sessionTransfers;
    expect(history.edges.map((e) => [e.node.fromUserId, e.node.toUserId, e.node.byUserId])).toEqual([['alice', 'bob', 'ada']]);
    expect(history.pageInfo.hasNextPage).toBe(true);
    const rest = ok(await gql(server.url, SessionTransfersDocument, { sessionId: s.id, after: history.pageInfo.endCursor }, ada)).sessionTransfers;
    expect(rest.edges.map((e) => [e.node.fromUserId, e.node.toUserId, e.node.at])).toEqual([['bob', 'alice', new Date(clock.now()).toISOString()]]);
    expect(codeOf(await gql(server.url, SessionTransfersDocument, { sessionId: s.id, after: 'forged' }, ada))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(server.url, SessionTransfersDocument, { sessionId: s.id }, adaOther))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server.url, SessionTransfersDocument, { sessionId: s.id }, alice))).toBe('FORBIDDEN');
  });
});

describe('outcomes and results', () => {
  test('a result is its owner\'s: admins get null; myResult and myResults keep it after the session expired', async () => {
    const carol = await tokenFor('ud-a', 'carol');
    const s = await start('core_values', carol);
    ok(await send(s.id, 'I value honesty and courage.', carol));
    const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: s.id }, carol)).completeSession;
    expect(JSON.stringify(done.result)).toMatch(/honesty/i);
    const listed = await rawGql(server.url, '{ tenantSessions(topicId: "core_values") { edges { node { id result resultError } } } }', {}, ada);
    expect(listed.errors).toBeUndefined();
    expect(listed.text).toContain(s.id);
    expect(listed.text).not.toMatch(/honesty|courage/i);

    clock.advance(400 * DAY); // past every TTL of the session
    expect(ok(await gql(server.url, SessionDocument, { id: s.id, first: 1 }, carol)).session).toBeNull();
    const topic = ok(await gql(server.url, TopicsDocument, {}, carol)).topics.find((t) => t.id === 'core_values')!;
    expect(topic.myStatus).toBe('COMPLETED');
    expect(topic.myResult).toMatchObject({ sessionId: s.id, result: done.result });
    const results = ok(await gql(server.url, MyResultsDocument, { first: 10 }, carol)).myResults;
    expect(results.edges.map((e) => [e.node.topicId, e.node.sessionId])).toEqual([['core_values', s.id]]);
    expect(codeOf(await gql(server.url, MyResultsDocument, { after: 'forged' }, carol))).toBe('BAD_USER_INPUT');

    await start('core_values', carol); // starting again: in progress, the last outcome still shown
    const again = ok(await gql(server.url, TopicsDocument, {}, carol)).topics.find((t) => t.id === 'core_values')!;
    expect(again).toMatchObject({ myStatus: 'IN_PROGRESS', myResult: { sessionId: s.id } });
  });
});

describe('export and erasure', () => {
  test('exportMyData pages to the end; after eraseMyData it is empty and her words in a transferred session are gone', async () => {
    const dan = await tokenFor('ud-a', 'dan');
    const eve = await tokenFor('ud-a', 'eve');
    await start('goals', eve);
    const s = await start('strengths', dan);
    for (let i = 0; i < 6; i++) ok(await send(s.id, `danWrote${i}`, dan));
    ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'eve' }, ada));
    ok(await send(s.id, 'eveWrote', eve));

    const records: unknown[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const page: { tenantId: string; userId: string; records: unknown[]; hasNextPage: boolean; endCursor?: string | null } = ok(
        await gql(server.url, ExportMyDataDocument, { first: 4, after }, dan),
      ).exportMyData;
      expect(page).toMatchObject({ tenantId: 'ud-a', userId: 'dan' });
      records.push(...page.records);
      after = page.endCursor ?? null;
      if (!page.hasNextPage) break;
    }
    expect(after).toBeNull();
    const text = JSON.stringify(records);
    for (let i = 0; i < 6; i++) expect(text).toContain(`danWrote${i}`);
    expect(text).not.toContain('eveWrote');

    const erased = ok(await gql(server.url, EraseMyDataDocument, {}, dan)).eraseMyData;
    expect(erased.itemsRedacted).toBeGreaterThanOrEqual(6);
    const left = ok(await gql(server.url, SessionDocument, { id: s.id, first: 50 }, eve)).session!;
    const contents = left.messages.edges.map((e) => e.node.content).join('\n');
    expect(contents).not.toMatch(/danWrote/);
    expect(contents).toContain('eveWrote');
    const emptied = ok(await gql(server.url, ExportMyDataDocument, {}, dan)).exportMyData;
    expect(emptied.records.filter((r) => (r as { type: string }).type !== 'erasure')).toEqual([]);
  });
});

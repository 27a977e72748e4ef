import {
  CancelSessionDocument,
  CompleteSessionDocument,
  PauseSessionDocument,
  PostMessageDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { CoachTurn } from '../../src/coach/port';
import { messageKey } from '../../src/store/items/message';
import { eventually, rawGql } from '../support/e2e-helpers';
import { FakeClock, HOUR, MINUTE } from '../support/clock';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

// Write and read capacity units per operation, as the server's own counters see them
// (src/store/request-stats.ts: ReturnConsumedCapacity TOTAL, summed per operation), against
// DynamoDB Local. Deterministic for fixed item sizes and a clock the test moves, so asserted
// exactly; docs/performance.md explains what DynamoDB Local reports for transactions and
// index writes, and what AWS would bill. Before this change a turn cost 40 WCU.
let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 4, 4, 9, 0, 5));
/** The embedded coach, taking 2 s of the test's clock to answer, as a model would take real seconds. */
class TimedCoach extends EmbeddedCoach {
  override reply(turn: CoachTurn): Promise<string> {
    clock.advance(2000);
    return super.reply(turn);
  }
}
beforeAll(async () => {
  // The token caps are read once per tenant and BUDGET_CACHE_MS: here once per tenant for the whole file.
  server = await startTestServer({ clock, coach: new TimedCoach(), env: { BUDGET_CACHE_MS: '300000' } });
});
afterAll(() => server.stop());

/** What `fn` costs, with the work it leaves in the background (the coach's memory) done and counted apart. */
async function capacity(fn: () => Promise<unknown>) {
  const totals = server.app.dynamoTotals;
  const before = { wcu: totals.writeCapacity, rcu: totals.readCapacity };
  await fn();
  await server.app.settled();
  return { wcu: totals.writeCapacity - before.wcu, rcu: totals.readCapacity - before.rcu };
}


const BARE_START = 'mutation($t: ID!) { startSession(topicId: $t) { id status messageCount } }';
const TEXT = 'I feel most myself when I help a colleague grow and see them take on something new.';

async function started(tenant: string, topicId = 'purpose') {
  const token = await tokenFor(tenant, 'alice');
  ok(await gql(server.url, TopicsDocument, {}, token)); // tenant topics cached: not counted below
  const res = await rawGql(server.url, BARE_START, { t: topicId }, token);
  return { token, id: (res.data!.startSession as { id: string }).id };
}

const send = (token: string, sessionId: string, clientMessageId: string | null = null) =>
  gql(server.url, SendMessageDocument, { sessionId, content: TEXT, clientMessageId }, token).then(ok);

test('a sendMessage turn (message + reply) is 12 WCU within the minute of the last activity, with or without a clientMessageId, until the summary grows the session item', async () => {
  const { token, id } = await started('cap-turn');
  const turns: number[] = [];
  for (let i = 0; i < 12; i++) {
    clock.advance(1000);
    turns.push((await capacity(() => send(token, id, i % 2 ? `c-${i}` : null))).wcu);
  }
  // Message: session (+1 byUser entry) + hold + message (+ record); reply: session (+1 byUser) + reply,
  // and the topic's and the user's usage counters, which DynamoDB Local reports as nothing more
  // (a transaction's distinct capacities: docs/performance.md; AWS bills them, 4: docs/data-model.md).
  // The coach's memory after the reply (background, counted here): the title after the first
  // exchange, 6 (session + byUser entry, in a transaction with the usage counters); the first
  // fold at turn 10 (the window's 20 messages), 10. From then on the summary makes the session
  // item pass 1 KB, and both session writes of a turn (and their byUser entries) cost one unit
  // more each, doubled in a transaction: 20.
  expect(turns).toEqual([18, ...Array(8).fill(12), 22, 20, 20]);
  // One read: the session (a consistent GetItem of an item under 4 KB).
  expect((await capacity(() => send(token, id))).rcu).toBe(1);
});

test('a turn in a new minute also moves the byUser sort key; an hour on, the admin index keys too', async () => {
  const { token, id } = await started('cap-minute');
  clock.advance(MINUTE);
  // With the title written after this first exchange (6).
  expect((await capacity(() => send(token, id))).wcu).toBe(20);
  clock.advance(HOUR);
  expect((await capacity(() => send(token, id))).wcu).toBe(26);
  clock.advance(1000);
  expect((await capacity(() => send(token, id))).wcu).toBe(12);
});

test('postMessage, sessionCheck and the lifecycle operations', async () => {
  const { token, id } = await started('cap-ops');
  const costs: Record<string, { wcu: number; rcu: number }> = {};
  clock.advance(1000);
  costs.postMessage = await capacity(async () => {
    const posted = ok(await gql(server.url, PostMessageDocument, { sessionId: id, content: TEXT, clientMessageId: 'p-1' }, token)).postMessage;
    // The reply follows in the background: wait for it with the test's own (uncounted) client.
    const replyKey = messageKey('cap-ops', id, Number(posted.message.id.split(':')[1]) + 1);
    expect(await eventually(async () => !!(await server.table.doc.send(new GetCommand({ TableName: server.table.tableName, Key: replyKey }))).Item, 5000, 20)).toBe(true);
  });
  costs.sessionCheck = await capacity(async () => ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, token)));
  costs.startResume = await capacity(async () => ok(await rawGql(server.url, BARE_START, { t: 'purpose' }, token)));
  clock.advance(1000);
  costs.pause = await capacity(async () => ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, token)));
  clock.advance(1000);
  costs.resume = await capacity(async () => ok(await gql(server.url, ResumeSessionDocument, { sessionId: id }, token)));
  clock.advance(1000);
  costs.complete = await capacity(async () => ok(await gql(server.url, CompleteSessionDocument, { sessionId: id }, token)));
  const other = await started('cap-ops-2', 'vision');
  clock.advance(1000);
  costs.cancel = await capacity(async () => ok(await gql(server.url, CancelSessionDocument, { sessionId: other.id }, other.token)));
  const fresh = await tokenFor('cap-ops-3', 'alice');
  ok(await gql(server.url, TopicsDocument, {}, fresh));
  costs.startCreate = await capacity(async () => ok(await rawGql(server.url, BARE_START, { t: 'goals' }, fresh)));
  expect(costs).toEqual({
    // Like a sendMessage turn: the reply is written by this process in the background, then the title (6).
    postMessage: { wcu: 18, rcu: 1 },
    sessionCheck: { wcu: 0, rcu: 1 },
    // The hold, then the session.
    startResume: { wcu: 0, rcu: 2 },
    // Session (+ its byUser entry) and hold, changed attributes only: was 20.
    pause: { wcu: 6, rcu: 1 },
    resume: { wcu: 6, rcu: 1 },
    // The session leaves the two sparse indexes, its hold goes, and its 3 messages, record and
    // owner's mention (with its byUser entry) take its terminal expiry (one write each): grows
    // with the conversation, once per session. Completing also records the user's outcome.
    complete: { wcu: 16, rcu: 3 },
    cancel: { wcu: 13, rcu: 2 },
    // Hold, session with its four index entries, opening message, and the owner's mention with
    // its byUser entry (how erasure and export find the session after its TTL): what a new session needs.
    // Read: the hold, and the tenant's token caps (its first budget check in this process).
    startCreate: { wcu: 16, rcu: 2 },
  });
});

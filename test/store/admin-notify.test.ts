/**
 * notify-idle against DynamoDB Local and a local HTTP receiver: one signed webhook per
 * idle period, across concurrent runs and reruns; new activity starts a new period; a
 * failed delivery is retried by the next run.
 */
import { createDynamoClient, documentClient } from '../../src/store/client';
import { DynamoIdleNoticeStore } from '../../src/store/idle-notice-store';
import { instrumentClient } from '../../src/store/request-stats';
import { notifyIdle, idleEventId } from '../../src/notify/notify-idle';
import { verifySignature } from '../../src/notify/webhook';
import { DAY, FakeClock, MINUTE } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { startStub } from '../support/stub-http';
import { catalog, partition, stackOn, topic, viewer } from '../support/store-helpers';

const SECRET = 'notify-test-secret-0123456789';
const topics = catalog(topic('alpha'), topic('beta'), topic('gamma'));

let table: TestTable;
let status = 200;
let receiver: Awaited<ReturnType<typeof startStub>>;
beforeAll(async () => {
  table = await createTestTable();
  receiver = await startStub(() => ({ status }));
});
afterAll(async () => {
  await receiver.close();
  await table.drop();
});

function run(clock: FakeClock, store: DynamoIdleNoticeStore, minIdleMinutes = 60) {
  return notifyIdle(
    { store, clock, webhook: { url: receiver.url, secret: SECRET, timeoutMs: 2000, maxAttempts: 1 } },
    { minIdleMinutes },
  );
}

test('once per idle period across two concurrent runs and a rerun; signed; a new period after activity', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  const { service } = stackOn(table, clock, topics);
  const a = await service.lifecycle.start(viewer('n-t1', 'alice'), 'alpha', false);
  const b = await service.lifecycle.start(viewer('n-t2', 'bob'), 'beta', false);
  const done = await service.lifecycle.start(viewer('n-t1', 'carol'), 'gamma', false);
  await service.lifecycle.complete(viewer('n-t1', 'carol'), done.id);
  clock.advance(2 * DAY);
  const fresh = await service.lifecycle.start(viewer('n-t2', 'dan'), 'alpha', false); // active just now

  const clients = [0, 1].map(() => createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint }));
  try {
    const totals = clients.map((c) => instrumentClient(c));
    const stores = clients.map((c) => new DynamoIdleNoticeStore(documentClient(c), table.tableName));
    receiver.requests.length = 0;
    const results = await Promise.all(stores.map((s) => run(clock, s)));
    expect(results.reduce((n, r) => n + r.notified, 0)).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    for (const t of totals) expect(t.byCommand.ScanCommand).toBeUndefined();

    const events = receiver.requests.map((r) => r.headers['x-coaching-event-id']).sort();
    expect(events).toEqual([idleEventId({ sessionId: a.id, lastActivityAt: a.lastActivityAt }), idleEventId({ sessionId: b.id, lastActivityAt: b.lastActivityAt })].sort());
    for (const r of receiver.requests) {
      const body = JSON.stringify(r.body);
      const delivery = { eventId: String(r.headers['x-coaching-event-id']), signature: String(r.headers['x-coaching-signature']), body };
      expect(verifySignature(SECRET, delivery, Math.floor(clock.now() / 1000))).toBe(true);
      expect(r.body).toMatchObject({ type: 'session.idle', eventId: r.headers['x-coaching-event-id'], idleMinutes: 2 * 24 * 60 });
    }
    expect(receiver.requests.map((r) => r.body.sessionId)).not.toContain(fresh.id);
    expect(receiver.requests.map((r) => r.body.sessionId)).not.toContain(done.id);

    // A rerun: the same periods are not notified again (the index filter skips them).
    expect(await run(clock, stores[0])).toMatchObject({ found: 0, notified: 0 });
    // A day later only the session that has become idle since is new.
    clock.advance(DAY);
    receiver.requests.length = 0;
    expect(await run(clock, stores[0])).toMatchObject({ notified: 1 });
    expect(receiver.requests.map((r) => r.body.sessionId)).toEqual([fresh.id]);
    receiver.requests.length = 0;

    // Activity drops the mark (whole-item put): the next idle period gets its own event.
    const sent = await service.conversation.sendMessage(viewer('n-t1', 'alice'), a.id, 'back again', null);
    const item = (await partition(table, 'n-t1', a.id)).find((i) => i.sk === 'SESSION')!;
    expect(item.idleNotifiedFor).toBeUndefined();
    clock.advance(2 * DAY);
    await run(clock, stores[1]);
    const again = receiver.requests.filter((r) => r.body.sessionId === a.id);
    expect(again.map((r) => r.headers['x-coaching-event-id'])).toEqual([idleEventId({ sessionId: a.id, lastActivityAt: sent.session.lastActivityAt })]);
  } finally {
    for (const c of clients) c.destroy();
  }
});

test('a failed delivery releases the claim and the next run delivers; a held lease keeps others off', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const { service } = stackOn(table, clock, topics);
  const s = await service.lifecycle.start(viewer('f-t', 'erin'), 'alpha', false);
  clock.advance(DAY);
  const store = new DynamoIdleNoticeStore(table.doc, table.tableName);
  receiver.requests.length = 0;
  status = 500;
  try {
    const failed = await run(clock, store);
    expect(failed.failed).toBeGreaterThanOrEqual(1);
  } finally {
    status = 200;
  }
  const retried = await run(clock, store);
  expect(retried.notified).toBeGreaterThanOrEqual(1);
  const mine = receiver.requests.filter((r) => r.body.sessionId === s.id);
  expect(mine).toHaveLength(2); // the refused attempt and the delivered one, same event id
  expect(new Set(mine.map((r) => r.headers['x-coaching-event-id'])).size).toBe(1);

  // A lease taken by a run that never finished keeps the period until it ends.
  clock.advance(DAY);
  await service.conversation.sendMessage(viewer('f-t', 'erin'), s.id, 'hi', null);
  clock.advance(DAY);
  const [candidate] = (await collect(store, clock)).filter((c) => c.sessionId === s.id);
  expect(await store.claim(candidate, 'crashed-run', clock.now() + 10 * MINUTE, clock.now())).toBe(true);
  receiver.requests.length = 0;
  await run(clock, store);
  expect(receiver.requests.filter((r) => r.body.sessionId === s.id)).toHaveLength(0);
  clock.advance(11 * MINUTE);
  await run(clock, store);
  expect(receiver.requests.filter((r) => r.body.sessionId === s.id)).toHaveLength(1);
});

async function collect(store: DynamoIdleNoticeStore, clock: FakeClock) {
  const out = [];
  for await (const batch of store.findIdle(clock.now() - 60 * MINUTE, clock.now())) out.push(...batch);
  return out;
}

test('the lease is an ISO time like every other time attribute; a lease an older version wrote in epoch ms still counts', async () => {
  const clock = new FakeClock(Date.UTC(2026, 7, 1, 8, 0, 0));
  const { service } = stackOn(table, clock, topics);
  const s = await service.lifecycle.start(viewer('l-t', 'fay'), 'beta', false);
  clock.advance(DAY);
  const store = new DynamoIdleNoticeStore(table.doc, table.tableName);
  const [candidate] = (await collect(store, clock)).filter((c) => c.sessionId === s.id);
  const sessionItem = async () => (await partition(table, 'l-t', s.id)).find((i) => i.sk === 'SESSION')!;

  expect(await store.claim(candidate, 'run-1', clock.now() + MINUTE, clock.now())).toBe(true);
  expect((await sessionItem()).idleClaimUntil).toBe(new Date(clock.now() + MINUTE).toISOString());
  await store.release(candidate, 'run-1');

  // An older run's lease, in epoch ms: it keeps others off while it runs, and not after.
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const item = await sessionItem();
  await table.doc.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: 'SET idleClaimFor = :seen, idleClaimUntil = :until, idleClaimBy = :run',
      ExpressionAttributeValues: { ':seen': item.lastActivityAt, ':until': clock.now() + 10 * MINUTE, ':run': 'old-run' },
    }),
  );
  expect(await store.claim(candidate, 'run-2', clock.now() + MINUTE, clock.now())).toBe(false);
  clock.advance(11 * MINUTE);
  expect(await store.claim(candidate, 'run-2', clock.now() + MINUTE, clock.now())).toBe(true);
  expect(await sessionItem()).toMatchObject({ idleClaimBy: 'run-2', idleClaimUntil: new Date(clock.now() + MINUTE).toISOString() });
});

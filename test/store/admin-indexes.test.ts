import { capabilities } from '../support/capabilities';
/**
 * The admin indexes and erasure on DynamoDB Local: index keys only where they belong,
 * idle and per-topic listings through queries (never a scan), transfer, erasure, and the
 * upgrade of a table made before the indexes existed.
 */
import { CreateTableCommand, CreateTableCommandInput, DeleteTableCommand, DescribeTableCommand, Projection } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClient } from '../../src/store/client';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { instrumentClient } from '../../src/store/request-stats';
import { ensureTable, tableDefinition } from '../../src/store/table';
import { idleShard } from '../../src/store/items/session-indexes';
import { DEFAULT_IDLE_INDEX_SHARDS } from '../../src/defaults';
import { Viewer } from '../../src/domain/viewer';
import { DAY, FakeClock, HOUR, MINUTE } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { adminStackOn, catalog, Item, partition, scanAll, topic, viewer } from '../support/store-helpers';

const ADMIN_KEYS = ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'];
const topics = catalog(topic('alpha'), topic('beta'), topic('gamma'), topic('brief', { activeTtlSeconds: 3600, terminalTtlSeconds: 600 }));
const admin = (tenantId: string): Viewer => ({ tenantId, userId: 'ada', roles: ['admin'] });

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

const stack = (t: TestTable, clock: FakeClock) => adminStackOn(t, clock, topics);

test('index keys: live sessions in all three admin indexes, ended ones only in byTenantTopic, never holds or children', async () => {
  const own = await createTestTable();
  try {
    const clock = new FakeClock(Date.UTC(2026, 3, 1, 8, 0, 0, 5));
    const { service } = stack(own, clock);
    const me = viewer('acme#1', 'u1');
    const s = await service.lifecycle.start(me, 'alpha', false);
    await service.conversation.sendMessage(me, s.id, 'hello', 'c-1');
    const items = await scanAll(own);
    const sessionItem = items.find((i) => i.sk === 'SESSION')!;
    const at = new Date(clock.now()).toISOString();
    expect(sessionItem).toMatchObject({
      gsi2pk: 'T#acme%231#LIVE',
      gsi2sk: `${at}#${s.id}`,
      gsi3pk: `LIVE#${idleShard(s.id, DEFAULT_IDLE_INDEX_SHARDS)}`,
      gsi3sk: `${at}#acme%231#${s.id}`,
      gsi4pk: 'T#acme%231#TOPIC#alpha',
      gsi4sk: `${at}#${s.id}`,
    });
    for (const other of items.filter((i) => i.sk !== 'SESSION')) {
      for (const key of ADMIN_KEYS) expect(other).not.toHaveProperty(key);
    }
    await service.lifecycle.complete(me, s.id);
    const ended = (await partition(own, 'acme#1', s.id)).find((i) => i.sk === 'SESSION')!;
    expect(Object.keys(ended).filter((k) => ADMIN_KEYS.includes(k)).sort()).toEqual(['gsi4pk', 'gsi4sk']);
  } finally {
    await own.drop();
  }
});

test('idleSessions queries byTenantIdle (no scan), oldest first, pages, and stays in the tenant', async () => {
  const clock = new FakeClock(Date.UTC(2026, 3, 2, 8, 0, 0));
  const { service, admins } = stack(table, clock);
  const ids: string[] = [];
  for (const [i, t] of ['alpha', 'beta', 'gamma'].entries()) {
    ids.push((await service.lifecycle.start(viewer('idle-t', `u${i}`), t, false)).id);
    clock.advance(DAY);
  }
  const foreign = await service.lifecycle.start(viewer('idle-other', 'x'), 'alpha', false);
  const recent = await service.lifecycle.start(viewer('idle-t', 'u9'), 'brief', false); // active just now

  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  try {
    const totals = instrumentClient(client);
    const repo = new DynamoSessionRepository(documentClient(client), table.tableName);
    const counted = capabilities(repo, topics, { clock: clock });
    const page1 = await counted.listings.idleSessions(admin('idle-t'), 60, 2, null);
    expect(page1.sessions.map((s) => s.id)).toEqual([ids[0], ids[1]]);
    expect(page1.sessions[0]).toMatchObject({ isIdle: true, idleSince: page1.sessions[0].lastActivityAt });
    expect(page1.hasNextPage).toBe(true);
    const page2 = await counted.listings.idleSessions(admin('idle-t'), 60, 2, page1.cursors[1]);
    expect(page2.sessions.map((s) => s.id)).toEqual([ids[2]]);
    expect(page2.hasNextPage).toBe(false);
    // Keys-only index: each page is one Query of candidates and one BatchGetItem of the sessions; never a scan.
    expect(Object.keys(totals.byCommand).sort()).toEqual(['BatchGetItemCommand', 'QueryCommand']);
    expect(totals.requests).toBeLessThanOrEqual(4);
  } finally {
    client.destroy();
  }
  // Strictly older than the cutoff: activity at this very millisecond is not idle yet.
  expect((await admins.listings.idleSessions(admin('idle-t'), 0, 50, null)).sessions.map((s) => s.id)).not.toContain(recent.id);
  clock.advance(1);
  const all = (await admins.listings.idleSessions(admin('idle-t'), 0, 50, null)).sessions.map((s) => s.id);
  expect(all).toEqual([...ids, recent.id]);
  expect(all).not.toContain(foreign.id);
  await expect(admins.listings.idleSessions(admin('idle-t'), 60, 2, 'bm90IGEgY3Vyc29y')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('tenantSessions: by topic or across the catalogue, status filter, recency order, paging', async () => {
  const clock = new FakeClock(Date.UTC(2026, 3, 3, 8, 0, 0));
  const { service, admins } = stack(table, clock);
  const a = await service.lifecycle.start(viewer('who-t', 'alice'), 'alpha', false);
  await service.lifecycle.complete(viewer('who-t', 'alice'), a.id);
  clock.advance(MINUTE);
  const b = await service.lifecycle.start(viewer('who-t', 'bob'), 'alpha', false);
  clock.advance(MINUTE);
  const c = await service.lifecycle.start(viewer('who-t', 'alice'), 'beta', false);
  await service.lifecycle.start(viewer('who-other', 'alice'), 'alpha', false);
  const ids = (p: { sessions: { id: string }[] }) => p.sessions.map((s) => s.id);
  expect(ids(await admins.listings.tenantSessions(admin('who-t'), 'alpha', null, null, null))).toEqual([b.id, a.id]);
  expect(ids(await admins.listings.tenantSessions(admin('who-t'), 'alpha', ['ACTIVE', 'PAUSED'], null, null))).toEqual([b.id]);
  const first = await admins.listings.tenantSessions(admin('who-t'), null, null, 2, null);
  expect(ids(first)).toEqual([c.id, b.id]);
  expect(first.hasNextPage).toBe(true);
  const rest = await admins.listings.tenantSessions(admin('who-t'), null, null, 2, first.cursors[1]);
  expect(ids(rest)).toEqual([a.id]);
  expect(rest.hasNextPage).toBe(false);
});

test('transfer rewrites byUser, the hold and the idle indexes in one versioned write', async () => {
  const clock = new FakeClock(Date.UTC(2026, 3, 4, 8, 0, 0));
  const { service, admins } = stack(table, clock);
  const s = await service.lifecycle.start(viewer('xfer-t', 'alice'), 'alpha', false);
  clock.advance(3 * DAY);
  const bobs = await service.lifecycle.start(viewer('xfer-t', 'bob'), 'beta', false); // a user the tenant knows
  const moved = await admins.transfers.transfer(admin('xfer-t'), s.id, 'bob');
  expect(moved).toMatchObject({ userId: 'bob', transfer: { by: 'ada', from: 'alice', at: clock.now() } });
  const item = (await partition(table, 'xfer-t', s.id)).find((i) => i.sk === 'SESSION')!;
  expect(item).toMatchObject({ userId: 'bob', gsi1pk: 'T#xfer-t#U#bob', transferredBy: 'ada', transferredFrom: 'alice' });
  expect(await service.sessions.get(viewer('xfer-t', 'alice'), s.id)).toBeNull();
  expect(await service.sessions.check(viewer('xfer-t', 'bob'), 'alpha')).toMatchObject({ hasSession: true, sessionId: s.id });
  expect((await service.sessions.mySessions(viewer('xfer-t', 'bob'), null, null, null)).sessions.map((x) => x.id).sort()).toEqual([s.id, bobs.id].sort());
  // The audit survives the new owner's next write (a resume from the hold copy too).
  await service.lifecycle.pause(viewer('xfer-t', 'bob'), s.id);
  const resumed = await service.lifecycle.start(viewer('xfer-t', 'bob'), 'alpha', false);
  expect(resumed.transfer).toMatchObject({ by: 'ada', from: 'alice' });
});

test('erasure deletes every item of the user, expired-but-undeleted sessions included, and nothing of others', async () => {
  const own = await createTestTable();
  try {
    const clock = new FakeClock(Date.UTC(2026, 3, 5, 8, 0, 0));
    const { service, admins } = stack(own, clock);
    const me = viewer('erase-t', 'alice');
    const gone = await service.lifecycle.start(me, 'brief', false); // expires after an hour
    await service.conversation.sendMessage(me, gone.id, 'soon expired', 'c-0');
    clock.advance(2 * HOUR);
    const live = await service.lifecycle.start(me, 'alpha', false);
    await service.conversation.sendMessage(me, live.id, 'private', 'c-1');
    const done = await service.lifecycle.start(me, 'beta', false);
    await service.lifecycle.complete(me, done.id);
    const bobs = await service.lifecycle.start(viewer('erase-t', 'bob'), 'gamma', false);
    const elsewhere = await service.lifecycle.start(viewer('erase-other', 'alice'), 'alpha', false);
    const before = await scanAll(own);

    const result = await admins.userData.eraseMyData(me);
    expect(result.sessionsDeleted).toBe(3);
    const scanned = await scanAll(own);
    // What stays of her: the audit entry that the erasure happened (counts only, nothing she wrote).
    const audits = scanned.filter((i) => i.type === 'ERASURE');
    expect(audits).toEqual([expect.objectContaining({ pk: 'T#erase-t#AUDIT', userId: 'alice', erasedBy: 'alice', sessionsDeleted: 3 })]);
    const after = scanned.filter((i) => i.type !== 'ERASURE');
    const mine = (i: Item) => [gone.id, live.id, done.id].some((id) => String(i.pk).includes(id)) || (i.userId === 'alice' && i.tenantId === 'erase-t');
    expect(after.filter(mine)).toEqual([]);
    expect(result.itemsDeleted).toBe(before.length - after.length);
    expect(after.map((i) => i.sessionId).filter(Boolean).sort()).toEqual(
      [bobs.id, bobs.id, bobs.id, elsewhere.id, elsewhere.id, elsewhere.id].sort(), // each: session, hold, owner's mention
    );
    expect(await service.sessions.check(me, 'alpha')).toMatchObject({ hasSession: false });
    expect((await service.sessions.mySessions(me, null, null, null)).sessions).toEqual([]);
    expect((await service.lifecycle.start(me, 'alpha', false)).id).not.toBe(live.id);
    expect(await admins.userData.eraseUserData(admin('erase-t'), 'alice')).toMatchObject({ sessionsDeleted: 1 });
  } finally {
    await own.drop();
  }
});

test('ensureTable upgrades a table made before the admin indexes, and backfills existing sessions', async () => {
  const own = await createTestTable();
  const legacyName = `${own.tableName}_legacy`;
  const def = tableDefinition(legacyName);
  await own.client.send(
    new CreateTableCommand({
      ...def,
      AttributeDefinitions: def.AttributeDefinitions!.filter((a) => ['pk', 'sk', 'gsi1pk', 'gsi1sk'].includes(a.AttributeName!)),
      GlobalSecondaryIndexes: def.GlobalSecondaryIndexes!.filter((i) => i.IndexName === 'byUser'),
    }),
  );
  try {
    const legacy = { ...own, tableName: legacyName };
    const clock = new FakeClock(Date.UTC(2026, 3, 6, 8, 0, 0));
    const { service } = stack(legacy, clock);
    const s = await service.lifecycle.start(viewer('up-t', 'alice'), 'alpha', false);
    // As an old version wrote it: no admin index keys.
    const item = (await partition(legacy, 'up-t', s.id)).find((i) => i.sk === 'SESSION')!;
    for (const key of ADMIN_KEYS) delete item[key];
    await own.doc.send(new PutCommand({ TableName: legacyName, Item: item }));

    await ensureTable(own.client, legacyName, { ttl: false });
    const described = (await own.client.send(new DescribeTableCommand({ TableName: legacyName }))).Table!;
    expect((described.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.IndexStatus]).sort()).toEqual([
      ['byIdleV2', 'ACTIVE'],
      ['byTenantIdleV2', 'ACTIVE'],
      ['byTenantTopicV2', 'ACTIVE'],
      ['byUser', 'ACTIVE'],
    ]);
    clock.advance(DAY);
    const admins = capabilities(new DynamoSessionRepository(own.doc, legacyName), topics, { clock: clock });
    expect((await admins.listings.idleSessions(admin('up-t'), 60, null, null)).sessions.map((x) => x.id)).toEqual([s.id]);
    expect(await ensureTable(own.client, legacyName, { ttl: false })).toBe('exists'); // idempotent
  } finally {
    await own.client.send(new DeleteTableCommand({ TableName: legacyName })).catch(() => undefined);
    await own.drop();
  }
});

/** The indexes as the previous version created them: admin indexes projecting every (or the listed) attribute. */
function previousVersionTable(name: string): CreateTableCommandInput {
  const def = tableDefinition(name);
  const gsi = (IndexName: string, pk: string, sk: string, Projection: Projection) => ({
    IndexName,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection,
  });
  const idleAttributes = ['sessionId', 'tenantId', 'userId', 'topicId', 'status', 'lastActivityAt', 'ttl', 'idleNotifiedFor'];
  return {
    ...def,
    GlobalSecondaryIndexes: [
      gsi('byUser', 'gsi1pk', 'gsi1sk', { ProjectionType: 'ALL' }),
      gsi('byTenantIdle', 'gsi2pk', 'gsi2sk', { ProjectionType: 'ALL' }),
      gsi('byIdle', 'gsi3pk', 'gsi3sk', { ProjectionType: 'INCLUDE', NonKeyAttributes: idleAttributes }),
      gsi('byTenantTopic', 'gsi4pk', 'gsi4sk', { ProjectionType: 'ALL' }),
    ],
  };
}

test('ensureTable upgrades a table of the previous version: keys-only admin indexes replace the old ones; its data keeps working', async () => {
  const own = await createTestTable();
  const name = `${own.tableName}_v1`;
  await own.client.send(new CreateTableCommand(previousVersionTable(name)));
  try {
    const table = { ...own, tableName: name };
    const clock = new FakeClock(Date.UTC(2026, 3, 7, 8, 0, 0));
    const me = viewer('v1-t', 'alice');
    // A session as the previous version stored it: whole items, the hold a full copy, no lastSeq or replyTo.
    const { service } = stack(table, clock);
    const s = await service.lifecycle.start(me, 'alpha', false);
    await service.conversation.sendMessage(me, s.id, 'Written before the upgrade.', 'old-1');
    const items = await partition(table, 'v1-t', s.id);
    const session = items.find((i) => i.sk === 'SESSION')!;
    delete session.lastSeq;
    await own.doc.send(new PutCommand({ TableName: name, Item: session }));
    for (const m of items.filter((i) => i.type === 'MESSAGE')) {
      delete m.replyTo;
      delete m.authorId;
      await own.doc.send(new PutCommand({ TableName: name, Item: m }));
    }
    await own.doc.send(new PutCommand({ TableName: name, Item: { ...items.find((i) => i.type === 'CLIENT_MESSAGE')!, replySeq: 3 } }));
    const hold = (await scanAll(table)).find((i) => i.sk === 'HOLD')!;
    const copied = Object.fromEntries(Object.entries(session).filter(([k]) => !k.startsWith('gsi')));
    await own.doc.send(new PutCommand({ TableName: name, Item: { ...copied, pk: hold.pk, sk: hold.sk, type: 'HOLD' } }));

    const log: string[] = [];
    await ensureTable(own.client, name, { ttl: false, log: (m) => log.push(m) });
    const described = (await own.client.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect((described.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.Projection?.ProjectionType]).sort()).toEqual([
      ['byIdleV2', 'KEYS_ONLY'],
      ['byTenantIdleV2', 'KEYS_ONLY'],
      ['byTenantTopicV2', 'KEYS_ONLY'],
      ['byUser', 'ALL'],
    ]);
    expect(log.filter((m) => m.startsWith('dropping index')).length).toBe(3);

    // Old data, new code: reads, admin listings, the retried message, and a new turn.
    const fresh = stack(table, clock);
    clock.advance(DAY);
    expect((await fresh.admins.listings.idleSessions(admin('v1-t'), 60, null, null)).sessions.map((x) => x.id)).toEqual([s.id]);
    expect((await fresh.admins.listings.tenantSessions(admin('v1-t'), 'alpha', null, null, null)).sessions.map((x) => x.id)).toEqual([s.id]);
    expect(await fresh.service.sessions.check(me, 'alpha')).toMatchObject({ hasSession: true, sessionId: s.id, turnCount: 1, isIdle: true });
    const again = await fresh.service.conversation.sendMessage(me, s.id, 'Written before the upgrade.', 'old-1');
    expect([again.message.seq, again.reply.seq]).toEqual([2, 3]);
    const next = await fresh.service.conversation.sendMessage(me, s.id, 'And after it.', 'new-1');
    expect([next.message.seq, next.reply.seq, next.session.messageCount]).toEqual([4, 5, 5]);
    expect(await fresh.service.sessions.check(me, 'alpha')).toMatchObject({ hasSession: true, turnCount: 2, isIdle: false });
    expect(await ensureTable(own.client, name, { ttl: false })).toBe('exists'); // idempotent
  } finally {
    await own.client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    await own.drop();
  }
});

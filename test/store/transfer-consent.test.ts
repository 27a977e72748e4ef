/**
 * Transfers and consent on DynamoDB Local (docs/administration.md, "Transfers and consent"):
 * what the session item and the transfer copies hold, and a session transferred before
 * ownerships were recorded (its past stays hidden).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Viewer } from '../../src/domain/viewer';
import { LEGACY_GRACE_MS } from '../../src/domain/visibility';
import { sessionKey } from '../../src/store/items/session';
import { DAY, FakeClock } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { adminStackOn, catalog, partition, topic, viewer } from '../support/store-helpers';

const topics = catalog(topic('alpha'), topic('beta'));
const admin: Viewer = { tenantId: 'tc', userId: 'ada', roles: ['admin'] };
const [alice, bob] = ['alice', 'bob'].map((u) => viewer('tc', u));
const page = { first: 50, after: null, last: null, before: null };

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

test('the session records ownerships and consent; each owner gets a copy of the hop, whose ttl follows the session', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const { service, admins } = adminStackOn(table, clock, topics);
  await service.lifecycle.start(bob, 'beta', false); // bob is known to the tenant
  const s = await service.lifecycle.start(alice, 'alpha', false);
  await service.conversation.sendMessage(alice, s.id, 'alice wrote this', 'a-1');
  await admins.transfers.setAllowTransferWithContent(alice, s.id, true);
  await admins.transfers.transfer(admin, s.id, 'bob');
  const items = await partition(table, 'tc', s.id);
  const session = items.find((i) => i.sk === 'SESSION')!;
  expect(session).toMatchObject({ owners: [{ userId: 'alice', fromSeq: 1 }, { userId: 'bob', fromSeq: 4 }], sharedBy: ['alice'] });
  const copies = items.filter((i) => i.type === 'USER_TRANSFER');
  expect(copies.map((c) => c.gsi1pk).sort()).toEqual(['T#tc#M#alice', 'T#tc#M#bob']);
  expect(copies[0]).toMatchObject({ fromUserId: 'alice', toUserId: 'bob', byUserId: 'ada', topicId: 'alpha', withContent: true });
  // A day of activity later every child's ttl is raised with the session's, the copies too.
  clock.advance(DAY + 60_000);
  await service.conversation.sendMessage(bob, s.id, 'bob writes a day later', 'b-1');
  const after = await partition(table, 'tc', s.id);
  const ttls = new Set(after.filter((i) => i.type === 'USER_TRANSFER' || i.type === 'MESSAGE').map((i) => i.ttl));
  expect(ttls.size).toBe(1);
  expect([...ttls][0]).toBe(after.find((i) => i.sk === 'SESSION')!.childTtl);
  expect((await admins.transfers.myTransfers(alice, null, null)).transfers).toEqual([expect.objectContaining({ sessionId: s.id, to: 'bob', withContent: true })]);
});

test('a session transferred before ownerships were recorded: its past stays hidden, then and after another transfer', async () => {
  const clock = new FakeClock(Date.UTC(2026, 6, 1, 8, 0, 0));
  const { service, admins } = adminStackOn(table, clock, topics);
  // A tenant of its own (the first test's sessions hold its topics).
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => viewer('tl', u));
  const admin: Viewer = { tenantId: 'tl', userId: 'ada', roles: ['admin'] };
  for (const u of [bob, carol]) {
    const own = await service.lifecycle.start(u, 'beta', false);
    await service.lifecycle.cancel(u, own.id);
  }
  const s = await service.lifecycle.start(alice, 'alpha', false);
  await service.conversation.sendMessage(alice, s.id, 'LEGACY-SECRET of alice', 'a-1');
  clock.advance(60_000);
  await admins.transfers.transfer(admin, s.id, 'bob');
  // As an earlier version stored it: the transfer audit, no ownerships.
  await table.doc.send(new UpdateCommand({ TableName: table.tableName, Key: sessionKey('tl', s.id), UpdateExpression: 'REMOVE #o', ExpressionAttributeNames: { '#o': 'owners' } }));
  const read = async (v: Viewer) => (await service.sessions.messages(v, (await service.sessions.get(v, s.id))!, page)).messages.map((m) => m.content);
  expect(await read(bob)).toEqual([]);
  clock.advance(60_000);
  await service.conversation.sendMessage(bob, s.id, 'bob right after', 'b-1');
  // His own message shows; the coach's reply, within the grace after the transfer, does not (it could answer alice).
  expect(await read(bob)).toEqual(['bob right after']);
  clock.advance(LEGACY_GRACE_MS);
  const later = await service.conversation.sendMessage(bob, s.id, 'bob later', 'b-2');
  expect(await read(bob)).toEqual(['bob right after', 'bob later', later.reply.content]);
  expect((await read(bob)).join()).not.toContain('LEGACY-SECRET');
  // Moved on again: the whole past is nobody's, so carol sees nothing of it.
  await admins.transfers.transfer(admin, s.id, 'carol');
  expect(await read(carol)).toEqual([]);
});

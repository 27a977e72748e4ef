import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { reapExpired } from '../../src/embedded/reaper';
import { createTestTable, TestTable } from '../support/dynamo';

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

test('the embedded reaper deletes exactly the items whose ttl has passed', async () => {
  const now = Date.UTC(2026, 5, 1);
  const nowSec = now / 1000;
  const items = [
    { pk: 'A', sk: 'SESSION', ttl: nowSec - 10, gsi1pk: 'U', gsi1sk: 'x' },
    { pk: 'A', sk: 'MSG#00000001', ttl: nowSec - 10 }, // not in the index: what stops DynamoDB Local's own sweeper
    { pk: 'A', sk: 'MSG#00000002', ttl: nowSec }, // ttl == now counts as expired, as reads treat it
    { pk: 'B', sk: 'SESSION', ttl: nowSec + 1, gsi1pk: 'U', gsi1sk: 'y' },
    { pk: 'B', sk: 'MSG#00000001', ttl: nowSec + 3600 },
  ];
  for (let i = 0; i < 30; i++) items.push({ pk: `C${i}`, sk: 'MSG#00000001', ttl: nowSec - i });
  for (const Item of items) await table.doc.send(new PutCommand({ TableName: table.tableName, Item }));

  expect(await reapExpired(table.doc, table.tableName, now)).toBe(33);
  const left = (await table.doc.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];
  expect(left.map((i) => `${i.pk}/${i.sk}`).sort()).toEqual(['B/MSG#00000001', 'B/SESSION']);
  expect(await reapExpired(table.doc, table.tableName, now)).toBe(0);
});

test('an item rewritten after it expired (a new hold over an old one) is not reaped', async () => {
  const now = Date.UTC(2026, 5, 1); // the first test's remaining items are still live then
  const nowSec = now / 1000;
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'H', sk: 'HOLD', ttl: nowSec - 5 } }));
  // Between the reaper's scan and its delete, someone takes the expired hold.
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const racing = DynamoDBDocumentClient.from(table.client);
  racing.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'DeleteCommand' || ctx.commandName === 'DeleteItemCommand') {
        await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'H', sk: 'HOLD', ttl: nowSec + 3600 } }));
      }
      return next(args);
    },
    { step: 'initialize', name: 'raceAHold' },
  );
  expect(await reapExpired(racing, table.tableName, now)).toBe(0);
  const left = (await table.doc.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];
  expect(left.find((i) => i.pk === 'H')).toMatchObject({ ttl: nowSec + 3600 });
});

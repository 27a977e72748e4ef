import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { emptyStats, instrumentClient, withRequestStats } from '../../src/store/request-stats';
import { createTestTable, TestTable } from '../support/dynamo';

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

test('requests and consumed capacity are counted per scope and in the process totals', async () => {
  const totals = instrumentClient(table.client, emptyStats());
  const a = emptyStats();
  const b = emptyStats();
  await withRequestStats(async () => {
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'x', sk: 'y', ttl: 1 } }));
    await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'x', sk: 'y' }, ConsistentRead: true }));
  }, a);
  await withRequestStats(() => table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'x', sk: 'y' } })), b);
  expect(a).toMatchObject({ requests: 2, byCommand: { PutItemCommand: 1, GetItemCommand: 1 } });
  expect(b).toMatchObject({ requests: 1, byCommand: { GetItemCommand: 1 } });
  expect(a.writeCapacity).toBeGreaterThan(0);
  expect(a.readCapacity).toBe(1); // a consistent read of a small item
  expect(b.readCapacity).toBe(0.5); // an eventually consistent one
  expect(totals.requests).toBe(3);
});

test('scopes that overlap are counted apart, and one that ends does not stop the others from counting', async () => {
  const totals = instrumentClient(table.client, emptyStats());
  const get = () => table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'x', sk: 'y' } }));
  const a = emptyStats();
  const b = emptyStats();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inB = withRequestStats(async () => {
    await get();
    await gate; // a ends meanwhile
    await get();
    await get();
  }, b);
  await withRequestStats(() => get(), a);
  release();
  await inB;
  expect(a.requests).toBe(1);
  expect(b.requests).toBe(3);
  // Outside any scope: counted in the totals only, never in a scope that has ended.
  await get();
  expect(a.requests + b.requests).toBe(4);
  expect(totals.requests).toBe(5);
});

import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

/**
 * What DynamoDB Local reports for transactions and index writes: the basis of the capacity
 * figures in docs/performance.md. Pinned here, so that a new DynamoDB Local that reports
 * otherwise is noticed.
 */
describe('DynamoDB Local capacity reporting (docs/performance.md)', () => {
  const write = async (send: () => Promise<unknown>) => {
    const stats = emptyStats();
    await withRequestStats(async () => void (await send()), stats);
    return stats.writeCapacity;
  };
  const put = (pk: string, extra: Record<string, unknown> = {}) => ({ Put: { TableName: table.tableName, Item: { pk, sk: 'x', ...extra } } });
  const tx = (...items: ReturnType<typeof put>[]) => () => table.doc.send(new TransactWriteCommand({ TransactItems: items }));
  const big = 'x'.repeat(1500);

  beforeAll(() => instrumentClient(table.client, emptyStats()));

  test('a transactional write of an item under 1 KB is 2 units; a plain one 1', async () => {
    expect(await write(tx(put('t1')))).toBe(2);
    expect(await write(() => table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'p1', sk: 'x' } })))).toBe(1);
  });

  test('a transaction is reported as the sum of its items\' distinct capacities: items of equal cost count once', async () => {
    // AWS bills every item: 4, 6, 6 and 6 units.
    expect(await write(tx(put('t2'), put('t3')))).toBe(2);
    expect(await write(tx(put('t4'), put('t5'), put('t6')))).toBe(2);
    expect(await write(tx(put('t7', { big }), put('t8')))).toBe(6);
    expect(await write(tx(put('t9', { big }), put('t10', { big }), put('t11', { big })))).toBe(4);
  });

  test('index writes count, doubled in a transaction; an unchanged value writes no index', async () => {
    const indexed = (v: string) => ({ gsi1pk: 'u', gsi1sk: v });
    expect(await write(() => table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'g1', sk: 'x', ...indexed('a') } })))).toBe(2);
    expect(await write(tx(put('g2', indexed('a'))))).toBe(4);
    // Moving the sort key: a delete and a put in the index.
    expect(await write(tx(put('g2', indexed('b'))))).toBe(6);
    const update = (v: number) => () =>
      table.doc.send(new UpdateCommand({ TableName: table.tableName, Key: { pk: 'g2', sk: 'x' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': v } }));
    expect(await write(update(1))).toBe(2); // a projected attribute changed (byUser projects all)
    expect(await write(update(1))).toBe(1); // nothing changed: the table only
  });
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

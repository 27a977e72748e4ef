/**
 * DynamoTopicRepository on DynamoDB Local: the documented keys (pk T#<tenant>#TOPICS,
 * sk TOPIC#<id>, no ttl), one Query per tenant, and the conditional put.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { DynamoTopicRepository } from '../../src/store/dynamo-topic-repository';
import { CorruptItemError } from '../../src/store/items/check';
import { tenantTopicKey, topicItem } from '../../src/store/items/tenant-topic';
import { instrumentClient } from '../../src/store/request-stats';
import { StoredTopic, TopicVersionConflictError } from '../../src/topics/topic-repository';
import { createTestTable, TestTable } from '../support/dynamo';

let table: TestTable;
let repo: DynamoTopicRepository;
beforeAll(async () => {
  table = await createTestTable();
  repo = new DynamoTopicRepository(table.doc, table.tableName);
});
afterAll(() => table.drop());

const stored = (tenantId: string, id: string, version: number, extra: Partial<StoredTopic> = {}): StoredTopic => ({
  tenantId,
  topic: {
    id,
    name: `Topic ${id}`,
    description: null,
    instructions: 'Coach.',
    openingMessage: 'Hello.',
    settings: { ...DEFAULT_SETTINGS, activeTtlSeconds: 600, maxTurns: 4 },
    resultSchema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false },
  },
  archived: false,
  version,
  updatedAt: 1_700_000_000_000,
  updatedBy: 'ada',
  ...extra,
});

test('items live under T#<tenant>#TOPICS / TOPIC#<id> (tenant encoded), with no ttl; updatedAt is an ISO time', async () => {
  await repo.putTenantTopic(stored('acme#1', 'alpha', 1), null);
  const key = tenantTopicKey('acme#1', 'alpha');
  expect(key).toEqual({ pk: 'T#acme%231#TOPICS', sk: 'TOPIC#alpha' });
  const item = (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))).Item!;
  expect(item).toMatchObject({ topicId: 'alpha', name: 'Topic alpha', archived: false, version: 1, updatedBy: 'ada', updatedAt: '2023-11-14T22:13:20.000Z' });
  expect(item.ttl).toBeUndefined();
});

test('listTenantTopics round-trips the topic and sees only its tenant, in one Query', async () => {
  await repo.putTenantTopic(stored('list-a', 'one', 1), null);
  await repo.putTenantTopic(stored('list-a', 'two', 1, { archived: true }), null);
  await repo.putTenantTopic(stored('list-b', 'one', 1), null);
  const stats = instrumentClient(table.client);
  const requestsBefore = stats.requests;
  const found = await repo.listTenantTopics('list-a');
  expect(stats.requests - requestsBefore).toBe(1);
  expect(found.map((t) => [t.topic.id, t.archived])).toEqual([
    ['one', false],
    ['two', true],
  ]);
  expect(found[0]).toEqual(stored('list-a', 'one', 1));
  expect(await repo.listTenantTopics('list-c')).toEqual([]);
});

test('the put is conditional: create only if absent, update only on the version read', async () => {
  await repo.putTenantTopic(stored('cond', 'x', 1), null);
  await expect(repo.putTenantTopic(stored('cond', 'x', 1), null)).rejects.toBeInstanceOf(TopicVersionConflictError);
  await repo.putTenantTopic(stored('cond', 'x', 2, { archived: true }), 1);
  // A writer that read version 1 loses.
  await expect(repo.putTenantTopic(stored('cond', 'x', 2), 1)).rejects.toBeInstanceOf(TopicVersionConflictError);
  const [now] = await repo.listTenantTopics('cond');
  expect(now).toMatchObject({ version: 2, archived: true });
});

test('an item written before times were unified (updatedAt in epoch ms) still reads back', async () => {
  const item = { ...topicItem(stored('old', 'legacy', 3)), updatedAt: 1_700_000_000_000 };
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
  expect(await repo.listTenantTopics('old')).toEqual([stored('old', 'legacy', 3)]);
});

describe('items are checked, not cast: a malformed topic item fails the listing with CorruptItemError', () => {
  const good = () => topicItem(stored('bad', 'x', 1));
  test.each<[string, (item: Record<string, unknown>) => void]>([
    ['settings missing', (i) => delete i.settings],
    ['a setting that is not a number', (i) => ((i.settings as Record<string, unknown>).activeTtlSeconds = '600')],
    ['maxTurns that is not a number', (i) => ((i.settings as Record<string, unknown>).maxTurns = 'four')],
    ['a name that is not a string', (i) => (i.name = 42)],
    ['a result schema that is not one', (i) => (i.resultSchema = { type: 'object', properties: { a: { type: 'date' } } })],
    ['an unreadable updatedAt', (i) => (i.updatedAt = 'yesterday')],
  ])('%s', async (_what, corrupt) => {
    const tenant = `bad-${Math.random().toString(36).slice(2)}`;
    const item = { ...good(), ...tenantTopicKey(tenant, 'x'), tenantId: tenant };
    corrupt(item);
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
    const err = await repo.listTenantTopics(tenant).catch((e) => e);
    expect(err).toBeInstanceOf(CorruptItemError);
    expect((err as Error).message).toBe(`corrupt topic item ${item.pk}/${item.sk}`);
  });
});

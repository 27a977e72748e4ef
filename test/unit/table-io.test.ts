/* eslint-disable @typescript-eslint/no-explicit-any -- the fake client reads and answers the SDK's untyped command inputs */
/**
 * The table-I/O module (src/store/table-io.ts) against a fake DocumentClient: no I/O.
 * Batch limits, retries of unprocessed keys with backoff (and an error, never silence,
 * when they stay unprocessed), named transaction parts, and the page loops.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../../src/domain/errors';
import { Key } from '../../src/store/keys';
import { BATCH_ATTEMPTS, retryDelayMs, TableIO, transaction } from '../../src/store/table-io';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';

type Sent = { name: string; input: Record<string, any> };
type Reply = (input: Record<string, any>) => unknown;

/** A DocumentClient whose `send` answers each command with the next reply queued for its name. */
function fakeClient(replies: Record<string, Reply[]>, fallback: Record<string, Reply> = {}) {
  const sent: Sent[] = [];
  const db = {
    send: async (command: { constructor: { name: string }; input: Record<string, any> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: structuredClone(command.input) });
      const reply = replies[name]?.shift() ?? fallback[name];
      if (!reply) throw new Error(`unexpected ${name}`);
      return reply(command.input);
    },
  };
  return { db: db as unknown as DynamoDBDocumentClient, sent };
}

const TABLE = 't';
const key = (i: number): Key => ({ pk: `P${i}`, sk: 'S' });
const keys = (n: number) => Array.from({ length: n }, (_, i) => key(i));
const found = (k: Key) => ({ ...k, value: k.pk });

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('batchGet', () => {
  test('reads 100 keys a call, each key once, and returns items in key order (undefined where absent)', async () => {
    const { db, sent } = fakeClient({}, {
      BatchGetCommand: (input) => ({ Responses: { [TABLE]: input.RequestItems[TABLE].Keys.filter((k: Key) => k.pk !== 'P7').map(found) } }),
    });
    const wanted = [...keys(150), key(3)];
    const items = await new TableIO(db, TABLE).batchGet(wanted);
    expect(sent.map((s) => s.input.RequestItems[TABLE].Keys.length)).toEqual([100, 50]);
    expect(sent.every((s) => s.input.RequestItems[TABLE].ConsistentRead === true)).toBe(true);
    expect(items).toHaveLength(151);
    expect(items[0]).toEqual(found(key(0)));
    expect(items[7]).toBeUndefined();
    expect(items[150]).toEqual(found(key(3)));
  });

  test('an unprocessed key is retried, with growing backoff, until it is read', async () => {
    const unprocessed = (k: Key[]) => () => ({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: k } } });
    const { db, sent } = fakeClient({
      BatchGetCommand: [
        () => ({ Responses: { [TABLE]: [found(key(0))] }, UnprocessedKeys: { [TABLE]: { Keys: [key(1), key(2)] } } }),
        unprocessed([key(1), key(2)]),
        () => ({ Responses: { [TABLE]: [found(key(1))] }, UnprocessedKeys: { [TABLE]: { Keys: [key(2)] } } }),
        () => ({ Responses: { [TABLE]: [found(key(2))] } }),
      ],
    });
    const { waits, sleep } = recordingSleep();
    const items = await new TableIO(db, TABLE, { sleep }).batchGet(keys(3));
    expect(items).toEqual(keys(3).map(found));
    expect(sent.map((s) => s.input.RequestItems[TABLE].Keys)).toEqual([keys(3), [key(1), key(2)], [key(1), key(2)], [key(2)]]);
    expect(waits).toEqual([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3)]);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[1]).toBeGreaterThan(waits[0]);
  });

  test('keys that stay unprocessed are an error after a bounded number of attempts, never a silent gap', async () => {
    const { db, sent } = fakeClient({}, { BatchGetCommand: (input) => ({ UnprocessedKeys: { [TABLE]: { Keys: input.RequestItems[TABLE].Keys } } }) });
    const { waits, sleep } = recordingSleep();
    await expect(new TableIO(db, TABLE, { sleep }).batchGet(keys(2))).rejects.toThrow(/BatchGetItem left 2 requests unprocessed/);
    expect(sent).toHaveLength(BATCH_ATTEMPTS);
    expect(waits).toHaveLength(BATCH_ATTEMPTS - 1);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
  });
});

describe('batchWrite', () => {
  test('puts and deletes, 25 a call; unprocessed ones are retried with backoff', async () => {
    let first = true;
    const { db, sent } = fakeClient({}, {
      BatchWriteCommand: (input) => {
        const request = input.RequestItems[TABLE];
        if (!first) return {};
        first = false;
        return { UnprocessedItems: { [TABLE]: request.slice(0, 2) } };
      },
    });
    const { waits, sleep } = recordingSleep();
    const requests = [...keys(30).map((k) => ({ put: found(k) })), ...keys(5).map((k) => ({ delete: k }))];
    await new TableIO(db, TABLE, { sleep }).batchWrite(requests);
    expect(sent.map((s) => s.input.RequestItems[TABLE].length)).toEqual([25, 2, 10]);
    expect(sent[0].input.RequestItems[TABLE][0]).toEqual({ PutRequest: { Item: found(key(0)) } });
    expect(sent[2].input.RequestItems[TABLE][9]).toEqual({ DeleteRequest: { Key: key(4) } });
    expect(waits).toEqual([retryDelayMs(1)]);
  });

  test('nothing to write sends nothing; items that stay unprocessed are an error', async () => {
    const { db, sent } = fakeClient({}, { BatchWriteCommand: (input) => ({ UnprocessedItems: input.RequestItems }) });
    const io = new TableIO(db, TABLE, recordingSleep());
    await io.batchWrite([]);
    expect(sent).toHaveLength(0);
    await expect(io.batchWrite([{ delete: key(1) }])).rejects.toThrow(/BatchWriteItem left 1 requests unprocessed/);
    expect(sent).toHaveLength(BATCH_ATTEMPTS);
  });
});

describe('transact', () => {
  const cancelled = (reasons: { Code: string; Item?: Record<string, any> }[]) => () => {
    throw new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: reasons as never });
  };
  const tx = transaction<'a' | 'b' | 'c'>({
    a: { ConditionCheck: { TableName: TABLE, Key: key(0), ConditionExpression: 'x' } },
    b: undefined,
    c: { Delete: { TableName: TABLE, Key: key(2) } },
  });

  test('parts are sent in declaration order, undefined ones left out', async () => {
    const { db, sent } = fakeClient({ TransactWriteCommand: [() => ({})] });
    await new TableIO(db, TABLE).transact(tx, () => new Error('not cancelled'));
    expect(tx.map(([name]) => name)).toEqual(['a', 'c']);
    expect(sent[0].input.TransactItems).toEqual([tx[0][1], tx[1][1]]);
  });

  test('a failed condition names its part, with the item DynamoDB found', async () => {
    const { db } = fakeClient({ TransactWriteCommand: [cancelled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { n: { N: '7' } } }])] });
    const onCancel = jest.fn(() => new Error('mapped'));
    await expect(new TableIO(db, TABLE).transact(tx, onCancel)).rejects.toThrow('mapped');
    expect(onCancel).toHaveBeenCalledWith('c', { n: 7 });
  });

  test('a conflict with another transaction names no part', async () => {
    const { db } = fakeClient({ TransactWriteCommand: [cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }])] });
    const onCancel = jest.fn(() => new Error('retry'));
    await expect(new TableIO(db, TABLE).transact(tx, onCancel)).rejects.toThrow('retry');
    expect(onCancel).toHaveBeenCalledWith(null, undefined);
  });
});

describe('queries', () => {
  test('queryPages reads every page, one at a time', async () => {
    const { db, sent } = fakeClient({
      QueryCommand: [() => ({ Items: [{ i: 1 }], LastEvaluatedKey: { pk: 'a' } }), () => ({ Items: [{ i: 2 }], LastEvaluatedKey: { pk: 'b' } }), () => ({ Items: [] })],
    });
    const pages = [];
    for await (const page of new TableIO(db, TABLE).queryPages({ KeyConditionExpression: 'pk = :p' })) pages.push(page);
    expect(pages).toEqual([[{ i: 1 }], [{ i: 2 }], []]);
    expect(sent.map((s) => s.input.ExclusiveStartKey)).toEqual([undefined, { pk: 'a' }, { pk: 'b' }]);
    expect(sent.every((s) => s.input.TableName === TABLE)).toBe(true);
  });

  test('queryFilteredPage reads on past filtered-out items until limit + 1 are found', async () => {
    const { db, sent } = fakeClient({
      QueryCommand: [() => ({ Items: [{ i: 1 }], LastEvaluatedKey: { pk: 'a' } }), () => ({ Items: [{ i: 2 }, { i: 3 }, { i: 4 }], LastEvaluatedKey: { pk: 'b' } })],
    });
    expect(await new TableIO(db, TABLE).queryFilteredPage({ KeyConditionExpression: 'pk = :p' }, 2)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
    expect(sent.map((s) => s.input.Limit)).toEqual([10, 10]);
  });
});

test('an unreachable store is SERVICE_UNAVAILABLE, unless the caller asks for the SDK error', async () => {
  const down = () => {
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  };
  const { db } = fakeClient({}, { GetCommand: down });
  const err = await new TableIO(db, TABLE).get(key(1)).catch((e) => e);
  expect(err).toBeInstanceOf(DomainError);
  expect(err.code).toBe('SERVICE_UNAVAILABLE');
  await expect(new TableIO(db, TABLE, { guard: false }).get(key(1))).rejects.toThrow('connect ECONNREFUSED');
});

test('erasure finds a live session through its hold even when the hold key comes back unprocessed at first', async () => {
  const sessionId = 'ses_01KDWCJ2M00000000000000001';
  const hold = { pk: 'T#t1#TOPIC#focus', sk: 'HOLD', userId: 'u1', sessionId, topicId: 'focus' };
  const { db, sent } = fakeClient(
    {
      BatchGetCommand: [
        (input) => ({ UnprocessedKeys: { [TABLE]: { Keys: input.RequestItems[TABLE].Keys } } }),
        (input) => ({ UnprocessedKeys: { [TABLE]: { Keys: input.RequestItems[TABLE].Keys } } }),
        () => ({ Responses: { [TABLE]: [hold] } }),
      ],
      // The session item: still u1's, so it is deleted whole.
      GetCommand: [() => ({ Item: { pk: `T#t1#S#${sessionId}`, sk: 'SESSION', sessionId, userId: 'u1', topicId: 'focus', ttl: 10 } })],
      DeleteCommand: [() => ({}), () => ({})],
    },
    { QueryCommand: () => ({ Items: [] }), BatchGetCommand: () => ({ Responses: { [TABLE]: [] } }), PutCommand: () => ({}) },
  );
  const counts = await new DynamoSessionRepository(db, TABLE).eraseUserData('t1', 'u1', 'u1', ['focus'], 0);
  expect(counts).toEqual({ sessionsDeleted: 1, itemsDeleted: 2, itemsRedacted: 0 });
  const deletes = sent.filter((s) => s.name === 'DeleteCommand').map((s) => s.input.Key);
  expect(deletes).toEqual([{ pk: `T#t1#S#${sessionId}`, sk: 'SESSION' }, { pk: 'T#t1#TOPIC#focus', sk: 'HOLD' }]);
});

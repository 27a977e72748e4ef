import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** DynamoDB calls and consumed capacity, for one GraphQL operation or the whole process. */
export interface RequestStats {
  requests: number;
  /** Requests per command name, e.g. { GetItemCommand: 1, TransactWriteItemsCommand: 2 }. */
  byCommand: Record<string, number>;
  readCapacity: number;
  writeCapacity: number;
  throttles: number;
  /** false: this operation's calls were not counted (it ran outside withRequestStats; see LOG_DYNAMO_COST_EVERY). */
  counted?: boolean;
}

export const emptyStats = (): RequestStats => ({ requests: 0, byCommand: {}, readCapacity: 0, writeCapacity: 0, throttles: 0 });

/** The stats of an operation whose DynamoDB calls are not counted. */
export const uncountedStats = (): RequestStats => ({ requests: 0, byCommand: {}, readCapacity: 0, writeCapacity: 0, throttles: 0, counted: false });

const scope = new AsyncLocalStorage<RequestStats>();

/** Scopes running now; the storage is switched off (no promise hooks) when there are none. */
let running = 0;

/**
 * Counts every DynamoDB call made within `fn`. AsyncLocalStorage's promise hooks slow every
 * promise of the process, so the storage is on only while a scope runs.
 */
export async function withRequestStats<T>(fn: () => Promise<T>, stats: RequestStats = emptyStats()): Promise<T> {
  running++;
  try {
    return await scope.run(stats, fn);
  } finally {
    if (--running === 0) scope.disable();
  }
}

/** The stats of the operation running now, if any. */
export const currentStats = () => scope.getStore();

type Listener = (command: string, stats: RequestStats) => void;

/** Counts every request sent (retries too, as billed) and asks for consumed capacity. */
export function instrumentClient(client: DynamoDBClient, totals: RequestStats = emptyStats(), onRequest?: Listener): RequestStats {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (CAPACITY_COMMANDS.has(context.commandName ?? '') && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      const command = context.commandName ?? 'unknown';
      try {
        const result = await next(args);
        record(command, (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity, false, totals, onRequest);
        return result;
      } catch (e) {
        const throttled = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded/.test((e as Error).name ?? '');
        record(command, undefined, throttled, totals, onRequest);
        throw e;
      }
    },
    { step: 'initialize', name: 'requestStats', override: true },
  );
  return totals;
}

interface Capacity {
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  CapacityUnits?: number;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
]);

function record(command: string, consumed: Capacity | Capacity[] | undefined, throttled: boolean, totals: RequestStats, onRequest?: Listener) {
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  const reads = sum(list, (c) => c.ReadCapacityUnits ?? (isRead(command) ? c.CapacityUnits : 0));
  const writes = sum(list, (c) => c.WriteCapacityUnits ?? (isRead(command) ? 0 : c.CapacityUnits));
  for (const stats of [totals, scope.getStore()]) {
    if (!stats) continue;
    stats.requests++;
    stats.byCommand[command] = (stats.byCommand[command] ?? 0) + 1;
    stats.readCapacity += reads;
    stats.writeCapacity += writes;
    if (throttled) stats.throttles++;
  }
  onRequest?.(command, totals);
}

const isRead = (command: string) => /^(Get|Query|Scan|BatchGet|TransactGet)/.test(command);
const sum = (list: Capacity[], f: (c: Capacity) => number | undefined) => list.reduce((n, c) => n + (f(c) ?? 0), 0);

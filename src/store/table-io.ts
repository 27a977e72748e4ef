import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, TransactionInProgressException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  PutCommandInput,
  QueryCommand,
  QueryCommandInput,
  ScanCommand,
  ScanCommandInput,
  TransactWriteCommand,
  TransactWriteCommandInput,
  UpdateCommand,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { guarded } from './errors';
import { Key, keyOf } from './keys';
import type { ByteBudget } from '../sessions/repository';
import { Item } from './schema';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction as named parts: a cancellation reason's index maps back to its part's name. */
export type Transaction<P extends string> = readonly (readonly [P, TransactItem])[];

/** The parts of an object, in the object's (declaration) order; undefined parts are left out. */
export function transaction<P extends string>(parts: { [K in P]: TransactItem | undefined }): Transaction<P> {
  return (Object.entries(parts) as [P, TransactItem | undefined][]).filter((p): p is [P, TransactItem] => p[1] !== undefined);
}

export type WriteRequest = { put: Item } | { delete: Key };

export const BATCH_GET_MAX = 100;
export const BATCH_WRITE_MAX = 25;
export const TRANSACT_MAX = 100;
/** Sends of one batch before keys DynamoDB keeps leaving unprocessed become an error. */
export const BATCH_ATTEMPTS = 9;
/** Backoff before retry `attempt` (1, 2, ...) of unprocessed keys: 40 ms doubling, at most 1 s. */
export const retryDelayMs = (attempt: number) => Math.min(1000, 20 * 2 ** attempt);
/** Sends of one transaction while DynamoDB says its earlier attempt is still in progress. */
const IN_PROGRESS_ATTEMPTS = 5;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Input<T> = Omit<T, 'TableName'>;

export interface TableIOOptions {
  /** false: the SDK's errors, not SERVICE_UNAVAILABLE (for the background jobs). */
  guard?: boolean;
  /** How a backoff waits (tests record it instead). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Every request to the table goes through here: DynamoDB's page, batch and transaction
 * limits, unprocessed keys retried (and an error if they stay: a dropped key is lost data),
 * cancelled transactions turned into domain errors.
 */
export class TableIO {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly table: string,
    private readonly options: TableIOOptions = {},
  ) {}

  async get(key: Key, opts: { consistent?: boolean; projection?: string } = {}): Promise<Item | undefined> {
    const { consistent = true, projection } = opts;
    const input = { TableName: this.table, Key: key, ConsistentRead: consistent, ...(projection ? { ProjectionExpression: projection } : {}) };
    return (await this.send(() => this.db.send(new GetCommand(input)))).Item;
  }

  /** Consistent BatchGetItem, 100 keys a call, duplicates read once; results in key order, undefined where absent. */
  async batchGet(keys: readonly Key[]): Promise<(Item | undefined)[]> {
    const found = new Map<string, Item>();
    const unique = [...new Map(keys.map((k) => [keyId(k), k])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      await this.untilProcessed('BatchGetItem', unique.slice(i, i + BATCH_GET_MAX), async (Keys) => {
        const out = await this.send(() => this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys, ConsistentRead: true } } })));
        for (const item of out.Responses?.[this.table] ?? []) found.set(keyId(item as Key), item);
        return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
      });
    }
    return keys.map((k) => found.get(keyId(k)));
  }

  /** BatchWriteItem puts and deletes, 25 a call. */
  async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    const all = requests.map((r) => ('put' in r ? { PutRequest: { Item: r.put } } : { DeleteRequest: { Key: r.delete } }));
    for (let i = 0; i < all.length; i += BATCH_WRITE_MAX) {
      await this.untilProcessed('BatchWriteItem', all.slice(i, i + BATCH_WRITE_MAX), async (request) => {
        const out = await this.send(() => this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: request } })));
        return (out.UnprocessedItems?.[this.table] ?? []) as typeof request;
      });
    }
  }

  /**
   * TransactWriteItems; `onCancel` picks the error from the part whose condition failed
   * (null: another transaction got in the way, retry). One ClientRequestToken per call, so a
   * retry after a lost response is not applied twice (docs/reliability.md, Lost write responses).
   */
  async transact<P extends string>(tx: Transaction<P>, onCancel: (part: P | null, old: Item | undefined) => Error): Promise<void> {
    const command = new TransactWriteCommand({ TransactItems: tx.map(([, item]) => item), ClientRequestToken: randomUUID() });
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.send(() => this.db.send(command));
          return;
        } catch (e) {
          if (!(e instanceof TransactionInProgressException) || attempt >= IN_PROGRESS_ATTEMPTS) throw e;
          await (this.options.sleep ?? defaultSleep)(retryDelayMs(attempt));
        }
      }
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const reasons = e.CancellationReasons ?? [];
      const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (index < 0) throw onCancel(null, undefined);
      const old = reasons[index].Item ? unmarshall(reasons[index].Item) : undefined;
      throw onCancel(tx[index]?.[0] ?? null, old);
    }
  }

  put(input: Input<PutCommandInput>) {
    return this.send(() => this.db.send(new PutCommand({ TableName: this.table, ...input })));
  }

  update(input: Input<UpdateCommandInput>) {
    return this.send(() => this.db.send(new UpdateCommand({ TableName: this.table, ...input })));
  }

  delete(input: Input<DeleteCommandInput>) {
    return this.send(() => this.db.send(new DeleteCommand({ TableName: this.table, ...input })));
  }

  /** One Query (one page: for a `Limit`ed read whose caller wants exactly that page). */
  async query(input: Input<QueryCommandInput>): Promise<Item[]> {
    return (await this.send(() => this.db.send(new QueryCommand({ TableName: this.table, ...input })))).Items ?? [];
  }

  /** Every page of a Query, one page at a time (the next is read only when asked for). */
  queryPages(input: Input<QueryCommandInput>): AsyncGenerator<Item[]> {
    return this.pages((start) => this.db.send(new QueryCommand({ TableName: this.table, ...input, ExclusiveStartKey: start })));
  }

  /** Every page of a Scan: only for one-off jobs (reaper, backfill), never on a request path. */
  scanPages(input: Input<ScanCommandInput>): AsyncGenerator<Item[]> {
    return this.pages((start) => this.db.send(new ScanCommand({ TableName: this.table, ...input, ExclusiveStartKey: start })));
  }

  /** A filtered Query read on until `limit + 1` items are kept (is there a next page?) or the end. */
  async queryFilteredPage(input: Input<Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>>, limit: number, startKey?: Item): Promise<Item[]> {
    const found: Item[] = [];
    do {
      const request: QueryCommandInput = {
        TableName: this.table,
        ...input,
        Limit: Math.min(Math.max(limit + 1 - found.length, 10), 1000),
        ExclusiveStartKey: startKey,
      };
      const out = await this.send(() => this.db.send(new QueryCommand(request)));
      found.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && found.length <= limit);
    return found;
  }

  /**
   * A page that stops at `budget.bytes` (docs/security.md): each Query asks for no more items
   * than the room left holds at `budget.itemBytes`. `cut`: stopped by the budget.
   */
  async queryBudgetedPage(
    input: Input<Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>>,
    limit: number,
    budget: ByteBudget,
  ): Promise<{ items: Item[]; cut: boolean; bytes: number }> {
    const items: Item[] = [];
    let used = 0;
    let startKey: Item | undefined;
    for (;;) {
      const room = Math.floor((budget.bytes - used) / budget.itemBytes);
      if (items.length && room < 1) return { items, cut: true, bytes: used };
      const request: QueryCommandInput = { TableName: this.table, ...input, Limit: Math.min(limit - items.length, Math.max(room, 1)), ExclusiveStartKey: startKey };
      const out = await this.send(() => this.db.send(new QueryCommand(request)));
      for (const item of out.Items ?? []) {
        items.push(item);
        used += itemBytes(item);
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey || items.length >= limit) return { items, cut: false, bytes: used };
    }
  }

  /**
   * A page of a keys-only index: the index finds candidates, one consistent BatchGetItem
   * reads them and `keep` decides, until `limit + 1` are kept; index entries are the cursors.
   */
  async queryKeysPage(
    input: Input<Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>>,
    limit: number,
    startKey: Item | undefined,
    keep: (item: Item) => boolean,
  ): Promise<{ item: Item; entry: Item }[]> {
    const found: { item: Item; entry: Item }[] = [];
    do {
      const request: QueryCommandInput = {
        TableName: this.table,
        ...input,
        Limit: Math.min(Math.max(limit + 1 - found.length, 10), BATCH_GET_MAX),
        ExclusiveStartKey: startKey,
      };
      const out = await this.send(() => this.db.send(new QueryCommand(request)));
      const entries = out.Items ?? [];
      const items = entries.length ? await this.batchGet(entries.map(keyOf)) : [];
      entries.forEach((entry, i) => {
        const item = items[i];
        if (item && found.length <= limit && keep(item)) found.push({ item, entry });
      });
      startKey = out.LastEvaluatedKey;
    } while (startKey && found.length <= limit);
    return found;
  }

  private async *pages(read: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): AsyncGenerator<Item[]> {
    let start: Item | undefined;
    do {
      const from = start;
      const out = await this.send(() => read(from));
      start = out.LastEvaluatedKey;
      yield out.Items ?? [];
    } while (start);
  }

  /** Sends `batch`, then what DynamoDB left unprocessed, with backoff; throws if some is still left after BATCH_ATTEMPTS. */
  private async untilProcessed<T>(what: string, batch: T[], send: (batch: T[]) => Promise<T[]>): Promise<void> {
    const sleep = this.options.sleep ?? defaultSleep;
    let pending = batch;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt >= BATCH_ATTEMPTS) throw new Error(`${what} left ${pending.length} requests unprocessed after ${BATCH_ATTEMPTS} attempts`);
      if (attempt > 0) await sleep(retryDelayMs(attempt));
      pending = await send(pending);
    }
  }

  private send<T>(call: () => Promise<T>): Promise<T> {
    return this.options.guard === false ? call() : guarded(call);
  }
}

/** Runs a conditional write: true when it was written, false when its condition did not hold. */
export async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

const keyId = (k: Key) => `${k.pk}|${k.sk}`;


/** An item's size, at least as DynamoDB counts it and as a response carries its strings. */
export function itemBytes(item: Item): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) {
    n += Buffer.byteLength(name);
    n += typeof value === 'number' ? 21 : Buffer.byteLength(JSON.stringify(value) ?? '');
  }
  return n;
}

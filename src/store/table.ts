import {
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GlobalSecondaryIndex,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { documentClient } from './client';
import { backfillAdminIndexKeys } from './admin-backfill';
import { IndexSpec, INDEXES, TTL_ATTRIBUTE } from './schema';

/**
 * What notify-idle reads from byIdle: enough for the webhook payload and the claim, so
 * the cross-tenant index stays small (docs/data-model.md).
 */
export const IDLE_INDEX_ATTRIBUTES = ['sessionId', 'tenantId', 'userId', 'topicId', 'status', 'lastActivityAt', TTL_ATTRIBUTE, 'idleNotifiedFor'];

const index = ({ name, pk, sk }: IndexSpec, projection: GlobalSecondaryIndex['Projection']): GlobalSecondaryIndex => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: pk, KeyType: 'HASH' },
    { AttributeName: sk, KeyType: 'RANGE' },
  ],
  Projection: projection,
});

/** The table this service needs: keys, the per-user and admin indexes, on-demand billing. TTL is enabled separately. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const indexes = [
    index(INDEXES.byUser, { ProjectionType: 'ALL' }),
    // Admin indexes (docs/data-model.md): sparse ones hold live sessions only.
    index(INDEXES.byTenantIdle, { ProjectionType: 'ALL' }),
    index(INDEXES.byIdle, { ProjectionType: 'INCLUDE', NonKeyAttributes: IDLE_INDEX_ATTRIBUTES }),
    index(INDEXES.byTenantTopic, { ProjectionType: 'ALL' }),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', ...Object.values(INDEXES).flatMap((i) => [i.pk, i.sk])].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes,
  };
}

export interface EnsureOptions {
  /** Enable DynamoDB TTL on `ttl` (default true). Tests of late deletion turn it off. */
  ttl?: boolean;
  log?: (msg: string) => void;
}

/**
 * Creates the table if it is missing and waits until it and its indexes are ACTIVE
 * (writes during CREATING fail), then makes sure TTL is on. Safe to run repeatedly.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, opts: EnsureOptions = {}): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists' = 'exists';
  if (!(await describe(client, tableName))) {
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      outcome = 'created';
      opts.log?.(`created table ${tableName}`);
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e; // another process created it first
    }
  }
  await waitActive(client, tableName);
  await addMissingIndexes(client, tableName, opts.log);
  if (opts.ttl !== false) await enableTtl(client, tableName, opts.log);
  return outcome;
}

/**
 * Upgrades a table made by an earlier version: creates each index of tableDefinition()
 * that it lacks, one at a time (DynamoDB allows one index creation per UpdateTable), and
 * waits for it to be ACTIVE (a write while an index is CREATING can fail). Sessions
 * written before the indexes existed lack their keys, so they are then backfilled once
 * (a scan, only on upgrade). Returns the indexes it created.
 */
export async function addMissingIndexes(client: DynamoDBClient, tableName: string, log?: (msg: string) => void): Promise<string[]> {
  const def = tableDefinition(tableName);
  const created: string[] = [];
  for (const wanted of def.GlobalSecondaryIndexes ?? []) {
    const keyNames = new Set((wanted.KeySchema ?? []).map((k) => k.AttributeName));
    for (let attempt = 0; ; attempt++) {
      const table = await describe(client, tableName);
      if ((table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === wanted.IndexName)) break;
      if (attempt >= 5) throw new Error(`could not add index ${wanted.IndexName} to ${tableName}`);
      try {
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            AttributeDefinitions: (def.AttributeDefinitions ?? []).filter((a) => keyNames.has(a.AttributeName)),
            GlobalSecondaryIndexUpdates: [{ Create: wanted }],
          }),
        );
        created.push(wanted.IndexName!);
        log?.(`creating index ${wanted.IndexName} on ${tableName}`);
      } catch (e) {
        // Another process is adding this or another index right now: wait for it, then look again.
        const name = (e as Error).name;
        if (name !== 'ResourceInUseException' && name !== 'ValidationException' && name !== 'LimitExceededException') throw e;
      }
      await waitActive(client, tableName);
    }
  }
  if (created.length) {
    const indexed = await backfillAdminIndexKeys(documentClient(client), tableName);
    log?.(`indexed ${indexed} existing sessions in ${created.join(', ')}`);
  }
  return created;
}

async function describe(client: DynamoDBClient, tableName: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const table = await describe(client, tableName);
    const ready =
      table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string, log?: (msg: string) => void): Promise<void> {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  log?.(`enabled TTL on ${tableName}.${TTL_ATTRIBUTE}`);
}

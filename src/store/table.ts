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
import { IndexSpec, INDEXES, OBSOLETE_INDEXES, TTL_ATTRIBUTE } from './schema';

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
    // mySessions is one Query: every attribute.
    index(INDEXES.byUser, { ProjectionType: 'ALL' }),
    // Admin indexes (docs/data-model.md): keys only, so a message writes none of them; sparse ones hold live sessions only.
    index(INDEXES.byTenantIdle, { ProjectionType: 'KEYS_ONLY' }),
    index(INDEXES.byIdle, { ProjectionType: 'KEYS_ONLY' }),
    index(INDEXES.byTenantTopic, { ProjectionType: 'KEYS_ONLY' }),
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

/** Creates the table if missing, waits for ACTIVE (writes during CREATING fail), turns TTL on. */
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
  await dropObsoleteIndexes(client, tableName, opts.log);
  if (opts.ttl !== false) await enableTtl(client, tableName, opts.log);
  return outcome;
}

/** Drops OBSOLETE_INDEXES once their replacements are ACTIVE, one at a time (docs/data-model.md). */
export async function dropObsoleteIndexes(client: DynamoDBClient, tableName: string, log?: (msg: string) => void): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of OBSOLETE_INDEXES) {
    for (let attempt = 0; ; attempt++) {
      const table = await describe(client, tableName);
      if (!(table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === name)) break;
      if (attempt >= 5) throw new Error(`could not drop index ${name} from ${tableName}`);
      try {
        await client.send(new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: name } }] }));
        dropped.push(name);
        log?.(`dropping index ${name} of ${tableName} (replaced by a keys-only one)`);
      } catch (e) {
        // Another process is changing an index right now: wait for it, then look again.
        const code = (e as Error).name;
        if (code !== 'ResourceInUseException' && code !== 'ValidationException' && code !== 'LimitExceededException') throw e;
      }
      await waitActive(client, tableName);
    }
  }
  return dropped;
}

/**
 * Creates the indexes an older table lacks, one per UpdateTable as DynamoDB requires, then
 * backfills the keys of sessions written before them (a scan, only on upgrade).
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

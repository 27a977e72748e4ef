import {
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BY_USER_INDEX, TTL_ATTRIBUTE } from './keys';

/** The table this service needs: keys, the per-user index, on-demand billing. TTL is enabled separately. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: BY_USER_INDEX,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
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
  if (opts.ttl !== false) await enableTtl(client, tableName, opts.log);
  return outcome;
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

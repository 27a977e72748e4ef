import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClient } from '../../src/store/client';
import { ensureTable } from '../../src/store/table';

export interface TestTable {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  endpoint: string;
  tableName: string;
  drop(): Promise<void>;
}

export function testEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run through jest (global setup starts DynamoDB Local)');
  return endpoint;
}

/**
 * A fresh table in the run's DynamoDB Local. `ttl: false` leaves DynamoDB TTL off so
 * expired items stay, as they do on AWS for days: tests then check that reads hide them.
 */
export async function createTestTable(opts: { ttl?: boolean } = {}): Promise<TestTable> {
  return tableOn(testEndpoint(), `test_${randomBytes(6).toString('hex')}`, opts);
}

/** A table on any endpoint (e.g. a DynamoDB Local of the test's own), made if missing. */
export async function tableOn(endpoint: string, tableName: string, opts: { ttl?: boolean } = {}): Promise<TestTable> {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint });
  await ensureTable(client, tableName, { ttl: opts.ttl ?? false });
  return {
    client,
    doc: documentClient(client),
    endpoint,
    tableName,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    },
  };
}

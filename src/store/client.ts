import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * 'dynamodb-local': one we started; without -sharedDb it keeps a database per access key, so
 * all users share fixed fake credentials. 'aws-chain': DYNAMODB_ENDPOINT or AWS, standard chain.
 */
export type DynamoTarget =
  | { credentials: 'dynamodb-local'; endpoint: string }
  | { credentials: 'aws-chain'; endpoint: string | undefined; region: string };

/** The fixed region and credentials of every client of a DynamoDB Local. */
export const DYNAMODB_LOCAL = { region: 'local', accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The target DYNAMODB_ENDPOINT names (config.dynamo when it is not the embedded store). */
export function configuredTarget(dynamo: { mode: 'aws' } | { mode: 'endpoint'; url: string }, region: string): DynamoTarget {
  return { credentials: 'aws-chain', endpoint: dynamo.mode === 'endpoint' ? dynamo.url : undefined, region };
}

/** The one client; bounded timeouts and retries so a lost store fails fast (SERVICE_UNAVAILABLE). */
export function createDynamoClient(target: DynamoTarget): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 1000,
      requestTimeout: 5000,
      // Else @smithy/node-http-handler 4 only warns at requestTimeout and a hung store hangs every request.
      throwOnRequestTimeout: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
    }),
  };
  if (target.credentials === 'dynamodb-local') {
    const { region, accessKeyId, secretAccessKey } = DYNAMODB_LOCAL;
    return new DynamoDBClient({ ...config, endpoint: target.endpoint, region, credentials: { accessKeyId, secretAccessKey } });
  }
  // No `credentials`: the SDK resolves them through the standard chain.
  return new DynamoDBClient({ ...config, region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) });
}

export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface StoreEndpoint {
  /** undefined = AWS itself (region and credentials from the standard chain). */
  endpoint: string | undefined;
  region: string;
}

/**
 * The one DynamoDB client. Timeouts and retries are bounded on purpose: when the store
 * is gone, requests fail fast with SERVICE_UNAVAILABLE instead of hanging.
 */
export function createDynamoClient({ endpoint, region }: StoreEndpoint): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    region,
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 1000,
      requestTimeout: 5000,
      // Without this, @smithy/node-http-handler 4 only logs a warning when requestTimeout passes
      // and keeps waiting: a hung store (SIGSTOP, a black-holed route) would hang every request.
      throwOnRequestTimeout: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
    }),
  };
  if (endpoint) {
    config.endpoint = endpoint;
    // DynamoDB Local accepts any credentials; fixed ones keep one shared database.
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return new DynamoDBClient(config);
}

export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * Which DynamoDB, and with which credentials. Every caller says it explicitly:
 * - 'dynamodb-local': a DynamoDB Local this process (or its test run) started itself. It accepts
 *   any credentials, but without -sharedDb it keeps one database per access key and region, so
 *   everything that talks to one DynamoDB Local uses the same fixed fake ones (DYNAMODB_LOCAL).
 * - 'aws-chain': what DYNAMODB_ENDPOINT names, AWS itself (no endpoint) or a DynamoDB-compatible
 *   URL; region from the configuration, credentials from the standard AWS chain (environment,
 *   shared files, container or instance role), so an endpoint that checks them works.
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

/**
 * The one DynamoDB client. Timeouts and retries are bounded on purpose: when the store
 * is gone, requests fail fast with SERVICE_UNAVAILABLE instead of hanging.
 */
export function createDynamoClient(target: DynamoTarget): DynamoDBClient {
  const config: DynamoDBClientConfig = {
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
  if (target.credentials === 'dynamodb-local') {
    const { region, accessKeyId, secretAccessKey } = DYNAMODB_LOCAL;
    return new DynamoDBClient({ ...config, endpoint: target.endpoint, region, credentials: { accessKeyId, secretAccessKey } });
  }
  // No `credentials`: the SDK resolves them through the standard chain.
  return new DynamoDBClient({ ...config, region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) });
}

export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/**
 * Which credentials the one DynamoDB client uses: the standard AWS chain for whatever
 * DYNAMODB_ENDPOINT names (a DynamoDB-compatible endpoint that checks credentials must get
 * the real ones), fixed fake ones only for a DynamoDB Local the process or test run started.
 */
import { loadConfig } from '../../src/config';
import { configuredTarget, createDynamoClient, DYNAMODB_LOCAL, DynamoTarget } from '../../src/store/client';

const FROM_ENV = { AWS_ACCESS_KEY_ID: 'AKIDFROMTHEENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'secret-from-the-environment' };
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries(FROM_ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** The client's resolved region, endpoint and credentials (no request is made). */
async function resolved(target: DynamoTarget) {
  const client = createDynamoClient(target);
  try {
    const credentials = await client.config.credentials();
    const endpoint = client.config.endpoint ? await client.config.endpoint() : undefined;
    return {
      region: await client.config.region(),
      endpoint: endpoint && `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      maxAttempts: await client.config.maxAttempts(),
    };
  } finally {
    client.destroy();
  }
}

/** The target main.ts makes for a configuration that names a store. */
function targetOf(env: Record<string, string>): DynamoTarget {
  const config = loadConfig(env);
  if (config.dynamo.mode === 'embedded') throw new Error('expected DYNAMODB_ENDPOINT in the test environment');
  return configuredTarget(config.dynamo, config.region);
}

test('DYNAMODB_ENDPOINT=<url>: the credentials come from the standard chain (here AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), not fake ones', async () => {
  const target = targetOf({ DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', AWS_REGION: 'eu-west-1' });
  expect(await resolved(target)).toEqual({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:8000',
    accessKeyId: FROM_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: FROM_ENV.AWS_SECRET_ACCESS_KEY,
    maxAttempts: 3,
  });
});

test('DYNAMODB_ENDPOINT=aws: AWS itself (no endpoint override), region and credentials from the chain', async () => {
  const target = targetOf({ DYNAMODB_ENDPOINT: 'aws', AWS_REGION: 'eu-central-1' });
  expect(target).toEqual({ credentials: 'aws-chain', endpoint: undefined, region: 'eu-central-1' });
  expect(await resolved(target)).toMatchObject({ region: 'eu-central-1', accessKeyId: FROM_ENV.AWS_ACCESS_KEY_ID, maxAttempts: 3 });
});

test('DynamoDB Local (the embedded store, or a test run\'s): the fixed fake credentials, whatever the environment holds', async () => {
  expect(await resolved({ credentials: 'dynamodb-local', endpoint: 'http://127.0.0.1:8001' })).toEqual({
    region: DYNAMODB_LOCAL.region,
    endpoint: 'http://127.0.0.1:8001',
    accessKeyId: DYNAMODB_LOCAL.accessKeyId,
    secretAccessKey: DYNAMODB_LOCAL.secretAccessKey,
    maxAttempts: 3,
  });
});

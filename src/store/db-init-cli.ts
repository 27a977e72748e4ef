import { loadConfig } from '../config';
import { configuredTarget, createDynamoClient } from './client';
import { ensureTable } from './table';

/** `npm run db:init`: creates the table (keys, index, TTL on `ttl`) on the configured endpoint; idempotent. */
async function main() {
  const config = loadConfig(process.env);
  if (config.dynamo.mode === 'embedded') {
    throw new Error('DYNAMODB_ENDPOINT is not set: the embedded store creates its table by itself. Set DYNAMODB_ENDPOINT=<url> or =aws');
  }
  const client = createDynamoClient(configuredTarget(config.dynamo, config.region));
  try {
    const outcome = await ensureTable(client, config.tableName, { log: (m) => process.stdout.write(m + '\n') });
    process.stdout.write(`table ${config.tableName}: ${outcome === 'created' ? 'created' : 'already there'}, TTL on "ttl"\n`);
  } finally {
    client.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`db:init: ${(e as Error).message}\n`);
  process.exit(1);
});

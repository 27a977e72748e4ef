import { loadConfig, loadNotifyConfig } from '../config';
import { systemClock } from '../domain/clock';
import { createLogger } from '../logger';
import { configuredTarget, createDynamoClient, documentClient } from '../store/client';
import { DynamoIdleNoticeStore } from '../store/idle-notice-store';
import { notifyIdle } from './notify-idle';

/** `npm run notify-idle -- [--min-idle-minutes N]` (docs/administration.md); overlapping runs are safe. */
async function main() {
  const config = loadConfig(process.env);
  const notify = loadNotifyConfig(process.env, process.argv.slice(2));
  if (config.dynamo.mode === 'embedded') {
    throw new Error('DYNAMODB_ENDPOINT is not set: point it at the table the server uses (<url> or aws)');
  }
  const client = createDynamoClient(configuredTarget(config.dynamo, config.region));
  try {
    const result = await notifyIdle(
      {
        store: new DynamoIdleNoticeStore(documentClient(client), config.tableName),
        webhook: { url: notify.webhookUrl, secret: notify.webhookSecret, timeoutMs: 5000, maxAttempts: 3 },
        clock: systemClock,
        log: createLogger({}),
      },
      { minIdleMinutes: notify.minIdleMinutes },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.failed) process.exitCode = 2;
  } finally {
    client.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`notify-idle: ${(e as Error).message}\n`);
  process.exit(1);
});

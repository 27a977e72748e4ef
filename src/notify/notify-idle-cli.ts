import { loadConfig, loadNotifyConfig } from '../config';
import { systemClock } from '../domain/clock';
import { createLogger } from '../logger';
import { configuredTarget, createDynamoClient, documentClient } from '../store/client';
import { DynamoIdleNoticeStore } from '../store/idle-notice-store';
import { notifyIdle } from './notify-idle';

/**
 * `npm run notify-idle -- [--min-idle-minutes N]`: one pass over the live sessions idle for
 * at least N minutes (default 1440), all tenants, one signed webhook per idle period.
 * Run it from cron or a scheduler; overlapping runs are safe (see notify-idle.ts).
 */
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

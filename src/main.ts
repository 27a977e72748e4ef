import 'reflect-metadata';
import { Config, ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { configuredTarget, createDynamoClient, documentClient, DynamoTarget } from './store/client';
import { EmbeddedDynamo, EmbeddedStoreError, startEmbeddedDynamo } from './embedded/dynamo-local';
import { ensureTable } from './store/table';
import { startReaper } from './embedded/reaper';
import { TopicsFileError } from './topics/catalog';
import { hsSecret, startApp } from './app';
import { devTokenLifetime, signToken } from './auth/dev-token';
import { sandboxFor } from './sandbox-example';
import { isLoopbackHost } from './demo/loopback';

/** Composition root: config -> DynamoDB (embedded by default) -> app -> signals. */
async function main() {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel, pretty: config.observability.logPretty });
  let embedded: EmbeddedDynamo | undefined;
  let target: DynamoTarget;
  if (config.dynamo.mode === 'embedded') {
    embedded = await startEmbeddedDynamo({ dataDir: config.dataDir, javaHome: config.javaHome });
    log.info('embedded DynamoDB Local started', { endpoint: embedded.endpoint, dataDir: config.dataDir });
    // Fixed fake credentials only for the DynamoDB Local started here; the standard AWS chain otherwise.
    target = { credentials: 'dynamodb-local', endpoint: embedded.endpoint };
  } else {
    target = configuredTarget(config.dynamo, config.region);
  }
  const dynamo = createDynamoClient(target);
  let stopReaper: (() => Promise<void>) | undefined;
  const release = async () => {
    await stopReaper?.();
    dynamo.destroy();
    await embedded?.stop();
  };
  try {
    // Only the embedded store is set up implicitly; elsewhere run `npm run db:init` once.
    if (embedded) {
      await ensureTable(dynamo, config.tableName, { log: (m) => log.info(m) });
      stopReaper = startReaper(documentClient(dynamo), config.tableName, 10 * 60_000, (e) =>
        log.warn('embedded TTL reaper failed', { error: String(e) }),
      );
    }
    const token = await developmentToken(config);
    const app = await startApp({
      config,
      dynamo,
      log,
      // The header only when the server signs its own tokens and no other machine can open the page.
      sandbox: sandboxFor(config.host, token),
    });
    log.info('listening', { url: app.server.url, store: target.endpoint ?? 'aws', table: config.tableName });
    printBanner(app.server.url, config, token);

    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { signal });
      setTimeout(() => process.exit(1), 15_000).unref();
      try {
        await app.stop(); // stops accepting, drains in-flight requests
        log.info('server stopped');
      } finally {
        await release();
        log.info('store released');
      }
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  } catch (e) {
    await release();
    throw e;
  }
}

/** In development without configured JWT verification, a ready-to-paste token for Sandbox. */
async function developmentToken(config: Config): Promise<string | undefined> {
  if (config.production || config.auth.secret || config.auth.jwksUrl) return undefined;
  return signToken(hsSecret(config)!, {
    tenantId: 'demo-tenant',
    userId: 'demo-user',
    tenantClaim: config.auth.tenantClaim,
    expiresIn: devTokenLifetime(config.auth.maxTokenLifetimeSeconds),
  });
}

function printBanner(url: string, config: Config, token: string | undefined) {
  const { observability } = config;
  const origin = url.replace(/\/graphql$/, '');
  const lines = ['', `Coaching sessions API ready at ${url}`];
  if (!config.production) {
    lines.push(`Apollo Sandbox: open ${url} in a browser (its code loads from a CDN; offline, use curl or a generated client).`);
    if (observability.demoEnabled) lines.push(`Reference client (works offline): ${origin}/demo/`);
  }
  if (observability.metricsEnabled) lines.push(`Prometheus metrics: ${origin}/metrics`);
  if (token) {
    lines.push('Development token (tenant demo-tenant, user demo-user; others: npm run token -- --tenant T --user U):');
    lines.push(`  Authorization: Bearer ${token}`);
    if (!isLoopbackHost(config.host)) {
      lines.push(`  (HOST=${config.host ?? ''} lets other machines open Sandbox, so its page does not carry this token: paste it there.)`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

main().catch((e) => {
  const known = e instanceof ConfigError || e instanceof TopicsFileError || e instanceof EmbeddedStoreError;
  process.stderr.write(`Cannot start: ${known ? e.message : e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

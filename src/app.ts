import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Config } from './config';
import { Clock, systemClock } from './domain/clock';
import { Coach } from './coach/port';
import { EmbeddedCoach } from './coach/embedded-coach';
import { createVerifier } from './auth/verifier';
import { devSecret } from './auth/dev-token';
import { Logger } from './logger';
import { SessionService } from './sessions/session-service';
import { documentClient } from './store/client';
import { DynamoSessionRepository } from './store/dynamo-session-repository';
import { loadCatalog } from './topics/catalog';
import { RunningServer, startHttpServer } from './http/server';
import { instrumentClient, RequestStats } from './store/request-stats';

export interface AppDeps {
  config: Config;
  /** The one DynamoDB client, made by the caller (main or a test). */
  dynamo: DynamoDBClient;
  log: Logger;
  clock?: Clock;
  coach?: Coach;
  sandbox?: { document?: string; headers?: Record<string, string> };
}

export interface App {
  server: RunningServer;
  /** DynamoDB requests and capacity of the whole process. */
  dynamoTotals: RequestStats;
  stop(): Promise<void>;
}

/** The HS256 secret: configured, or in development one kept under DATA_DIR. Undefined with JWKS. */
export function hsSecret(config: Config): string | undefined {
  if (config.auth.secret || config.auth.jwksUrl) return config.auth.secret;
  return devSecret(config.dataDir);
}

/** config -> store -> services -> schema -> server. The store endpoint is the caller's business. */
export async function startApp({ config, dynamo, log, clock = systemClock, coach = new EmbeddedCoach(), sandbox }: AppDeps): Promise<App> {
  const dynamoTotals = instrumentClient(dynamo);
  const topics = loadCatalog(config.topicsFile);
  const repo = new DynamoSessionRepository(documentClient(dynamo), config.tableName);
  const sessions = new SessionService(repo, topics, coach, clock, log, {
    maxMessageChars: config.limits.maxMessageChars,
    maxPageSize: 100,
    defaultPageSize: 20,
  });
  const verifier = createVerifier(config.auth, hsSecret(config));
  const server = await startHttpServer(
    {
      services: { sessions, topics },
      verifier,
      log,
      production: config.production,
      bodyLimitBytes: config.limits.bodyLimitBytes,
      maxQueryDepth: config.limits.maxQueryDepth,
      ready: () => repo.ping().then(() => true),
      sandbox,
    },
    config.port,
    config.host,
  );
  return { server, dynamoTotals, stop: () => server.stop() };
}

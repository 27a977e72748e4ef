import type { IncomingMessage } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Config } from './config';
import { Clock, systemClock } from './domain/clock';
import { Coach } from './coach/port';
import { createCoach } from './coach/factory';
import { createVerifier } from './auth/verifier';
import { devSecret } from './auth/dev-token';
import { Logger } from './logger';
import { composeCapabilities } from './compose';
import { documentClient } from './store/client';
import { DynamoSessionRepository } from './store/dynamo-session-repository';
import { configureIdleShards } from './store/items/session-indexes';
import { loadCatalog } from './topics/catalog';
import { TenantTopics } from './topics/tenant-topics';
import { TopicAdminService } from './topics/topic-admin-service';
import { DynamoTopicRepository } from './store/dynamo-topic-repository';
import { RunningServer, startHttpServer } from './http/server';
import { RateLimiter } from './http/rate-limit';
import { attachSubscriptions } from './http/subscriptions';
import { clientAddress } from './http/client-address';
import { instrumentClient, RequestStats } from './store/request-stats';
import { Metrics } from './observability/metrics';
import { createOperationObserver } from './observability/plugin';
import { measuredCoach } from './observability/coach';
import { loadTracing, Tracing } from './observability/tracing';
import { DynamoUsageRepository } from './store/dynamo-usage-repository';
import { Budgets } from './usage/budgets';
import { TenantUsage } from './usage/tenant-usage';
import { nearCapWebhook } from './usage/near-cap-notice';
import { mountDemo } from './demo/routes';

export interface AppDeps {
  config: Config;
  /** The one DynamoDB client, made by the caller (main or a test). */
  dynamo: DynamoDBClient;
  log: Logger;
  clock?: Clock;
  /** Overrides the coach chosen by config.coach (tests). */
  coach?: Coach;
  sandbox?: { document?: string; headers?: Record<string, string> };
  /** The folder served at /demo in development (default: dist/web). */
  demoDir?: string;
  /** Tracing made by the caller, who shuts it down (tests); else as config.observability.tracing says. */
  tracing?: Tracing;
}

export interface App {
  server: RunningServer;
  /** DynamoDB requests and capacity of the whole process. */
  dynamoTotals: RequestStats;
  /** This app's Prometheus registry (GET /metrics serves it). */
  metrics: Metrics;
  /** Requests per user, tenant and client address: `take(viewer)` before running an operation. */
  rateLimiter: RateLimiter;
  /** Resolves once the work still running after its response (replies, welcome backs, memory) is done. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** The HS256 secret: configured, or in development one kept under DATA_DIR. Undefined with JWKS. */
export function hsSecret(config: Config): string | undefined {
  if (config.auth.secret || config.auth.jwksUrl) return config.auth.secret;
  return devSecret(config.dataDir);
}

/** config -> store -> services -> schema -> server. The store endpoint is the caller's business. */
export async function startApp({
  config,
  dynamo,
  log: baseLog,
  clock = systemClock,
  coach,
  sandbox,
  demoDir,
  tracing: givenTracing,
}: AppDeps): Promise<App> {
  const { observability } = config;
  // Without OTEL_EXPORTER_OTLP_ENDPOINT this is undefined and no OpenTelemetry module is loaded.
  const tracing = givenTracing ?? loadTracing(observability.tracing, { log: baseLog });
  const log = tracing ? tracing.logger(baseLog) : baseLog;
  tracing?.instrumentDynamo(dynamo);
  const topics = loadCatalog(config.topicsFile);
  const metrics = new Metrics({ topics: topics.topics.map((t) => t.id) });
  // The process totals grow by one request per call: metrics take the increments.
  const seen = { throttles: 0, read: 0, write: 0 };
  const dynamoTotals = instrumentClient(dynamo, undefined, (command, totals) => {
    metrics.dynamoRequests.inc({ command });
    if (totals.throttles > seen.throttles) metrics.dynamoThrottles.inc({ command }, totals.throttles - seen.throttles);
    if (totals.readCapacity > seen.read) metrics.dynamoCapacity.inc({ kind: 'read' }, totals.readCapacity - seen.read);
    if (totals.writeCapacity > seen.write) metrics.dynamoCapacity.inc({ kind: 'write' }, totals.writeCapacity - seen.write);
    seen.throttles = totals.throttles;
    seen.read = totals.readCapacity;
    seen.write = totals.writeCapacity;
  });
  // Where new byIdle keys go; readers read every shard, so this only spreads the load.
  configureIdleShards(config.idleIndexShards);
  const repo = new DynamoSessionRepository(documentClient(dynamo), config.tableName, { erasureAuditRetentionDays: config.erasureAuditRetentionDays });
  // The catalogue is every tenant's default; a tenant's own topics (in the table) extend and override it.
  const topicRepo = new DynamoTopicRepository(documentClient(dynamo), config.tableName);
  const tenantTopics = new TenantTopics(topics, topicRepo);
  const usageRepo = new DynamoUsageRepository(documentClient(dynamo), config.tableName);
  const budgets = new Budgets({
    usage: usageRepo,
    topics: tenantTopics,
    clock,
    log,
    cacheMs: config.sessionLimits.budgetCacheMs,
    events: {
      refused: ({ scope }) => metrics.budgetRefusals.inc({ scope }),
      nearCap: config.usageWebhook ? nearCapWebhook(config.usageWebhook, log) : (e) => log.warn('a tenant passed 80% of its monthly token cap', { ...e }),
    },
  });
  const capabilities = composeCapabilities({
    budgets,
    repo,
    topics: tenantTopics,
    coach: measuredCoach(traced(tracing, coach ?? createCoach(config.coach, config.limits.coachTimeoutMs)), metrics, log),
    clock,
    log,
    limits: config.sessionLimits,
    events: {
      // Every resume of an idle session (startSession or resumeSession), once, from the use case itself.
      resumed: ({ topicId, idleMs }) => {
        const topic = metrics.topicLabel(topicId);
        metrics.resumedAfterIdle.inc({ topic });
        metrics.idleBeforeResume.observe({ topic }, idleMs / 1000);
      },
    },
  });
  const { background, ...useCases } = capabilities;
  const secret = hsSecret(config);
  const verifier = createVerifier(config.auth, secret);
  const observer = createOperationObserver({ log, metrics, logMessageContent: observability.logMessageContent });
  // One limiter for every transport of this process (HTTP now; a WebSocket transport takes it from App).
  const rateLimiter = new RateLimiter(config.rateLimit, () => clock.now());
  // Every per-address bound (rate limits, sockets) sees the client behind TRUST_PROXY_HOPS proxies.
  const addressOf = (req: IncomingMessage) => clientAddress(req, config.trustProxyHops);
  const devAuth = !config.production && !config.auth.secret && !config.auth.jwksUrl;
  const services = {
    ...useCases,
    topics: tenantTopics,
    topicAdmin: new TopicAdminService(tenantTopics, topicRepo, clock, config.limits.maxTopicsPerTenant),
    tenantUsage: new TenantUsage({ usage: usageRepo, topics: tenantTopics, clock, budgets }),
  };
  const server = await startHttpServer(
    {
      services,
      verifier,
      log,
      production: config.production,
      bodyLimitBytes: config.limits.bodyLimitBytes,
      maxQueryDepth: config.limits.maxQueryDepth,
      maxQueryCost: config.limits.maxQueryCost,
      maxCoachFields: config.limits.maxCoachFields,
      ready: () => repo.ping().then(() => true),
      sandbox,
      plugins: [observer.plugin, ...(tracing ? [tracing.plugin] : [])],
      traceRequest: tracing?.request,
      observe: observer.observe,
      corsOrigins: config.corsOrigins,
      rateLimiter,
      dynamoCostEvery: observability.dynamoCostEvery,
      shape: { maxSelections: config.limits.maxQuerySelections, maxAliases: config.limits.maxQueryAliases },
      requestTimeoutMs: config.limits.requestTimeoutMs,
      addressOf,
      costBounds: { maxMessageChars: config.limits.maxMessageChars, maxTopics: services.topicAdmin.catalogueBound },
      // sendMessageStream over graphql-ws, on the same port and path (docs/streaming.md).
      attach: (httpServer, checks) =>
        attachSubscriptions(httpServer, {
          checks,
          verifier,
          services,
          log,
          config: config.subscriptions,
          maxPayloadBytes: config.limits.bodyLimitBytes,
          addressOf,
          // The same buckets as HTTP: a subscription is one request of its user and tenant.
          limits: rateLimiter,
          report: observer.report,
          tracing,
          gauges: { sockets: (n) => metrics.websockets.set(n), subscriptions: (n) => metrics.subscriptions.set(n) },
        }).plugin,
      routes: (app) => {
        if (observability.metricsEnabled) {
          app.get('/metrics', async (_req, res) => {
            const { contentType, body } = await metrics.render();
            res.set('content-type', contentType).send(body);
          });
        }
        if (!config.production && observability.demoEnabled) {
          mountDemo(app, {
            log,
            staticDir: demoDir,
            devToken: devAuth && secret ? { secret, tenantClaim: config.auth.tenantClaim, maxLifetimeSeconds: config.auth.maxTokenLifetimeSeconds } : undefined,
            apiOrigins: config.corsOrigins,
          });
        }
      },
    },
    config.port,
    config.host,
  );
  return {
    server,
    dynamoTotals,
    metrics,
    rateLimiter,
    settled: () => background.settled(),
    stop: async () => {
      await server.stop();
      // Replies (postMessage) and welcome backs still on their way are stored before the store goes away.
      await background.settled();
      if (!givenTracing) await tracing?.shutdown();
    },
  };
}

const traced = (tracing: Tracing | undefined, coach: Coach) => (tracing ? tracing.coach(coach) : coach);

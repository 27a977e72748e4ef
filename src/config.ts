import { resolve } from 'node:path';
import { CoachConfig, parseCoachConfig } from './config-coach';
import { TracingConfig, tracingConfig } from './observability/tracing-config';
import { bool, ConfigError, decimal, Env, int, LogLevel, nonEmpty, parseOriginRule, tableName, url } from './config-values';
import { loadWebhookTarget, WebhookTarget } from './config-webhook';
import {
  DEFAULT_COACH_TIMEOUT_MS,
  DEFAULT_DYNAMO_COST_EVERY,
  DEFAULT_ERASURE_AUDIT_RETENTION_DAYS,
  DEFAULT_IDLE_INDEX_SHARDS,
  DEFAULT_MAX_COACH_FIELDS,
  DEFAULT_MAX_QUERY_COST,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  DEFAULT_MAX_TOPICS_PER_TENANT,
  DEFAULT_MIN_IDLE_MINUTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SESSION_LIMITS,
  DEFAULT_SHAPE_LIMITS,
  DEFAULT_SUBSCRIPTIONS,
  DEV_CORS_ORIGINS,
  MAX_IDLE_INDEX_SHARDS,
  RATE_LIMIT_DEFAULTS,
  SessionLimits,
} from './defaults';

/**
 * The one reader of the environment, once at start; each variable, its default and bounds are in
 * docs/configuration.md. A bad value throws ConfigError, which main.ts prints.
 */
export interface Config {
  production: boolean;
  port: number;
  host: string | undefined;
  dataDir: string;
  dynamo: { mode: 'embedded' } | { mode: 'aws' } | { mode: 'endpoint'; url: string };
  region: string;
  tableName: string;
  /** byIdle shards new index keys are written over (IDLE_INDEX_SHARDS). */
  idleIndexShards: number;
  javaHome: string | undefined;
  auth: AuthConfig;
  topicsFile: string | undefined;
  coach: CoachConfig;
  logLevel: LogLevel;
  observability: ObservabilityConfig;
  subscriptions: SubscriptionConfig;
  outcomeRetentionDays: number | null;
  erasureAuditRetentionDays: number;
  limits: {
    maxMessageChars: number;
    bodyLimitBytes: number;
    maxQueryDepth: number;
    maxQueryCost: number;
    maxCoachFields: number;
    coachTimeoutMs: number;
    sessionQueueLimit: number;
    welcomeBackWaitMs: number;
    maxTopicsPerTenant: number;
    maxQuerySelections: number;
    maxQueryAliases: number;
    requestTimeoutMs: number;
  };
  sessionLimits: SessionLimits;
  corsOrigins: string[];
  rateLimit: RateLimitConfig;
  trustProxyHops: number;
  /** Where the 80% usage notice goes (WEBHOOK_URL, WEBHOOK_SECRET); null: not sent. */
  usageWebhook: WebhookTarget | null;
}

/** Requests per caller (docs/security.md#rate-limits): a token bucket each. */
export interface RateLimitConfig {
  enabled: boolean;
  user: { burst: number; perSecond: number };
  tenant: { burst: number; perSecond: number };
  anonymous: { burst: number; perSecond: number };
}

export interface AuthConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  tenantClaim: string;
  rolesClaim: string;
  maxTokenLifetimeSeconds: number;
}

/** The WebSocket side of /graphql (src/http/subscriptions.ts); every bound is per process. */
export interface SubscriptionConfig {
  perUser: number;
  maxSockets: number;
  keepAliveMs: number;
  idleTimeoutMs: number;
  initTimeoutMs: number;
  socketsPerUser: number;
  socketsPerAddress: number;
  frames: { burst: number; perSecond: number };
}

export interface ObservabilityConfig {
  logPretty: boolean;
  logMessageContent: boolean;
  metricsEnabled: boolean;
  demoEnabled: boolean;
  dynamoCostEvery: number;
  tracing: TracingConfig;
}

export { ConfigError };

/** `stderrIsTty` decides the LOG_PRETTY default. */
export function loadConfig(env: Env, stderrIsTty = Boolean(process.stderr.isTTY)): Config {
  const production = env.NODE_ENV === 'production';
  const auth: AuthConfig = {
    secret: nonEmpty(env.JWT_SECRET),
    jwksUrl: nonEmpty(env.JWT_JWKS_URL),
    issuer: nonEmpty(env.JWT_ISSUER),
    audience: nonEmpty(env.JWT_AUDIENCE),
    tenantClaim: nonEmpty(env.JWT_TENANT_CLAIM) ?? 'tenant_id',
    rolesClaim: nonEmpty(env.JWT_ROLES_CLAIM) ?? 'roles',
    maxTokenLifetimeSeconds: int(env.JWT_MAX_LIFETIME_SECONDS, 'JWT_MAX_LIFETIME_SECONDS', DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 60, 31_536_000),
  };
  if (auth.secret && auth.jwksUrl) throw new ConfigError('Set JWT_SECRET or JWT_JWKS_URL, not both');
  if (auth.secret && Buffer.byteLength(auth.secret) < 32) throw new ConfigError('JWT_SECRET must be at least 32 bytes long');
  if (auth.jwksUrl) url(auth.jwksUrl, 'JWT_JWKS_URL');
  if (production && !auth.secret && !auth.jwksUrl) {
    throw new ConfigError('NODE_ENV=production needs token verification: set JWT_SECRET (HS256) or JWT_JWKS_URL');
  }
  const endpoint = nonEmpty(env.DYNAMODB_ENDPOINT);
  // The embedded store is for development: its optional package is not in the production image.
  if (production && !endpoint) {
    throw new ConfigError('NODE_ENV=production needs DYNAMODB_ENDPOINT (aws, or the URL of a DynamoDB-compatible endpoint): the embedded DynamoDB Local is for development only');
  }
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const limits: Config['limits'] = {
    maxMessageChars: int(env.MAX_MESSAGE_CHARS, 'MAX_MESSAGE_CHARS', DEFAULT_SESSION_LIMITS.maxMessageChars, 1, 100_000),
    bodyLimitBytes: int(env.BODY_LIMIT_BYTES, 'BODY_LIMIT_BYTES', 100_000, 1000, 10_000_000),
    maxQueryDepth: int(env.MAX_QUERY_DEPTH, 'MAX_QUERY_DEPTH', 10, 2, 100),
    maxQueryCost: int(env.MAX_QUERY_COST, 'MAX_QUERY_COST', DEFAULT_MAX_QUERY_COST, 100, 10_000_000),
    maxCoachFields: int(env.MAX_COACH_FIELDS, 'MAX_COACH_FIELDS', DEFAULT_MAX_COACH_FIELDS, 1, 100),
    coachTimeoutMs: int(env.COACH_TIMEOUT_MS, 'COACH_TIMEOUT_MS', DEFAULT_COACH_TIMEOUT_MS, 1, 600_000),
    sessionQueueLimit: int(env.SESSION_QUEUE_LIMIT, 'SESSION_QUEUE_LIMIT', DEFAULT_SESSION_LIMITS.sessionQueue.maxWaitingPerSession, 0, 10_000),
    welcomeBackWaitMs: int(env.WELCOME_BACK_WAIT_MS, 'WELCOME_BACK_WAIT_MS', DEFAULT_SESSION_LIMITS.welcomeBackWaitMs, 0, 60_000),
    maxTopicsPerTenant: int(env.MAX_TOPICS_PER_TENANT, 'MAX_TOPICS_PER_TENANT', DEFAULT_MAX_TOPICS_PER_TENANT, 1, 1000),
    maxQuerySelections: int(env.MAX_QUERY_SELECTIONS, 'MAX_QUERY_SELECTIONS', DEFAULT_SHAPE_LIMITS.maxSelections, 10, 10_000),
    maxQueryAliases: int(env.MAX_QUERY_ALIASES, 'MAX_QUERY_ALIASES', DEFAULT_SHAPE_LIMITS.maxAliases, 0, 1000),
    requestTimeoutMs: int(env.REQUEST_TIMEOUT_MS, 'REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000),
  };
  const coach = parseCoachConfig(env, region, (message) => new ConfigError(message));
  const outcomeRetentionDays = nonEmpty(env.OUTCOME_RETENTION_DAYS) === undefined ? null : int(env.OUTCOME_RETENTION_DAYS, 'OUTCOME_RETENTION_DAYS', 0, 1, 36_500);
  return {
    production,
    port: int(env.PORT, 'PORT', 4000, 0, 65535),
    // Development listens on loopback only (its /demo/token signs tokens for anyone); production on every interface.
    host: nonEmpty(env.HOST) ?? (production ? undefined : '127.0.0.1'),
    dataDir: resolve(nonEmpty(env.DATA_DIR) ?? '.data'),
    dynamo: !endpoint ? { mode: 'embedded' } : endpoint === 'aws' ? { mode: 'aws' } : { mode: 'endpoint', url: url(endpoint, 'DYNAMODB_ENDPOINT') },
    region,
    tableName: tableName(nonEmpty(env.TABLE_NAME) ?? 'coaching-sessions'),
    idleIndexShards: int(env.IDLE_INDEX_SHARDS, 'IDLE_INDEX_SHARDS', DEFAULT_IDLE_INDEX_SHARDS, 1, MAX_IDLE_INDEX_SHARDS),
    javaHome: env.JAVA_HOME || undefined,
    auth,
    topicsFile: nonEmpty(env.TOPICS_FILE),
    coach,
    logLevel: logLevel(env.LOG_LEVEL),
    observability: {
      logPretty: bool(env, 'LOG_PRETTY', stderrIsTty && !production),
      logMessageContent: bool(env, 'LOG_MESSAGE_CONTENT', false),
      metricsEnabled: bool(env, 'METRICS_ENABLED', true),
      demoEnabled: bool(env, 'DEMO_ENABLED', true),
      dynamoCostEvery: int(env.LOG_DYNAMO_COST_EVERY, 'LOG_DYNAMO_COST_EVERY', DEFAULT_DYNAMO_COST_EVERY, 0, 1_000_000),
      tracing: tracingConfig(env),
    },
    subscriptions: {
      perUser: int(env.SUBSCRIPTIONS_PER_USER, 'SUBSCRIPTIONS_PER_USER', DEFAULT_SUBSCRIPTIONS.perUser, 1, 1000),
      maxSockets: int(env.SUBSCRIPTION_MAX_SOCKETS, 'SUBSCRIPTION_MAX_SOCKETS', DEFAULT_SUBSCRIPTIONS.maxSockets, 1, 1_000_000),
      keepAliveMs: int(env.SUBSCRIPTION_KEEPALIVE_MS, 'SUBSCRIPTION_KEEPALIVE_MS', DEFAULT_SUBSCRIPTIONS.keepAliveMs, 0, 600_000),
      idleTimeoutMs: int(env.SUBSCRIPTION_IDLE_TIMEOUT_MS, 'SUBSCRIPTION_IDLE_TIMEOUT_MS', DEFAULT_SUBSCRIPTIONS.idleTimeoutMs, 100, 86_400_000),
      initTimeoutMs: int(env.SUBSCRIPTION_INIT_TIMEOUT_MS, 'SUBSCRIPTION_INIT_TIMEOUT_MS', DEFAULT_SUBSCRIPTIONS.initTimeoutMs, 100, 60_000),
      socketsPerUser: int(env.SUBSCRIPTION_SOCKETS_PER_USER, 'SUBSCRIPTION_SOCKETS_PER_USER', DEFAULT_SUBSCRIPTIONS.socketsPerUser, 1, 1000),
      socketsPerAddress: int(env.SUBSCRIPTION_SOCKETS_PER_ADDRESS, 'SUBSCRIPTION_SOCKETS_PER_ADDRESS', DEFAULT_SUBSCRIPTIONS.socketsPerAddress, 1, 1_000_000),
      frames: {
        burst: int(env.SUBSCRIPTION_FRAMES_BURST, 'SUBSCRIPTION_FRAMES_BURST', DEFAULT_SUBSCRIPTIONS.frames.burst, 1, 100_000),
        perSecond: decimal(env.SUBSCRIPTION_FRAMES_PER_SECOND, 'SUBSCRIPTION_FRAMES_PER_SECOND', DEFAULT_SUBSCRIPTIONS.frames.perSecond, 0.01, 100_000),
      },
    },
    outcomeRetentionDays,
    erasureAuditRetentionDays: int(env.ERASURE_AUDIT_RETENTION_DAYS, 'ERASURE_AUDIT_RETENTION_DAYS', DEFAULT_ERASURE_AUDIT_RETENTION_DAYS, 1, 36_500),
    limits,
    sessionLimits: {
      ...DEFAULT_SESSION_LIMITS,
      maxMessageChars: limits.maxMessageChars,
      coachTimeoutMs: limits.coachTimeoutMs,
      sessionQueue: { ...DEFAULT_SESSION_LIMITS.sessionQueue, maxWaitingPerSession: limits.sessionQueueLimit },
      welcomeBackWaitMs: limits.welcomeBackWaitMs,
      outcomeRetentionSeconds: outcomeRetentionDays === null ? null : outcomeRetentionDays * 86_400,
      memoryWindow: coach.kind === 'embedded' ? DEFAULT_SESSION_LIMITS.memoryWindow : coach.budget,
      budgetCacheMs: int(env.BUDGET_CACHE_MS, 'BUDGET_CACHE_MS', DEFAULT_SESSION_LIMITS.budgetCacheMs, 0, 300_000),
    },
    corsOrigins: corsOrigins(env.CORS_ORIGINS, production),
    rateLimit: {
      enabled: bool(env, 'RATE_LIMIT_ENABLED', true),
      user: bucket(env, 'USER', RATE_LIMIT_DEFAULTS.user),
      tenant: bucket(env, 'TENANT', RATE_LIMIT_DEFAULTS.tenant),
      anonymous: bucket(env, 'ANONYMOUS', RATE_LIMIT_DEFAULTS.anonymous),
    },
    trustProxyHops: int(env.TRUST_PROXY_HOPS, 'TRUST_PROXY_HOPS', 0, 0, 10),
    usageWebhook: loadWebhookTarget(env, false),
  };
}


/** `npm run notify-idle`'s (WEBHOOK_URL, WEBHOOK_SECRET required, --min-idle-minutes); the server reads the webhook only for its usage notice. */
export interface NotifyConfig {
  webhookUrl: string;
  webhookSecret: string;
  minIdleMinutes: number;
}

export function loadNotifyConfig(env: Env, argv: readonly string[]): NotifyConfig {
  return { ...loadWebhookTarget(env, true)!, minIdleMinutes: minIdleMinutes(argv) };
}

function minIdleMinutes(argv: readonly string[]): number {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--min-idle-minutes') value = argv[++i];
    else if (arg.startsWith('--min-idle-minutes=')) value = arg.slice('--min-idle-minutes='.length);
    else throw new ConfigError(`unknown argument "${arg}" (usage: notify-idle [--min-idle-minutes N])`);
  }
  if (value === undefined) return DEFAULT_MIN_IDLE_MINUTES;
  if (!/^\d{1,7}$/.test(value)) throw new ConfigError('--min-idle-minutes must be a whole number of minutes');
  return Number(value);
}

function bucket(env: Env, who: string, fallback: { burst: number; perSecond: number }) {
  return {
    burst: int(env[`RATE_LIMIT_${who}_BURST`], `RATE_LIMIT_${who}_BURST`, fallback.burst, 1, 1_000_000),
    perSecond: decimal(env[`RATE_LIMIT_${who}_PER_SECOND`], `RATE_LIMIT_${who}_PER_SECOND`, fallback.perSecond, 0.01, 1_000_000),
  };
}

function corsOrigins(v: string | undefined, production: boolean): string[] {
  const value = nonEmpty(v);
  if (value === undefined) return production ? [] : [...DEV_CORS_ORIGINS];
  if (value === 'none') return [];
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of entries) {
    if (!parseOriginRule(e)) throw new ConfigError(`CORS_ORIGINS must list origins (scheme://host[:port], lower case, no path; or scheme://host:* for any port), separated by commas, or "none"; got "${e}"`);
  }
  return entries;
}

function logLevel(v: string | undefined): LogLevel {
  const level = nonEmpty(v) ?? 'info';
  if (!['silent', 'error', 'warn', 'info'].includes(level)) throw new ConfigError(`LOG_LEVEL must be silent, error, warn or info`);
  return level as LogLevel;
}

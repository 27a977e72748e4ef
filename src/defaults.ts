/** Every default of the service; config.ts applies them, the layers below take what they are given. */
import type { SessionSettings } from './domain/session';

/** The session use cases' bounds (config.ts fills them from MAX_MESSAGE_CHARS, COACH_TIMEOUT_MS, ...). */
export interface SessionLimits {
  maxMessageChars: number;
  maxPageSize: number;
  defaultPageSize: number;
  /** Longest wait for one coach call; then COACH_UNAVAILABLE. */
  coachTimeoutMs: number;
  /** Sends one process lets wait behind the running one for a session, and over all sessions. */
  sessionQueue: { maxWaitingPerSession: number; maxWaitingTotal: number };
  /** How long a resume waits for the welcome back before answering without it. */
  welcomeBackWaitMs: number;
  /** How long a user's outcome is kept after completion; null: kept (OUTCOME_RETENTION_DAYS). */
  outcomeRetentionSeconds: number | null;
  /** The coach's window (COACH_HISTORY_MESSAGES/_CHARS): older messages are folded into the session's summary. */
  memoryWindow: { maxMessages: number; maxChars: number };
  /** How long a process trusts the token caps and month totals it read (BUDGET_CACHE_MS): the budget check's overshoot window. */
  budgetCacheMs: number;
}

/** The history a model adapter sends with each call (COACH_HISTORY_MESSAGES, COACH_HISTORY_CHARS). */
export const DEFAULT_HISTORY_BUDGET = { maxMessages: 20, maxChars: 12_000 };
export const DEFAULT_COACH_TIMEOUT_MS = 30_000;
export const DEFAULT_WELCOME_BACK_WAIT_MS = 2000;

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxMessageChars: 4000,
  maxPageSize: 100,
  defaultPageSize: 20,
  coachTimeoutMs: DEFAULT_COACH_TIMEOUT_MS,
  sessionQueue: { maxWaitingPerSession: 64, maxWaitingTotal: 10_000 },
  welcomeBackWaitMs: DEFAULT_WELCOME_BACK_WAIT_MS,
  outcomeRetentionSeconds: null,
  memoryWindow: DEFAULT_HISTORY_BUDGET,
  budgetCacheMs: 5000,
};

/** exportMyData's pages: as many records as the largest page of anything else. */
export const EXPORT_PAGE = { max: 100, default: 100 };

/** Concurrent model calls per tenant, and how long one over it waits (COACH_CONCURRENCY_PER_TENANT, _WAIT_MS). */
export const DEFAULT_TENANT_SLOTS = { perTenant: 8, waitMs: 5_000 };
/** A tenant's topics, its catalogue's included (MAX_TOPICS_PER_TENANT). */
export const DEFAULT_MAX_TOPICS_PER_TENANT = 20;
/** How long an erasure's audit entry is kept (ERASURE_AUDIT_RETENTION_DAYS). */
export const DEFAULT_ERASURE_AUDIT_RETENTION_DAYS = 365;
/** A document's shape before validation (MAX_QUERY_SELECTIONS, MAX_QUERY_ALIASES): far above this API's largest operation. */
export const DEFAULT_SHAPE_LIMITS = { maxSelections: 300, maxAliases: 30 };

/** A day: Cognito's longest ID and access tokens; the development tokens last 12 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

export const DEFAULT_SUBSCRIPTIONS = {
  perUser: 4,
  maxSockets: 10_000,
  keepAliveMs: 15_000,
  idleTimeoutMs: 60_000,
  initTimeoutMs: 3_000,
  socketsPerUser: 8,
  // A company behind one NAT: a thousand people streaming at once from one address.
  socketsPerAddress: 1000,
  frames: { burst: 50, perSecond: 10 },
};

/** Above every operation in operations/ at page size 100 (test/unit/cost.test.ts); figures in docs/security.md. */
export const DEFAULT_MAX_QUERY_COST = 3000;

export const DEFAULT_MAX_COACH_FIELDS = 1;

/** Counting every operation's DynamoDB calls costs CPU on every promise (http/cost-sampler.ts). */
export const DEFAULT_DYNAMO_COST_EVERY = 100;

/** A request's headers and body must arrive within this (a slow client holds a connection no longer). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** One user may burst 60 requests and keep up 10 a second: two tabs and a retry never come near. */
export const RATE_LIMIT_DEFAULTS = {
  user: { burst: 60, perSecond: 10 },
  tenant: { burst: 2000, perSecond: 200 },
  anonymous: { burst: 100, perSecond: 20 },
} as const;

/** Development: any port of http://localhost or http://127.0.0.1 (a frontend dev server); production: none. */
export const DEV_CORS_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];

export const DEFAULT_MIN_IDLE_MINUTES = 1440;

/** byIdle shards new keys are written over (IDLE_INDEX_SHARDS), and how many readers read: docs/scaling.md. */
export const DEFAULT_IDLE_INDEX_SHARDS = 32;
export const MAX_IDLE_INDEX_SHARDS = 64;

/** A topic's session settings when it sets none (the contract's defaults): idle after 30 minutes, 30 days live, 14 ended. */
export const DEFAULT_SETTINGS: SessionSettings = {
  inactivityTimeoutMinutes: 30,
  activeTtlSeconds: 30 * 24 * 3600,
  terminalTtlSeconds: 14 * 24 * 3600,
};

/** How long a tenant's catalogue is cached by each process. */
export const DEFAULT_TOPIC_CACHE_MS = 30_000;

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A registry per app instance (not prom-client's global), so several apps can run in one process. */
export class Metrics {
  readonly registry = new Registry();

  readonly operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by operation name and outcome code (OK or the first error code)',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by operation name and outcome code',
    labelNames: ['operation', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly dynamoRequests = new Counter({
    name: 'dynamodb_requests_total',
    help: 'DynamoDB requests sent (retries included), by command',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });

  readonly dynamoThrottles = new Counter({
    name: 'dynamodb_throttles_total',
    help: 'DynamoDB requests refused by throttling, by command',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });

  readonly dynamoCapacity = new Counter({
    name: 'dynamodb_consumed_capacity_units_total',
    help: 'DynamoDB capacity units consumed, by kind (read or write)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly coachRequests = new Counter({
    name: 'coach_requests_total',
    help: 'Calls to the coach by adapter, call (opening, reply, replyStream, welcomeBack, extractResult, summarize or title) and outcome (ok or error)',
    labelNames: ['coach', 'call', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly coachDuration = new Histogram({
    name: 'coach_duration_seconds',
    help: 'Coach latency by adapter, call and outcome',
    labelNames: ['coach', 'call', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly coachFirstPiece = new Histogram({
    name: 'coach_first_piece_seconds',
    help: "Streamed replies (sendMessageStream): time to the reply's first piece, by adapter",
    labelNames: ['coach'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly websockets = new Gauge({
    name: 'graphql_ws_connections',
    help: 'Open WebSocket connections (graphql-ws, for subscriptions) on this process',
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: 'graphql_ws_subscriptions',
    help: 'Active GraphQL subscriptions (sendMessageStream) on this process',
    registers: [this.registry],
  });

  readonly coachTokens = new Counter({
    name: 'coach_tokens_total',
    help: "Model tokens the adapters reported (the embedded coach's are estimates), by adapter, call and direction (input or output)",
    labelNames: ['coach', 'call', 'direction'] as const,
    registers: [this.registry],
  });

  readonly budgetRefusals = new Counter({
    name: 'budget_refusals_total',
    help: "Operations refused with BUDGET_EXCEEDED, by scope (TENANT: the tenant's monthly cap; USER: the per-user cap)",
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly conflicts = new Counter({
    name: 'session_conflicts_total',
    help: 'Operations refused with SESSION_CONFLICT (another user of the tenant holds the topic)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly resumedAfterIdle = new Counter({
    name: 'sessions_resumed_after_idle_total',
    help: "Sessions resumed (startSession or resumeSession) after being idle past their topic's inactivity timeout",
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly idleBeforeResume = new Histogram({
    name: 'session_idle_before_resume_seconds',
    help: 'How long a session had been inactive when it was resumed after being idle',
    labelNames: ['topic'] as const,
    // 1 minute .. 60 days
    buckets: [60, 300, 1800, 3600, 4 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean; topics?: readonly string[] } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.knownTopics = new Set(opts.topics ?? []);
  }

  private readonly knownTopics: Set<string>;

  /** A topic id as a label: catalogue ids only, so labels stay bounded. */
  topicLabel(topicId: string): string {
    return this.knownTopics.has(topicId) ? topicId : 'other';
  }

  /** The text exposition for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const MAX_OPERATION_LABELS = 200;

/** Labels only for known operations of authenticated callers, and few of them, so metrics stay bounded. */
export function operationLabeler(): (name: string | null | undefined, known: boolean) => string {
  const seen = new Set<string>();
  return (name, known) => {
    if (!name) return 'anonymous';
    if (!known || !/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name)) return 'other';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_LABELS) return 'other';
    seen.add(name);
    return name;
  };
}

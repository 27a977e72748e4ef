import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { ExecutionArgs, GraphQLError, GraphQLFormattedError } from 'graphql';
import { CloseCode, makeServer } from 'graphql-ws';
import { acceptedUntil, bearerToken, TokenVerifier, unauthenticated } from '../auth/verifier';
import type { SubscriptionConfig } from '../config';
import { DomainError, rateLimited, tooManySubscriptions } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { deltaText } from '../conversation/stream-types';
import { Context, createLoaders, Services } from '../graphql/context';
import { subscribeWithTemplates } from '../graphql/event-template';
import type { Logger } from '../logger';
import { loggableVariables } from '../observability/loggable-variables';
import type { OperationLine } from '../observability/plugin';
import type { OperationSpan, Tracing } from '../observability/tracing';
import { emptyStats, RequestStats, withRequestStats } from '../store/request-stats';
import type { RateDecision, RateLimiter } from './rate-limit';
import { checkOperation, OperationChecks } from './subscription-checks';
import { Connection, Counts, serveSockets } from './ws-sockets';

export interface SubscriptionOptions {
  checks: OperationChecks;
  verifier: TokenVerifier;
  services: Services;
  log: Logger;
  config: SubscriptionConfig;
  /** The largest WebSocket message accepted (BODY_LIMIT_BYTES); a larger one closes the socket (1009). */
  maxPayloadBytes: number;
  /** The client address of an upgrade (TRUST_PROXY_HOPS). */
  addressOf: (req: http.IncomingMessage) => string;
  /** The HTTP rate limits: a caller's buckets, and an address's for a missing or bad token. */
  limits?: Pick<RateLimiter, 'take' | 'takeAnonymous'>;
  /** One report per subscription when it ends, like an HTTP operation's (log line, metrics). */
  report?: (line: OperationLine) => void;
  /** Open sockets and active subscriptions, whenever they change (metrics). */
  gauges?: { sockets(n: number): void; subscriptions(n: number): void };
  /** A span per subscription, from subscribe to its end (OpenTelemetry, when configured). */
  tracing?: Pick<Tracing, 'operation'>;
}

export interface SubscriptionServer {
  /** Drains the WebSocket side with Apollo (its drainServer hook). */
  plugin: ApolloServerPlugin<Context>;
  close(): Promise<void>;
}

interface Operation {
  started: number;
  name: string | null;
  requestId: string;
  stats: RequestStats;
  code: string;
  variables?: Record<string, unknown>;
  span?: OperationSpan;
}

const CLOSE_REASON_BYTES = 123;
const closeReason = (text: string) => (Buffer.byteLength(text) <= CLOSE_REASON_BYTES ? text : `${text.slice(0, 100)}...`);
/** setTimeout's longest delay (about 24.8 days): a longer-lived token's socket is closed then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const userKey = (v: Viewer) => `${v.tenantId.length}:${v.tenantId}${v.userId}`;

/** graphql-ws on /graphql (docs/streaming.md): rate-limited before parsing, token checked at connection_init. */
export function attachSubscriptions(httpServer: http.Server, opts: SubscriptionOptions): SubscriptionServer {
  const { config, log, checks } = opts;
  const userSockets = new Counts();
  const userSubscriptions = new Counts();
  let activeTotal = 0;
  let sockets = 0;
  const gauge = () => {
    opts.gauges?.sockets(sockets);
    opts.gauges?.subscriptions(activeTotal);
  };
  const watchIdle = (conn: Connection) => {
    clearTimeout(conn.idle);
    conn.idle = undefined;
    if (conn.active.size > 0 || conn.socket.readyState !== conn.socket.OPEN) return;
    conn.idle = setTimeout(() => conn.socket.close(1000, 'Idle: no active subscription'), config.idleTimeoutMs);
    conn.idle.unref();
  };
  const report = (viewer: Viewer | null, op: Operation, known: boolean) =>
    opts.report?.({
      requestId: op.requestId,
      operation: op.name,
      known,
      operationType: 'subscription',
      tenant: viewer?.tenantId,
      user: viewer?.userId,
      durationMs: performance.now() - op.started,
      code: op.code,
      stats: op.stats,
      variables: op.variables,
    });
  /** A subscription stops counting: reported once, its slot freed. */
  const finish = (conn: Connection, id: string) => {
    const op = conn.active.get(id) as Operation | undefined;
    if (!op || !conn.active.delete(id)) return;
    activeTotal--;
    if (conn.viewer) userSubscriptions.add(userKey(conn.viewer), -1);
    report(conn.viewer, op, true);
    op.span?.end(op.code);
    watchIdle(conn);
    gauge();
  };
  const format = (error: GraphQLError): GraphQLFormattedError => {
    // graphql-ws wraps what an event stream throws in an error of its own; the located error is inside.
    const inner = !error.path && error.originalError instanceof GraphQLError ? error.originalError : error;
    // A refusal at subscribe carries its domain error unlocated.
    const cause = !inner.path && inner.originalError instanceof DomainError ? inner.originalError : inner;
    return checks.format(inner.toJSON(), cause);
  };
  /** Each running subscription's span, by its context (graphql-ws hands `subscribe` only the execution args). */
  const spans = new WeakMap<Context, OperationSpan>();
  const refusal = (e: DomainError) => new GraphQLError(e.message, { originalError: e });
  /** Closes with 4429 when the decision refuses; true when it did. */
  const overLimit = (conn: Connection, decision: RateDecision | undefined) => {
    if (!decision || decision.ok) return false;
    conn.socket.close(4429, `Too many requests: retry in ${decision.retryAfterSeconds} s`);
    return true;
  };

  const server = makeServer<Record<string, unknown>, Connection>({
    schema: checks.schema,
    connectionInitWaitTimeout: config.initTimeoutMs,
    onConnect: async (ctx) => {
      const conn = ctx.extra;
      const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      const anonymous = () => overLimit(conn, opts.limits?.takeAnonymous(conn.address));
      if (given === undefined || given === null || given === '') {
        if (!anonymous()) conn.socket.close(CloseCode.Unauthorized, 'Unauthorized: send "Bearer <token>" as connectionParams.authorization');
        return false;
      }
      let viewer: Viewer;
      let token: string;
      try {
        if (typeof given !== 'string') throw unauthenticated('connectionParams.authorization must be a string');
        token = bearerToken(given)!;
        viewer = await opts.verifier.verify(token);
      } catch (e) {
        if (!(e instanceof DomainError)) log.error('WebSocket authentication failed unexpectedly', { error: String(e) });
        if (!anonymous()) conn.socket.close(CloseCode.Forbidden, closeReason(`Forbidden: ${e instanceof DomainError ? e.message : 'the token could not be checked'}`));
        return false;
      }
      if (overLimit(conn, opts.limits?.take(viewer))) return false;
      if (userSockets.get(userKey(viewer)) >= config.socketsPerUser) {
        conn.socket.close(4429, `Too many open connections for this user (at most ${config.socketsPerUser})`);
        return false;
      }
      conn.viewer = viewer;
      userSockets.add(userKey(viewer), 1);
      const expiresIn = Math.min(acceptedUntil(token) - Date.now(), MAX_TIMER_MS);
      conn.expiry = setTimeout(() => conn.socket.close(CloseCode.Forbidden, 'Forbidden: the token has expired; connect again with a new one'), expiresIn);
      conn.expiry.unref();
      return true;
    },
    onSubscribe: (ctx, id, payload) => {
      const conn = ctx.extra;
      const viewer = conn.viewer!; // graphql-ws refuses a subscribe before the connection is acknowledged
      const started = performance.now();
      const refuse = (errors: GraphQLError[]) => {
        // Refused: reported, but its (client-chosen) name never becomes a metrics label.
        const code = String(format(errors[0]).extensions?.code);
        report(viewer, { started, name: payload.operationName ?? null, requestId: randomUUID(), stats: emptyStats(), code }, false);
        opts.tracing?.operation('subscription', null, viewer.tenantId).end(code);
        return errors;
      };
      // Spent before the document is looked at: the user's subscription bound, then the rate limits.
      const count = userSubscriptions.get(userKey(viewer));
      if (count >= config.perUser) return refuse([refusal(tooManySubscriptions(config.perUser))]);
      const decision = opts.limits?.take(viewer);
      if (decision && !decision.ok) return refuse([refusal(rateLimited(decision.retryAfterSeconds))]);
      const checked = checkOperation(checks, payload);
      if (Array.isArray(checked)) return refuse(checked);

      const op: Operation = {
        started,
        name: payload.operationName ?? checked.operation.name?.value ?? null,
        requestId: randomUUID(),
        stats: emptyStats(),
        code: 'OK',
        variables: loggableVariables(checked.document, checked.operation, payload.variables ?? undefined),
      };
      op.span = opts.tracing?.operation('subscription', op.name, viewer.tenantId);
      conn.active.set(id, op);
      userSubscriptions.add(userKey(viewer), 1);
      activeTotal++;
      watchIdle(conn);
      gauge();
      const contextValue: Context = { viewer, services: opts.services, loaders: createLoaders(opts.services, viewer), requestId: op.requestId, dynamoStats: op.stats };
      if (op.span) spans.set(contextValue, op.span);
      return { schema: checks.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
    },
    // The store calls the subscription makes (its turn, in the background too) count in its own stats.
    // A delta is not executed again each time: its result is the first one's with its text.
    subscribe: (args: ExecutionArgs) => {
      const run = () => withRequestStats(async () => subscribeWithTemplates(args, deltaText), (args.contextValue as Context).dynamoStats);
      const span = spans.get(args.contextValue as Context);
      return span ? span.run(run) : run();
    },
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map(format) } : undefined),
    onError: (ctx, id, _payload, errors) => {
      const shown = errors.map(format);
      const op = ctx.extra.active.get(id) as Operation | undefined;
      if (op && op.code === 'OK') op.code = String(shown[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
      return shown;
    },
    onComplete: (ctx, id) => finish(ctx.extra, id),
  });

  const layer = serveSockets(httpServer, server, {
    config,
    log,
    maxPayloadBytes: opts.maxPayloadBytes,
    addressOf: opts.addressOf,
    onOpen: (conn) => {
      sockets++;
      watchIdle(conn);
      gauge();
    },
    onClose: (conn) => {
      sockets--;
      clearTimeout(conn.expiry);
      clearTimeout(conn.idle);
      for (const id of [...conn.active.keys()]) finish(conn, id);
      if (conn.viewer) userSockets.add(userKey(conn.viewer), -1);
      gauge();
    },
  });

  return {
    close: layer.close,
    plugin: {
      async serverWillStart() {
        return { drainServer: layer.close };
      },
      // Over HTTP a subscription would run once, without its events: refused, before anything runs.
      async requestDidStart() {
        return {
          async didResolveOperation(rc) {
            if (rc.operation?.operation !== 'subscription') return;
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP POST', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          },
        };
      },
    },
  };
}

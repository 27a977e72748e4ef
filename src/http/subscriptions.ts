import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ApolloServerPlugin } from '@apollo/server';
import { ExecutionArgs, GraphQLError, GraphQLFormattedError, GraphQLSchema, subscribe } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocket, WebSocketServer } from 'ws';
import { bearerToken, TokenVerifier, unauthenticated } from '../auth/verifier';
import type { SubscriptionConfig } from '../config';
import { DomainError, tooManySubscriptions } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { Context, createLoaders, Services } from '../graphql/context';
import { formatError } from '../graphql/errors';
import type { Logger } from '../logger';
import { loggableVariables } from '../observability/loggable-variables';
import type { OperationLine } from '../observability/plugin';
import { emptyStats, RequestStats, withRequestStats } from '../store/request-stats';
import { checkOperation, OperationLimits } from './subscription-checks';

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  services: Services;
  log: Logger;
  config: SubscriptionConfig;
  limits: OperationLimits;
  /** The largest WebSocket message accepted (BODY_LIMIT_BYTES); a larger one closes the socket (1009). */
  maxPayloadBytes: number;
  /** Asked once per subscribe after the checks and the per-user bound (the app's rate limiter); an error refuses it, nothing started. */
  admit?: (viewer: Viewer) => DomainError | undefined;
  /** One report per subscription when it ends, like an HTTP operation's (log line, metrics). */
  report?: (line: OperationLine) => void;
  /** Open sockets and active subscriptions, whenever they change (metrics). */
  gauges?: { sockets(n: number): void; subscriptions(n: number): void };
}

export interface SubscriptionServer {
  /** Drains the WebSocket side with Apollo (its drainServer hook). */
  plugin: ApolloServerPlugin<Context>;
  /** Refuses new sockets and closes the open ones (1001); streams being written still store their replies. */
  close(): Promise<void>;
}

/** One open socket's state. */
interface Connection {
  viewer: Viewer | null;
  /** Closes the socket when its token expires. */
  expiry?: NodeJS.Timeout;
  /** Closes the socket after the idle timeout without an active subscription. */
  idle?: NodeJS.Timeout;
  /** Its subscriptions that count towards the user's bound, by graphql-ws id. */
  active: Map<string, Operation>;
}

interface Operation {
  started: number;
  name: string | null;
  requestId: string;
  stats: RequestStats;
  code: string;
  variables?: Record<string, unknown>;
}

const CLOSE_REASON_BYTES = 123;
const closeReason = (text: string) => (Buffer.byteLength(text) <= CLOSE_REASON_BYTES ? text : `${text.slice(0, 100)}...`);

/**
 * GraphQL subscriptions over WebSocket (graphql-ws, the protocol of Apollo Client's
 * GraphQLWsLink and urql) on the HTTP server's own port and path, /graphql. The token is
 * checked once, at connection_init (connectionParams.authorization), with the HTTP path's
 * verifier; the socket closes when it expires. Bounded: sockets per process, active
 * subscriptions per user, the time to send connection_init, the time without a
 * subscription; kept alive by pings. Operations pass the HTTP path's checks and error mask.
 */
export function attachSubscriptions(httpServer: http.Server, opts: SubscriptionOptions): SubscriptionServer {
  const { config, log } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes });
  const connections = new WeakMap<WebSocket, Connection>();
  const perUser = new Map<string, number>();
  let activeTotal = 0;
  let closing = false;
  const format = formatError(log);
  const userKey = (v: Viewer) => `${v.tenantId}\u0000${v.userId}`;

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req.url) !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found', 'WebSocket connections are served at /graphql only');
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable', 'The server is shutting down; connect again', 1);
    if (wss.clients.size >= config.maxSockets) return refuseUpgrade(socket, 503, 'Service Unavailable', 'Too many open connections; retry shortly', 5);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  const gauge = () => {
    opts.gauges?.sockets(wss.clients.size);
    opts.gauges?.subscriptions(activeTotal);
  };
  const watchIdle = (ws: WebSocket, conn: Connection) => {
    clearTimeout(conn.idle);
    conn.idle = undefined;
    if (conn.active.size > 0) return;
    conn.idle = setTimeout(() => ws.close(1000, 'Idle: no active subscription'), config.idleTimeoutMs);
    conn.idle.unref();
  };
  /** A subscription stops counting: reported once, its slot freed. */
  const finish = (ws: WebSocket, conn: Connection, id: string) => {
    const op = conn.active.get(id);
    if (!op || !conn.active.delete(id)) return;
    activeTotal--;
    if (conn.viewer) {
      const key = userKey(conn.viewer);
      const left = (perUser.get(key) ?? 1) - 1;
      if (left > 0) perUser.set(key, left);
      else perUser.delete(key);
    }
    report(conn.viewer, op);
    if (ws.readyState === WebSocket.OPEN) watchIdle(ws, conn);
    gauge();
  };
  const report = (viewer: Viewer | null, op: Operation) =>
    opts.report?.({
      requestId: op.requestId,
      operation: op.name,
      known: true,
      operationType: 'subscription',
      tenant: viewer?.tenantId,
      user: viewer?.userId,
      durationMs: performance.now() - op.started,
      code: op.code,
      stats: op.stats,
      variables: op.variables,
    });

  wss.on('connection', (ws) => {
    const conn: Connection = { viewer: null, active: new Map() };
    connections.set(ws, conn);
    watchIdle(ws, conn);
    gauge();
    ws.once('close', () => {
      clearTimeout(conn.expiry);
      clearTimeout(conn.idle);
      for (const id of [...conn.active.keys()]) finish(ws, conn, id);
      gauge();
    });
  });

  const stateOf = (ws: WebSocket) => connections.get(ws)!;
  /** graphql-ws wraps what an event stream throws in an error of its own; the located error is inside. */
  const formatted = (error: GraphQLError): GraphQLFormattedError => {
    const inner = !error.path && error.originalError instanceof GraphQLError ? error.originalError : error;
    // A refusal at subscribe carries its domain error unlocated.
    const cause = !inner.path && inner.originalError instanceof DomainError ? inner.originalError : inner;
    return format(inner.toJSON(), cause);
  };
  const refusal = (e: DomainError) => new GraphQLError(e.message, { originalError: e });

  const server = useServer<Record<string, unknown>>(
    {
      schema: opts.schema,
      connectionInitWaitTimeout: config.initTimeoutMs,
      isProd: opts.limits.production,
      onConnect: async (ctx) => {
        const ws = ctx.extra.socket;
        const conn = stateOf(ws);
        const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if (given === undefined || given === null || given === '') {
          ws.close(CloseCode.Unauthorized, 'Unauthorized: send "Bearer <token>" as connectionParams.authorization');
          return false;
        }
        try {
          if (typeof given !== 'string') throw unauthenticated('connectionParams.authorization must be a string');
          const token = bearerToken(given)!;
          conn.viewer = await opts.verifier.verify(token);
          // Verified: its exp is there and trustworthy.
          const expiresInMs = (decodeJwt(token).exp ?? 0) * 1000 - Date.now();
          if (expiresInMs <= 0) throw unauthenticated('The token has expired');
          conn.expiry = setTimeout(() => ws.close(CloseCode.Forbidden, 'Forbidden: the token has expired; connect again with a new one'), expiresInMs);
          conn.expiry.unref();
          return true;
        } catch (e) {
          conn.viewer = null;
          if (!(e instanceof DomainError)) log.error('WebSocket authentication failed unexpectedly', { error: String(e) });
          ws.close(CloseCode.Forbidden, closeReason(`Forbidden: ${e instanceof DomainError ? e.message : 'the token could not be checked'}`));
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const ws = ctx.extra.socket;
        const conn = stateOf(ws);
        const viewer = conn.viewer!; // graphql-ws refuses a subscribe before the connection is acknowledged
        const started = performance.now();
        const checked = checkOperation(opts.schema, payload, opts.limits);
        const name = payload.operationName ?? (Array.isArray(checked) ? null : (checked.operation.name?.value ?? null));
        const refuse = (errors: GraphQLError[]) => {
          const op = { started, name, requestId: randomUUID(), stats: emptyStats(), code: String(formatted(errors[0]).extensions?.code) };
          report(viewer, op);
          return errors;
        };
        if (Array.isArray(checked)) return refuse(checked);
        const count = perUser.get(userKey(viewer)) ?? 0;
        if (count >= config.perUser) return refuse([refusal(tooManySubscriptions(config.perUser))]);
        const refused = opts.admit?.(viewer);
        if (refused) return refuse([refusal(refused)]);

        const op: Operation = {
          started,
          name,
          requestId: randomUUID(),
          stats: emptyStats(),
          code: 'OK',
          variables: loggableVariables(checked.document, checked.operation, payload.variables ?? undefined),
        };
        conn.active.set(id, op);
        perUser.set(userKey(viewer), count + 1);
        activeTotal++;
        watchIdle(ws, conn);
        gauge();
        const contextValue: Context = {
          viewer,
          services: opts.services,
          loaders: createLoaders(opts.services, viewer),
          requestId: op.requestId,
          dynamoStats: op.stats,
        };
        return { schema: opts.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      // The store calls the subscription makes (its turn, in the background too) count in its own stats.
      subscribe: (args: ExecutionArgs) => withRequestStats(async () => subscribe(args), (args.contextValue as Context).dynamoStats),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map(formatted) } : undefined),
      onError: (ctx, id, _payload, errors) => {
        const shown = errors.map(formatted);
        const op = stateOf(ctx.extra.socket).active.get(id);
        if (op && op.code === 'OK') op.code = String(shown[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        return shown;
      },
      onComplete: (ctx, id) => finish(ctx.extra.socket, stateOf(ctx.extra.socket), id),
    },
    wss,
    config.keepAliveMs > 0 ? config.keepAliveMs : Infinity,
  );

  const close = async () => {
    if (closing) return;
    closing = true;
    httpServer.off('upgrade', onUpgrade);
    const open = [...wss.clients];
    // Clients reconnect (to another replica) and re-subscribe with their clientMessageId.
    const closed = Promise.all(open.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())))));
    for (const ws of open) ws.close(1001, 'Server shutting down; connect again');
    const timer = setTimeout(() => open.forEach((ws) => ws.terminate()), 2000);
    await closed;
    clearTimeout(timer);
    await server.dispose();
  };

  return {
    close,
    plugin: {
      async serverWillStart() {
        return { drainServer: close };
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

/** The path of a request target (no query string); null when it is not a usable URL. */
function pathOf(target: string | undefined): string | null {
  try {
    return new URL(target ?? '', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

/** An upgrade refused before any WebSocket exists: a plain HTTP answer with a GraphQL-shaped body. */
function refuseUpgrade(socket: Duplex, status: number, text: string, message: string, retryAfterSeconds?: number): void {
  const code = status === 404 ? 'NOT_FOUND' : 'SERVICE_UNAVAILABLE';
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  const headers = [
    `HTTP/1.1 ${status} ${text}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(retryAfterSeconds ? [`Retry-After: ${retryAfterSeconds}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

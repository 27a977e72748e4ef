import http, { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { bearerToken, TokenVerifier } from '../auth/verifier';
import type { OperationLimits } from './subscription-checks';
import { DomainError, rateLimited } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { Context, createLoaders, Services } from '../graphql/context';
import { depthLimit } from '../graphql/depth-limit';
import { costLimit } from '../graphql/cost-limit';
import { DEFAULT_MAX_COACH_FIELDS, DEFAULT_MAX_QUERY_COST } from '../config';
import { DEFAULT_LIMITS } from '../sessions/service-context';
import { formatError } from '../graphql/errors';
import { buildSchema } from '../graphql/schema';
import { Logger } from '../logger';
import { emptyStats, RequestStats, uncountedStats, withRequestStats } from '../store/request-stats';
import { CostSampler } from '../store/cost-sampler';
import { corsHandler } from './cors';
import { graphqlHandler, leanPlugins } from './graphql-handler';
import { RateDecision, RateLimiter } from './rate-limit';
import { requestIdOf } from './request-id';

export interface ServerOptions {
  services: Services;
  verifier: TokenVerifier;
  log: Logger;
  production: boolean;
  bodyLimitBytes: number;
  maxQueryDepth: number;
  /** The most an operation may cost (MAX_QUERY_COST); default DEFAULT_MAX_QUERY_COST. */
  maxQueryCost?: number;
  /** The most coach-calling fields per operation (MAX_COACH_FIELDS); default DEFAULT_MAX_COACH_FIELDS. */
  maxCoachFields?: number;
  /** Whether the store answers, for /readyz. */
  ready: () => Promise<boolean>;
  /** Sandbox's preloaded document and headers, in development. */
  sandbox?: { document?: string; headers?: Record<string, string> };
  /** More Apollo plugins (logging, metrics, ...). */
  plugins?: ApolloServerPlugin<Context>[];
  /** More routes on the Express app that serves everything but /graphql (metrics, demo page, ...). */
  routes?: (app: express.Express) => void;
  /** Called first for every /graphql request (e.g. the log line of requests refused before Apollo). */
  observe?: (req: IncomingMessage, res: GraphqlResponse) => void;
  /** Browser origins allowed to call /graphql (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** Requests per user, tenant and client address; none without one. */
  rateLimiter?: RateLimiter;
  /**
   * Count the DynamoDB calls of one operation in this many, for its log line (0: none; default
   * 1: every one), at most a tenth of the time (cost-sampler.ts). Counting needs
   * AsyncLocalStorage, whose promise hooks slow every promise of the process while a counted
   * operation runs (docs/performance.md).
   */
  dynamoCostEvery?: number;
  /** Serves more on the same HTTP server before it listens (subscriptions over WebSocket), with the same schema; its plugin drains it. */
  attach?: (httpServer: http.Server, schema: GraphQLSchema, limits: OperationLimits) => ApolloServerPlugin<Context>;
}

/** A /graphql response, with this request's DynamoDB stats (logs, metrics, the bench read them). */
export type GraphqlResponse = ServerResponse & { locals: { dynamoStats: RequestStats } };

export interface RunningServer {
  url: string;
  port: number;
  /** The one HTTP server: /graphql, the Express routes, and any `upgrade` listener added to it. */
  httpServer: http.Server;
  stop(): Promise<void>;
}

/**
 * Apollo Server 5 on /graphql, served on node:http through Apollo's HTTP handler
 * (graphql-handler.ts), and Express 5 for everything else: /healthz, /readyz and `routes`.
 */
export async function startHttpServer(opts: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const app = express();
  // Idle keep-alive connections live longer than a load balancer's (AWS ALB: 60 s), so the
  // balancer, not the server, closes them: else a request racing the close is reset (a 502).
  const httpServer = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 });
  const schema = buildSchema();
  // The checks an operation passes before it runs, whatever transport brings it.
  const limits: OperationLimits = {
    maxQueryDepth: opts.maxQueryDepth,
    maxCost: opts.maxQueryCost ?? DEFAULT_MAX_QUERY_COST,
    maxCoachFields: opts.maxCoachFields ?? DEFAULT_MAX_COACH_FIELDS,
    maxPageSize: DEFAULT_LIMITS.maxPageSize,
    defaultPageSize: DEFAULT_LIMITS.defaultPageSize,
    maxTokens: MAX_TOKENS,
    production: opts.production,
  };
  const attached = opts.attach?.(httpServer, schema, limits);
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !opts.production,
    // With introspection off, "Did you mean ...?" suggestions would still reveal the schema.
    hideSchemaDetailsFromClientErrors: opts.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: it drains this server, then stops the store.
    stopOnTerminationSignals: false,
    formatError: formatError(opts.log),
    validationRules: [depthLimit(limits.maxQueryDepth)],
    // A document of more tokens than any real operation is refused while parsing, before validation.
    parseOptions: { maxTokens: limits.maxTokens },
    // Said out loud although both are Apollo's defaults: a JSON array of operations is refused
    // (no batch floods), and CSRF prevention refuses GETs and simple POSTs without a preflight.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Cost needs the request's variables (page sizes): checked once the operation is known, before it runs.
      costLimit<Context>(limits),
      ...leanPlugins(),
      ...(opts.plugins ?? []),
      ...(attached ? [attached] : []),
      opts.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({
            embed: true,
            document: opts.sandbox?.document,
            headers: opts.sandbox?.headers,
          }),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await opts.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'store unreachable' });
  });
  opts.routes?.(app);

  const cors = corsHandler(opts.corsOrigins ?? []);
  const graphql = graphqlHandler<Context>({
    apollo,
    bodyLimitBytes: opts.bodyLimitBytes,
    log: opts.log,
    context: async (req, res) => {
      const viewer = await admit(req, opts.verifier, opts.rateLimiter);
      return {
        viewer,
        services: opts.services,
        loaders: createLoaders(opts.services, viewer),
        requestId: requestIdOf(req),
        dynamoStats: (res as GraphqlResponse).locals.dynamoStats,
      };
    },
  });
  const sampler = new CostSampler(opts.dynamoCostEvery ?? 1);
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!isGraphqlPath(req.url ?? '')) return void app(req, res);
    const gres = Object.assign(res, { locals: { dynamoStats: uncountedStats() } });
    opts.observe?.(req, gres);
    if (cors(req, res)) return;
    // The DynamoDB calls of a sampled operation are counted in its own stats, for its log line.
    const counted = sampler.next();
    if (!counted) return void graphql(req, res);
    const stats = (gres.locals.dynamoStats = emptyStats());
    void withRequestStats(() => graphql(req, res), stats).finally(counted);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const actual = (httpServer.address() as { port: number }).port;
  return {
    url: `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${actual}/graphql`,
    port: actual,
    httpServer,
    stop: () => apollo.stop(),
  };
}

/** `/graphql`, with or without a trailing slash and a query string. */
const isGraphqlPath = (url: string) => /^\/graphql\/?(\?|$)/.test(url);

/**
 * The caller (null without a token), once their request is within the rate limits: a bad
 * token is 401 UNAUTHENTICATED, a request over a limit 429 RATE_LIMITED with Retry-After.
 * Requests without a valid token count against their client address.
 */
async function admit(req: IncomingMessage, verifier: TokenVerifier, limiter: RateLimiter | undefined): Promise<Viewer | null> {
  let viewer: Viewer | null;
  try {
    const token = bearerToken(req.headers.authorization);
    viewer = token ? await verifier.verify(token) : null;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    limit(limiter?.takeAnonymous(req.socket.remoteAddress));
    // Refused before execution; 401 tells HTTP clients what GraphQL clients read from the code.
    throw httpError(e, 401);
  }
  limit(viewer ? limiter?.take(viewer) : limiter?.takeAnonymous(req.socket.remoteAddress));
  return viewer;
}

function limit(decision: RateDecision | undefined) {
  if (decision && !decision.ok) {
    throw httpError(rateLimited(decision.retryAfterSeconds), 429, new HeaderMap([['retry-after', String(decision.retryAfterSeconds)]]));
  }
}

/** A domain error refused before execution, with its HTTP status (formatError shows it as a domain error). */
const httpError = (e: DomainError, status: number, headers?: HeaderMap) =>
  new GraphQLError(e.message, { originalError: e, extensions: { code: e.code, http: { status, ...(headers ? { headers } : {}) } } });

/** Far above the largest operation this API's clients send (about 200 tokens) or the introspection query (about 300). */
export const MAX_TOKENS = 5000;

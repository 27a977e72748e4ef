import http, { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { TokenVerifier } from '../auth/verifier';
import type { OperationChecks } from './subscription-checks';
import { Viewer } from '../domain/viewer';
import { Context, createLoaders, Services } from '../graphql/context';
import { depthLimit } from '../graphql/depth-limit';
import { costLimit, CostLimits } from '../graphql/cost-limit';
import { DocumentGate } from '../graphql/document-gate';
import { ShapeLimits } from '../graphql/document-shape';
import { DEFAULT_MAX_COACH_FIELDS, DEFAULT_MAX_QUERY_COST, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SESSION_LIMITS, DEFAULT_SHAPE_LIMITS } from '../defaults';
import { formatError } from '../graphql/errors';
import { buildSchema } from '../schema';
import { Logger } from '../logger';
import { emptyStats, RequestStats, uncountedStats, withRequestStats } from '../store/request-stats';
import { CostSampler } from './cost-sampler';
import { corsHandler } from './cors';
import { graphqlHandler, leanPlugins } from './graphql-handler';
import { admitCaller, documentRefusal } from './admission';
import { RateLimiter } from './rate-limit';
import { requestIdOf } from './request-id';
import { reply } from './json-body';
import { hasLoopbackHostHeader } from '../demo/loopback';

export interface ServerOptions {
  services: Services;
  verifier: TokenVerifier;
  log: Logger;
  production: boolean;
  bodyLimitBytes: number;
  maxQueryDepth: number;
  maxQueryCost?: number;
  maxCoachFields?: number;
  /** Whether the store answers, for /readyz. */
  ready: () => Promise<boolean>;
  /** Sandbox's preloaded document and headers, in development. */
  sandbox?: { document?: string; headers?: Record<string, string> };
  plugins?: ApolloServerPlugin<Context>[];
  /** More routes on the Express app that serves everything but /graphql (metrics, demo page, ...). */
  routes?: (app: express.Express) => void;
  /** Called first for every /graphql request (e.g. the log line of requests refused before Apollo). */
  observe?: (req: IncomingMessage, res: GraphqlResponse) => void;
  corsOrigins?: readonly string[];
  rateLimiter?: RateLimiter;
  /** One operation in this many counts its DynamoDB calls for its log line (cost-sampler.ts). */
  dynamoCostEvery?: number;
  /** Serves more on the same HTTP server before it listens (subscriptions over WebSocket), with the same checks; its plugin drains it. */
  attach?: (httpServer: http.Server, checks: OperationChecks) => ApolloServerPlugin<Context>;
  shape?: ShapeLimits;
  requestTimeoutMs?: number;
  /** The client address of a request (TRUST_PROXY_HOPS); the socket's peer by default. */
  addressOf?: (req: IncomingMessage) => string;
  /** What the cost model prices content and topics by (MAX_MESSAGE_CHARS, the topics cap); its defaults when absent. */
  costBounds?: Pick<CostLimits, 'maxMessageChars' | 'maxTopics'>;
}

/** A /graphql response, with this request's DynamoDB stats (logs, metrics, the bench read them). */
export type GraphqlResponse = ServerResponse & { locals: { dynamoStats: RequestStats; viewer?: Viewer | null; code?: string } };

export interface RunningServer {
  url: string;
  port: number;
  /** The one HTTP server: /graphql, the Express routes, and any `upgrade` listener added to it. */
  httpServer: http.Server;
  stop(): Promise<void>;
}

/** Apollo on /graphql through graphql-handler.ts; Express for /healthz, /readyz and `routes`. */
export async function startHttpServer(opts: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const app = express();
  // Keep-alive outlives a balancer's (ALB: 60 s), so it closes first; slow senders get 408.
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const httpServer = http.createServer({
    keepAliveTimeout: 65_000,
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
  });
  const schema = buildSchema();
  // The checks an operation passes before it runs, whatever transport brings it.
  const limits: CostLimits = {
    maxCost: opts.maxQueryCost ?? DEFAULT_MAX_QUERY_COST,
    maxCoachFields: opts.maxCoachFields ?? DEFAULT_MAX_COACH_FIELDS,
    maxPageSize: DEFAULT_SESSION_LIMITS.maxPageSize,
    defaultPageSize: DEFAULT_SESSION_LIMITS.defaultPageSize,
    ...opts.costBounds,
  };
  const gate = new DocumentGate(schema, {
    maxTokens: MAX_TOKENS,
    maxQueryDepth: opts.maxQueryDepth,
    shape: opts.shape ?? DEFAULT_SHAPE_LIMITS,
    production: opts.production,
  });
  const format = formatError(opts.log, opts.production);
  const attached = opts.attach?.(httpServer, { schema, gate, limits, format });
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !opts.production,
    // Parsed and validated once, by the gate (admission.ts); Apollo reads the documents from it.
    documentStore: gate.documentStore,
    // Suggestions would reveal the schema; formatError strips the others in linear time.
    validationOptions: { hideSuggestions: opts.production, maxErrors: 10 },
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: it drains this server, then stops the store.
    stopOnTerminationSignals: false,
    formatError: format,
    validationRules: [depthLimit(opts.maxQueryDepth)],
    parseOptions: { maxTokens: MAX_TOKENS },
    // No batched operations. CSRF prevention on, and `authorization` counts as a preflight-forcing
    // header (browsers never send it on a simple request): urql's GET queries carry it, a
    // cross-site <img>/form GET cannot. Mutations never run over GET (Apollo answers 405).
    allowBatchedHttpRequests: false,
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] },
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
  const addressOf = opts.addressOf ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  const graphql = graphqlHandler<Context>({
    apollo,
    bodyLimitBytes: opts.bodyLimitBytes,
    log: opts.log,
    // The caller and the rate limits first, then the document: a refused request spends no parse.
    admit: async (req, res, body) => {
      const gres = res as GraphqlResponse;
      const admitted = await admitCaller(req, opts.verifier, opts.rateLimiter, () => addressOf(req));
      const refusal = 'viewer' in admitted ? documentRefusal(gate, req, body, admitted.viewer === null) : admitted;
      if ('viewer' in admitted) gres.locals.viewer = admitted.viewer;
      const code = refusal?.errors[0]?.extensions?.code;
      if (typeof code === 'string') gres.locals.code = code;
      return refusal;
    },
    context: async (req, res) => {
      const viewer = (res as GraphqlResponse).locals.viewer ?? null;
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
  const tokenInSandbox = !opts.production && Boolean(opts.sandbox?.headers);
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!isGraphqlPath(req.url ?? '')) return void app(req, res);
    // Sandbox carries the development token: only for a page naming this server by a loopback name.
    if (tokenInSandbox && req.method === 'GET' && !hasLoopbackHostHeader(req) && String(req.headers.accept).includes('text/html')) {
      return void reply(res, 403, 'Apollo Sandbox with the development token is served at localhost or 127.0.0.1 only', 'FORBIDDEN');
    }
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

/** Far above the largest operation this API's clients send (about 200 tokens) or the introspection query (about 300). */
export const MAX_TOKENS = 5000;

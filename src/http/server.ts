import http from 'node:http';
import { isUtf8 } from 'node:buffer';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { NextFunction, Request, Response } from 'express';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { bearerToken, TokenVerifier } from '../auth/verifier';
import { DomainError } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { Context, createLoaders, Services } from '../graphql/context';
import { depthLimit } from '../graphql/depth-limit';
import { costLimit } from '../graphql/cost-limit';
import { DEFAULT_MAX_COACH_FIELDS, DEFAULT_MAX_QUERY_COST } from '../config';
import { DEFAULT_LIMITS } from '../sessions/service-context';
import { formatError } from '../graphql/errors';
import { buildSchema } from '../graphql/schema';
import { Logger } from '../logger';
import { emptyStats, RequestStats, withRequestStats } from '../store/request-stats';
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
  /** More routes, mounted before /graphql (metrics, demo page, ...). */
  routes?: (app: express.Express) => void;
  /** Serves more on the same HTTP server before it listens (subscriptions over WebSocket), with the same schema; its plugin drains it. */
  attach?: (httpServer: http.Server, schema: GraphQLSchema) => ApolloServerPlugin<Context>;
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: http.Server;
  stop(): Promise<void>;
}

/** Express 5 + Apollo Server 5 on /graphql, with /healthz and /readyz. */
export async function startHttpServer(opts: ServerOptions, port: number, host?: string): Promise<RunningServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const schema = buildSchema();
  const attached = opts.attach?.(httpServer, schema);
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !opts.production,
    // With introspection off, "Did you mean ...?" suggestions would still reveal the schema.
    hideSchemaDetailsFromClientErrors: opts.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: it drains this server, then stops the store.
    stopOnTerminationSignals: false,
    formatError: formatError(opts.log),
    validationRules: [depthLimit(opts.maxQueryDepth)],
    // A document of more tokens than any real operation is refused while parsing, before validation.
    parseOptions: { maxTokens: MAX_TOKENS },
    // Said out loud although both are Apollo's defaults: a JSON array of operations is refused
    // (no batch floods), and CSRF prevention refuses GETs and simple POSTs without a preflight.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Cost needs the request's variables (page sizes): checked once the operation is known, before it runs.
      costLimit<Context>({
        maxCost: opts.maxQueryCost ?? DEFAULT_MAX_QUERY_COST,
        maxCoachFields: opts.maxCoachFields ?? DEFAULT_MAX_COACH_FIELDS,
        maxPageSize: DEFAULT_LIMITS.maxPageSize,
        defaultPageSize: DEFAULT_LIMITS.defaultPageSize,
      }),
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
  // express.json() must come before Apollo's middleware, which expects a parsed body.
  app.use(
    '/graphql',
    // Every DynamoDB call made for this request is counted in its own stats (logs, metrics, bench).
    (_req, res, next) => {
      const stats = emptyStats();
      res.locals.dynamoStats = stats;
      void withRequestStats(async () => next(), stats);
    },
    express.json({ limit: opts.bodyLimitBytes, verify: utf8Only }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const viewer = await authenticate(req.headers.authorization, opts.verifier);
        return {
          viewer,
          services: opts.services,
          loaders: createLoaders(opts.services, viewer),
          requestId: requestIdOf(req),
          dynamoStats: res.locals.dynamoStats as RequestStats,
        };
      },
    }),
  );
  app.use(jsonErrors(opts.log));

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

async function authenticate(header: string | undefined, verifier: TokenVerifier): Promise<Viewer | null> {
  try {
    const token = bearerToken(header);
    return token ? await verifier.verify(token) : null;
  } catch (e) {
    if (e instanceof DomainError) {
      // Refused before execution; 401 tells HTTP clients what GraphQL clients read from the code.
      throw new GraphQLError(e.message, { extensions: { code: e.code, http: { status: 401 } } });
    }
    throw e;
  }
}

/** Far above the largest operation this API's clients send (about 200 tokens) or the introspection query (about 300). */
export const MAX_TOKENS = 5000;

/** Bytes that are not UTF-8 would be decoded to U+FFFD and stored as such: refuse them instead. */
function utf8Only(_req: unknown, _res: unknown, buf: Buffer, encoding: string) {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw Object.assign(new Error('The request body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
}

const NOT_JSON = 'The request body is not valid JSON';

/** Body-parser failures (by their `type`) the client can fix: status and message. */
const BODY_ERRORS = new Map<string, [status: number, message: string]>([
  ['entity.too.large', [413, 'The request body is too large']],
  ['encoding.invalid', [400, 'The request body is not valid UTF-8']],
  ['entity.parse.failed', [400, NOT_JSON]],
  ['encoding.unsupported', [400, NOT_JSON]],
  ['charset.unsupported', [400, NOT_JSON]],
]);

/** Malformed or oversized bodies get a GraphQL-shaped JSON error, not an HTML page or a stack. */
function jsonErrors(log: Logger) {
  const reply = (res: Response, status: number, message: string, code: string) =>
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number; message?: string };
    const known = BODY_ERRORS.get(e.type ?? '');
    if (known) return reply(res, known[0], known[1], 'BAD_USER_INPUT');
    if (e.status && e.status >= 400 && e.status < 500) return reply(res, e.status, 'Bad request', 'BAD_REQUEST');
    log.error('unhandled HTTP error', { error: e.message });
    return reply(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, ApolloServerPlugin, BaseContext, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from '../logger';
import type { Refusal } from './admission';
import { bodyError, jsonBodyReader, reply } from './json-body';

/**
 * /graphql on node:http straight into Apollo, no Express router on the hot path
 * (docs/performance.md, Decisions); json-body.ts keeps Express's body rules.
 */
export interface GraphqlHandlerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  bodyLimitBytes: number;
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>;
  /** Runs once the body is read, before Apollo: a refusal is answered here and Apollo never sees the request. */
  admit?: (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<Refusal | undefined>;
  log?: Logger;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function graphqlHandler<TContext extends BaseContext>(opts: GraphqlHandlerOptions<TContext>): NodeHandler {
  opts.apollo.assertStarted('graphqlHandler()');
  const readBody = jsonBodyReader(opts.bodyLimitBytes);

  return async (req, res) => {
    let body: unknown;
    try {
      body = await readBody(req, res);
    } catch (e) {
      return bodyError(res, e, opts.log);
    }
    try {
      const refused = await opts.admit?.(req, res, body);
      if (refused) return sendRefusal(req, res, refused);
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const response = await opts.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: q < 0 ? '' : url.slice(q), body },
        context: () => opts.context(req, res),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (e) {
      opts.log?.error('unhandled HTTP error', { error: (e as Error).message });
      if (!res.headersSent) reply(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      else res.destroy();
    }
  };
}

/** Cache control off: it costs per field, and the API's per-user answers are never cached. */
export const leanPlugins = <TContext extends BaseContext>(): ApolloServerPlugin<TContext>[] => [ApolloServerPluginCacheControlDisabled()];

/**
 * In the GraphQL-over-HTTP media type when the client accepts it, as Apollo answers its own errors:
 * clients (Apollo Client's HttpLink) then read a 4xx body as GraphQL errors, not a network failure.
 */
function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const type = String(req.headers.accept ?? '').includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
  res.writeHead(refusal.status, { 'content-type': `${type}; charset=utf-8`, ...refusal.headers });
  res.end(JSON.stringify({ errors: refusal.errors }));
}

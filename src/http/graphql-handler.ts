import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { ApolloServer, ApolloServerPlugin, BaseContext, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import type { Logger } from '../logger';

/**
 * /graphql on node:http, straight into Apollo's HTTP handler (`executeHTTPGraphQLRequest`):
 * no Express router on the hot path. What Express gave is kept: the JSON body parser
 * (express.json, i.e. body-parser: size limit, gzip/deflate/br, charset, strict JSON),
 * refusal of bodies that are not UTF-8, and JSON errors for bodies a client must fix.
 * Responses are written as Apollo makes them (no ETag: POST responses are not cached).
 * Used by the server and, unchanged, by the bench's framework floor.
 */
export interface GraphqlHandlerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  bodyLimitBytes: number;
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>;
  log?: Logger;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function graphqlHandler<TContext extends BaseContext>(opts: GraphqlHandlerOptions<TContext>): NodeHandler {
  opts.apollo.assertStarted('graphqlHandler()');
  const parseBody = express.json({ limit: opts.bodyLimitBytes, verify: utf8Only });
  const readBody = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<unknown>((resolve, reject) => parseBody(req as express.Request, res as express.Response, (err?: unknown) => (err ? reject(err) : resolve((req as { body?: unknown }).body))));

  return async (req, res) => {
    let body: unknown;
    try {
      body = await readBody(req, res);
    } catch (e) {
      return bodyError(res, e, opts.log);
    }
    try {
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

/**
 * Apollo plugins that would cost per field and that no client of this API uses: cache
 * control (cache hints through every resolver; the API's answers are per user, never
 * cached) is off. Every server built on this handler takes these.
 */
export const leanPlugins = <TContext extends BaseContext>(): ApolloServerPlugin<TContext>[] => [ApolloServerPluginCacheControlDisabled()];

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
function bodyError(res: ServerResponse, err: unknown, log?: Logger) {
  const e = err as { type?: string; status?: number; message?: string };
  const known = BODY_ERRORS.get(e.type ?? '');
  if (known) return reply(res, known[0], known[1], 'BAD_USER_INPUT');
  if (e.status && e.status >= 400 && e.status < 500) return reply(res, e.status, 'Bad request', 'BAD_REQUEST');
  log?.error('unhandled HTTP error', { error: e.message });
  return reply(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
}

/** A GraphQL-shaped JSON error response. */
export function reply(res: ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

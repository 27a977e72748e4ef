import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import express from 'express';
import type { Logger } from '../logger';

/**
 * A plain JSON POST is read here directly; anything else (gzip, chunked, other charsets) goes
 * through express.json. Both follow body-parser's rules. The body is also left on `req.body`.
 */
export function jsonBodyReader(limit: number): (req: IncomingMessage, res: ServerResponse) => Promise<unknown> {
  const bodyParser = express.json({ limit, verify: utf8Only });
  const viaBodyParser = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<unknown>((resolve, reject) =>
      bodyParser(req as express.Request, res as express.Response, (err?: unknown) => (err ? reject(err) : resolve((req as { body?: unknown }).body))),
    );
  return (req, res) => (isPlainJson(req, limit) ? readPlainJson(req) : viaBodyParser(req, res));
}

function isPlainJson(req: IncomingMessage, limit: number): boolean {
  const { 'content-type': type, 'content-length': length } = req.headers;
  return (
    req.method === 'POST' &&
    (type === 'application/json' || type === 'application/json; charset=utf-8') &&
    length !== undefined &&
    /^\d{1,9}$/.test(length) &&
    Number(length) <= limit &&
    req.headers['content-encoding'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  );
}

function readPlainJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    // A client that goes away mid-body: nothing to answer, but nothing may wait forever either.
    req.on('close', () => req.complete || reject(Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' })));
    req.on('end', () => {
      try {
        const body = parseJson(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        (req as { body?: unknown }).body = body;
        resolve(body);
      } catch (e) {
        reject(e);
      }
    });
  });
}

function parseJson(buf: Buffer): unknown {
  if (!isUtf8(buf)) throw invalidUtf8();
  const text = buf.toString('utf8', buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0);
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error(NOT_JSON), { status: 400, type: 'entity.parse.failed' });
  }
}

const invalidUtf8 = () => Object.assign(new Error('The request body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });

/** Bytes that are not UTF-8 would be decoded to U+FFFD and stored as such: refuse them instead. */
function utf8Only(_req: unknown, _res: unknown, buf: Buffer, encoding: string) {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw invalidUtf8();
}

const NOT_JSON = 'The request body is not valid JSON';

/** Body failures (by body-parser's `type`) the client can fix: status and message. */
const BODY_ERRORS = new Map<string, [status: number, message: string]>([
  ['entity.too.large', [413, 'The request body is too large']],
  ['encoding.invalid', [400, 'The request body is not valid UTF-8']],
  ['entity.parse.failed', [400, NOT_JSON]],
  ['encoding.unsupported', [400, NOT_JSON]],
  ['charset.unsupported', [400, NOT_JSON]],
]);

/** Malformed or oversized bodies get a GraphQL-shaped JSON error, not an HTML page or a stack. */
export function bodyError(res: ServerResponse, err: unknown, log?: Logger) {
  const e = err as { type?: string; status?: number; message?: string };
  const known = BODY_ERRORS.get(e.type ?? '');
  if (known) return reply(res, known[0], known[1], 'BAD_USER_INPUT');
  if (e.status && e.status >= 400 && e.status < 500) return reply(res, e.status, 'Bad request', 'BAD_REQUEST');
  log?.error('unhandled HTTP error', { error: e.message });
  return reply(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
}

/** A GraphQL-shaped JSON error response. */
export function reply(res: ServerResponse, status: number, message: string, code: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

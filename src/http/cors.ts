import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseOriginRule } from '../config-values';

/** CORS for /graphql from the CORS_ORIGINS allow-list; no credentials (docs/security.md). */
const ALLOW_HEADERS = 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id';
const EXPOSE_HEADERS = 'retry-after, x-request-id';
const MAX_AGE_SECONDS = '600';


/** Adds the CORS headers for an allowed origin; answers a preflight itself (true: handled). */
export function corsHandler(entries: readonly string[]): (req: IncomingMessage, res: ServerResponse) => boolean {
  const rules = entries.map((e) => parseOriginRule(e)).filter((r) => r !== null);
  if (!rules.length) return () => false;
  const exact = new Set(rules.filter((r) => !r.anyPort).map((r) => r.origin));
  const anyPort = rules.filter((r) => r.anyPort).map((r) => r.origin);
  const allowed = (origin: string) => {
    if (exact.has(origin)) return true;
    const colon = origin.lastIndexOf(':');
    // `http://localhost:5173` -> `http://localhost`; an origin without a port is allowed by `:*` too.
    const host = colon > origin.indexOf('//') && /^:\d{1,5}$/.test(origin.slice(colon)) ? origin.slice(0, colon) : origin;
    return anyPort.includes(host);
  };
  return (req, res) => {
    const origin = req.headers.origin;
    // The answer depends on the Origin: caches must keep one per origin.
    res.setHeader('vary', 'Origin');
    const ok = typeof origin === 'string' && allowed(origin);
    const preflight = req.method === 'OPTIONS' && typeof origin === 'string' && req.headers['access-control-request-method'] !== undefined;
    if (ok) res.setHeader('access-control-allow-origin', origin);
    if (!preflight) {
      if (ok) res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      return false;
    }
    if (ok) {
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
      res.setHeader('access-control-max-age', MAX_AGE_SECONDS);
    }
    res.statusCode = 204;
    res.setHeader('content-length', '0');
    res.end();
    return true;
  };
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The request's id for logs and the `x-request-id` response header: the client's own when
 * it is a short token (letters, digits, `_`, `.`, `-`; at most 64), a new UUID otherwise.
 */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The client's own id when it is a short token, else a new UUID. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

import type { IncomingMessage } from 'node:http';

/**
 * The client's address for per-address bounds. With no trusted proxy (TRUST_PROXY_HOPS=0,
 * the default) it is the socket's peer: X-Forwarded-For is anyone's to write. Behind
 * `hops` proxies of one's own (a load balancer: 1), each appended the address it saw, so
 * the client is that many entries from the right of [...X-Forwarded-For, peer]; a shorter
 * list gives its leftmost entry.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, hops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (hops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  // Our proxies write well-formed addresses; an entry longer than any address is not one.
  const chain = [...forwarded.map((a) => (a.length <= 64 ? a : 'invalid')), peer];
  return chain[Math.max(0, chain.length - 1 - hops)];
}

import type { IncomingMessage } from 'node:http';

/**
 * With no trusted proxy, the socket's peer (X-Forwarded-For is anyone's to write); behind `hops`
 * proxies, that many entries from the right of [...X-Forwarded-For, peer].
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

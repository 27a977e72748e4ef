import type { IncomingMessage } from 'node:http';

/** The socket's peer is loopback; X-Forwarded-For is never consulted (anyone can send it). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** A HOST only this machine can reach (unset, 0.0.0.0, :: or a LAN address are not). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || isLoopback(h);
}

/** Host is a loopback name with the accepting port, so a DNS-rebound page (its own name) is refused. */
export function hasLoopbackHostHeader(req: IncomingMessage): boolean {
  const header = req.headers.host;
  if (typeof header !== 'string') return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header);
  if (!m) return false;
  const name = m[1].toLowerCase();
  const port = m[2] === undefined ? 80 : Number(m[2]);
  return (name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) && port === req.socket.localPort;
}

import type { IncomingMessage } from 'node:http';

/**
 * A caller on this machine: the socket's peer is a loopback address (127.0.0.0/8, ::1, or
 * 127.x mapped into IPv6). Headers such as X-Forwarded-For are never consulted: anyone can send them.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * A listen address (HOST) that only this machine can reach: `localhost`, 127.x or ::1. Unset
 * (every interface), 0.0.0.0, :: or a LAN address are not.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || isLoopback(h);
}

/**
 * The request names this server by a loopback name: its Host header is `localhost`, 127.x or
 * [::1], with the port the socket was accepted on (no port: 80). A page on another name that
 * DNS rebinding pointed at 127.0.0.1 sends its own name, so it is refused although its peer
 * is loopback.
 */
export function hasLoopbackHostHeader(req: IncomingMessage): boolean {
  const header = req.headers.host;
  if (typeof header !== 'string') return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header);
  if (!m) return false;
  const name = m[1].toLowerCase();
  const port = m[2] === undefined ? 80 : Number(m[2]);
  return (name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) && port === req.socket.localPort;
}

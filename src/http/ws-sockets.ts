import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { handleProtocols, Server } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { SubscriptionConfig } from '../config';
import type { Logger } from '../logger';
import type { Viewer } from '../domain/viewer';
import { TokenBuckets } from './token-buckets';

/** One open socket's state, handed to graphql-ws's hooks as `ctx.extra`. */
export interface Connection {
  socket: WebSocket;
  /** The client address (behind TRUST_PROXY_HOPS proxies): its sockets are bounded. */
  address: string;
  viewer: Viewer | null;
  /** Closes the socket when its token stops being accepted. */
  expiry?: NodeJS.Timeout;
  /** Closes the socket after the idle timeout without an active subscription. */
  idle?: NodeJS.Timeout;
  /** Subscriptions that count towards the user's bound, by graphql-ws id. */
  active: Map<string, unknown>;
}

/** Counts by key, for per-user and per-address bounds (a key at zero is forgotten). */
export class Counts {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, by: number): void {
    const n = this.get(key) + by;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }
}

export interface SocketOptions {
  config: SubscriptionConfig;
  log: Logger;
  /** The largest WebSocket message accepted (BODY_LIMIT_BYTES); a larger one closes the socket (1009). */
  maxPayloadBytes: number;
  addressOf: (req: http.IncomingMessage) => string;
  /** Every socket's state change: the gauges, and what the hooks keep per socket. */
  onOpen?: (conn: Connection) => void;
  onClose?: (conn: Connection) => void;
}

/** Which upgrades are served, and each socket's frames spent from its own bucket before graphql-ws parses them. */
export function serveSockets(httpServer: http.Server, server: Server<Connection>, opts: SocketOptions) {
  const { config } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes, handleProtocols: (p) => handleProtocols(p) });
  const perAddress = new Counts();
  const frames = new TokenBuckets(config.frames, config.maxSockets);
  let seq = 0;
  let closing = false;

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req.url) !== '/graphql') return refuseUpgrade(socket, 404, 'WebSocket connections are served at /graphql only');
    if (closing) return refuseUpgrade(socket, 503, 'The server is shutting down; connect again', 1);
    if (wss.clients.size >= config.maxSockets) return refuseUpgrade(socket, 503, 'Too many open connections; retry shortly', 5);
    const address = opts.addressOf(req);
    if (perAddress.get(address) >= config.socketsPerAddress) {
      return refuseUpgrade(socket, 429, `Too many open connections from your address (at most ${config.socketsPerAddress}); retry shortly`, 5);
    }
    // Counted once the socket opens: a handshake ws refuses (400) never does, and holds no slot.
    wss.handleUpgrade(req, socket, head, (ws) => opened(ws, address));
  };
  httpServer.on('upgrade', onUpgrade);

  const opened = (ws: WebSocket, address: string) => {
    perAddress.add(address, 1);
    const conn: Connection = { socket: ws, address, viewer: null, active: new Map() };
    const key = String(++seq);
    const pings = keepAlive(ws, config.keepAliveMs);
    const closed = server.opened(
      {
        protocol: ws.protocol,
        send: (data) => new Promise<void>((resolve, reject) => (ws.readyState === WebSocket.OPEN ? ws.send(data, (e) => (e ? reject(e) : resolve())) : resolve())),
        close: (code, reason) => ws.close(code, reason),
        onMessage: (cb) =>
          ws.on('message', (data) => {
            if (ws.readyState !== WebSocket.OPEN) return;
            if (frames.wait(key) > 0) return ws.close(4429, 'Too many messages: slow down');
            frames.take(key);
            cb(String(data)).catch((e: unknown) => {
              opts.log.error('WebSocket message failed unexpectedly', { error: String(e) });
              ws.close(1011, 'Internal server error');
            });
          }),
      },
      conn,
    );
    ws.once('close', (code, reason) => {
      clearInterval(pings);
      perAddress.add(address, -1);
      opts.onClose?.(conn);
      void closed(code, String(reason));
    });
    opts.onOpen?.(conn);
  };

  return {
    wss,
    /** Refuses new sockets and closes the open ones (1001); streams being written still store their replies. */
    async close() {
      if (closing) return;
      closing = true;
      httpServer.off('upgrade', onUpgrade);
      const open = [...wss.clients];
      // Clients reconnect (to another replica) and re-subscribe with their clientMessageId.
      const done = Promise.all(open.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())))));
      for (const ws of open) ws.close(1001, 'Server shutting down; connect again');
      const timer = setTimeout(() => open.forEach((ws) => ws.terminate()), 2000);
      await done;
      clearTimeout(timer);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Pings every `ms`; a socket that has not answered the previous ping by then is dropped. */
function keepAlive(ws: WebSocket, ms: number): NodeJS.Timeout | undefined {
  if (ms <= 0) return undefined;
  let answered = true;
  ws.on('pong', () => (answered = true));
  return setInterval(() => {
    if (!answered) return ws.terminate();
    answered = false;
    ws.ping();
  }, ms);
}

/** The path of a request target (no query string); null when it is not a usable URL. */
function pathOf(target: string | undefined): string | null {
  try {
    return new URL(target ?? '', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

const STATUS_TEXT: Record<number, [string, string]> = {
  404: ['Not Found', 'NOT_FOUND'],
  429: ['Too Many Requests', 'RATE_LIMITED'],
  503: ['Service Unavailable', 'SERVICE_UNAVAILABLE'],
};

/** An upgrade refused before any WebSocket exists: a plain HTTP answer with a GraphQL-shaped body. */
function refuseUpgrade(socket: Duplex, status: 404 | 429 | 503, message: string, retryAfterSeconds?: number): void {
  const [text, code] = STATUS_TEXT[status];
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...(status === 429 ? { retryAfterSeconds } : {}) } }] });
  const headers = [
    `HTTP/1.1 ${status} ${text}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(retryAfterSeconds ? [`Retry-After: ${retryAfterSeconds}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

import WebSocket from 'ws';

/**
 * The stream bench's load generator, in a process of its own (forked by bench/streams/streams.ts)
 * so that its CPU does not count as the server's nor delay the orchestrator's timers. It speaks
 * graphql-ws's protocol (graphql-transport-ws) by hand on `ws` sockets: a client library's
 * per-socket cost would cap the sockets one process can hold. Each socket binds the loopback
 * address it is given (127.0.0.0/8), so the server's per-address bounds stay on.
 */
export type LoadRequest =
  | { id: number; type: 'connect'; url: string; tokens: string[]; addresses: string[]; from: number }
  | { id: number; type: 'streams'; sessions: string[]; perSocket: number; content: string; runId: string; rampMs: number }
  | { id: number; type: 'close' };

/** One run of streams: what the clients saw. */
export interface StreamRun {
  streams: number;
  /** Milliseconds from sending `subscribe` to the first delta, one per stream. */
  firstDeltaMs: number[];
  /** Milliseconds from `subscribe` to `complete`. */
  totalMs: number[];
  deltas: number;
  errors: number;
  firstError?: string;
  /** Streams whose deltas did not spell their reply, or that lacked a message or reply event. */
  broken: number;
  /** Reply ids seen more than once. */
  duplicateReplies: number;
  cpuMicros: number;
}

export type LoadReply =
  | { id: number; type: 'connected'; open: number; failed: number; firstError?: string; ms: number; cpuMicros: number }
  | { id: number; type: 'streamed'; run: StreamRun }
  | { id: number; type: 'closed' };

const DOC = `subscription S($sessionId: ID!, $content: String!, $clientMessageId: ID!) {
  sendMessageStream(sessionId: $sessionId, content: $content, clientMessageId: $clientMessageId) {
    message { id role content createdAt }
    delta
    reply { id role content createdAt }
    session { id status messageCount turnCount updatedAt }
  }
}`;

interface Sock {
  ws: WebSocket;
  /** The subscription running on it, fed its frames. */
  onFrame?: (frame: { id?: string; type: string; payload?: unknown }) => void;
}

const sockets: Sock[] = [];
const send = (m: LoadReply) => process.send!(m);

/** Opens and acknowledges one socket; rejects with the close code when refused. */
function open(url: string, token: string, localAddress: string): Promise<Sock> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { localAddress, perMessageDeflate: false });
    const sock: Sock = { ws };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { id?: string; type: string; payload?: unknown };
      if (frame.type === 'connection_ack') return resolve(sock);
      if (frame.type === 'ping') return ws.send('{"type":"pong"}');
      sock.onFrame?.(frame);
    });
    ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${String(reason)}`)));
    ws.on('error', reject);
  });
}

async function connect(m: Extract<LoadRequest, { type: 'connect' }>): Promise<LoadReply> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const base = sockets.length;
  // At most 200 handshakes in flight: the server's accept queue is the limit, not this loop.
  await Promise.all(
    Array.from({ length: Math.min(200, m.tokens.length) }, async () => {
      while (next < m.tokens.length) {
        const i = next++;
        try {
          sockets[base + i] = await open(m.url, m.tokens[i], m.addresses[(m.from + i) % m.addresses.length]);
        } catch (e) {
          failed++;
          firstError ??= String(e);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { id: m.id, type: 'connected', open: m.tokens.length - failed, failed, firstError, ms: performance.now() - started, cpuMicros: cpu.user + cpu.system };
}

type Event = { message: { id: string } | null; delta: string | null; reply: { id: string; content: string } | null };

/** One stream on `sock`: resolves when it completes or fails; never rejects. */
function stream(sock: Sock, id: string, variables: Record<string, unknown>, run: StreamRun, replies: Set<string>): Promise<void> {
  return new Promise((resolve) => {
    const sent = performance.now();
    let first = -1;
    let text = '';
    let message = 0;
    let reply: Event['reply'] = null;
    sock.onFrame = (frame) => {
      if (frame.id !== id) return;
      if (frame.type === 'next') {
        const ev = (frame.payload as { data?: { sendMessageStream: Event }; errors?: unknown[] }).data?.sendMessageStream;
        if (!ev) return fail(JSON.stringify(frame.payload));
        if (ev.message) message++;
        if (ev.delta !== null) {
          if (first < 0) first = performance.now() - sent;
          text += ev.delta;
          run.deltas++;
        }
        if (ev.reply) reply = ev.reply;
        return;
      }
      if (frame.type === 'error') return fail(JSON.stringify(frame.payload));
      if (frame.type === 'complete') {
        run.streams++;
        run.firstDeltaMs.push(first);
        run.totalMs.push(performance.now() - sent);
        if (message !== 1 || !reply || first < 0 || reply.content !== text) run.broken++;
        if (reply && replies.has(reply.id)) run.duplicateReplies++;
        if (reply) replies.add(reply.id);
        sock.onFrame = undefined;
        resolve();
      }
    };
    const fail = (why: string) => {
      run.errors++;
      run.firstError ??= why.slice(0, 300);
      sock.onFrame = undefined;
      resolve();
    };
    sock.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: DOC, variables } }));
  });
}

async function streams(m: Extract<LoadRequest, { type: 'streams' }>): Promise<LoadReply> {
  const run: StreamRun = { streams: 0, firstDeltaMs: [], totalMs: [], deltas: 0, errors: 0, broken: 0, duplicateReplies: 0, cpuMicros: 0 };
  const replies = new Set<string>();
  const cpu0 = process.cpuUsage();
  // Closed loop: each socket runs its streams one after the other, on its own session.
  await Promise.all(
    m.sessions.map(async (sessionId, i) => {
      // Arrivals spread over rampMs, as users' sends are: not one burst of connections to the store.
      if (m.rampMs > 0) await new Promise((r) => setTimeout(r, (i * m.rampMs) / m.sessions.length));
      for (let k = 0; k < m.perSocket; k++) {
        const clientMessageId = `${m.runId}-${i}-${k}`;
        await stream(sockets[i], clientMessageId, { sessionId, content: m.content, clientMessageId }, run, replies);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  run.cpuMicros = cpu.user + cpu.system;
  return { id: m.id, type: 'streamed', run };
}

async function close(m: Extract<LoadRequest, { type: 'close' }>): Promise<LoadReply> {
  await Promise.all(
    sockets.splice(0).filter(Boolean).map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === WebSocket.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
          s.ws.close(1000);
        }),
    ),
  );
  return { id: m.id, type: 'closed' };
}

process.on('message', async (m: LoadRequest) => {
  if (m.type === 'connect') send(await connect(m));
  else if (m.type === 'streams') send(await streams(m));
  else send(await close(m));
});
process.on('disconnect', () => process.exit(0));

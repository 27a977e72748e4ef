import net from 'node:net';
import WebSocket from 'ws';
import { post, startTestServer, TestServer, tokenFor } from '../support/server';
import { forgeSignature } from '../support/forge';
import { rawSocket } from '../support/ws-client';

// Issue #19's High finding and its WebSocket bounds: what a caller spends is metered before
// the server spends it. Raw `ws` sockets speaking graphql-ws by hand, against DynamoDB Local.

const servers: TestServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer({ env });
  servers.push(s);
  return s;
}

/** Rate limits small enough to reach, with a refill too slow to matter during a test. */
const LIMITS = { RATE_LIMIT_USER_BURST: '5', RATE_LIMIT_USER_PER_SECOND: '0.01', RATE_LIMIT_ANONYMOUS_BURST: '5', RATE_LIMIT_ANONYMOUS_PER_SECOND: '0.01' };

const wsUrl = (s: TestServer) => s.url.replace(/^http/, 'ws');

function open(s: TestServer, headers: Record<string, string> = {}) {
  const opened = rawSocket(wsUrl(s), { headers });
  sockets.push(opened.socket);
  return opened;
}

const closeOf = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

/** A socket after connection_init with `authorization`: acknowledged, or how it closed. */
async function init(s: TestServer, authorization: string): Promise<{ ws: WebSocket; acked: boolean; closed?: { code: number; reason: string } }> {
  const opened = await open(s);
  if (!('ws' in opened)) throw new Error(`upgrade refused: ${opened.status}`);
  const { ws } = opened;
  const outcome = new Promise<{ acked: boolean; closed?: { code: number; reason: string } }>((resolve) => {
    ws.once('message', (m) => JSON.parse(String(m)).type === 'connection_ack' && resolve({ acked: true }));
    void closeOf(ws).then((closed) => resolve({ acked: false, closed }));
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
  return { ws, ...(await outcome) };
}

/** Sends `n` subscribes of `query` and collects each one's first error code, in order. */
async function subscribeMany(ws: WebSocket, n: number, query: string): Promise<string[]> {
  const codes = new Map<string, string>();
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m));
    if (msg.type === 'error') codes.set(msg.id, msg.payload?.[0]?.extensions?.code);
  });
  for (let i = 0; i < n; i++) ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query } }));
  const deadline = Date.now() + 10_000;
  while (codes.size < n && Date.now() < deadline && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 20));
  return Array.from({ length: n }, (_, i) => codes.get(String(i)) ?? 'none');
}

test('refused subscribes spend the user\'s bucket before their document is parsed: a flood of invalid documents becomes RATE_LIMITED', async () => {
  const s = await serve({ ...LIMITS, RATE_LIMIT_USER_BURST: '4' });
  const { ws, acked } = await init(s, `Bearer ${await tokenFor('meter', 'alice')}`); // 1 of 4
  expect(acked).toBe(true);
  const codes = await subscribeMany(ws, 8, 'subscription { nope'); // a parse error each
  expect(codes.slice(0, 3)).toEqual(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_PARSE_FAILED']);
  expect(codes.slice(3)).toEqual(Array(5).fill('RATE_LIMITED'));
});

test('connection_init with a forged token spends the address\'s bucket: past it the socket closes with 4429', async () => {
  const s = await serve(LIMITS);
  const forged = `Bearer ${forgeSignature(await tokenFor('meter', 'mallory'))}`;
  const closes: number[] = [];
  for (let i = 0; i < 7; i++) closes.push((await init(s, forged)).closed?.code ?? 0);
  expect(closes.slice(0, 5)).toEqual(Array(5).fill(4403));
  expect(closes.slice(5)).toEqual([4429, 4429]);
  // The same address's HTTP requests without a valid token share that bucket.
  expect((await post(s.url, JSON.stringify({ query: '{ __typename }' }))).status).toBe(429);
});

test('sockets per user: one more authenticated socket than SUBSCRIPTION_SOCKETS_PER_USER is closed with 4429; a slot frees when one closes', async () => {
  const s = await serve({ SUBSCRIPTION_SOCKETS_PER_USER: '2' });
  const token = `Bearer ${await tokenFor('meter', 'alice')}`;
  const a = await init(s, token);
  const b = await init(s, token);
  expect([a.acked, b.acked]).toEqual([true, true]);
  const c = await init(s, token);
  expect(c.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/at most 2/) });
  expect((await init(s, `Bearer ${await tokenFor('meter', 'bob')}`)).acked).toBe(true); // another user is not affected
  const closed = closeOf(a.ws);
  a.ws.close();
  await closed;
  await new Promise((r) => setTimeout(r, 50));
  expect((await init(s, token)).acked).toBe(true);
});

test('sockets per address: one more upgrade than SUBSCRIPTION_SOCKETS_PER_ADDRESS is refused with HTTP 429 and Retry-After', async () => {
  const s = await serve({ SUBSCRIPTION_SOCKETS_PER_ADDRESS: '2' });
  expect('ws' in (await open(s))).toBe(true);
  expect('ws' in (await open(s))).toBe(true);
  const third = await open(s);
  expect(third).toMatchObject({ status: 429, retryAfter: '5' });
  expect(JSON.parse((third as { body: string }).body).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 5 });
});

test('TRUST_PROXY_HOPS=1: the per-address bounds count the client behind the proxy (X-Forwarded-For), not the proxy', async () => {
  const s = await serve({ SUBSCRIPTION_SOCKETS_PER_ADDRESS: '1', TRUST_PROXY_HOPS: '1' });
  expect('ws' in (await open(s, { 'x-forwarded-for': '203.0.113.7' }))).toBe(true);
  expect('ws' in (await open(s, { 'x-forwarded-for': '203.0.113.8' }))).toBe(true);
  expect(await open(s, { 'x-forwarded-for': '203.0.113.7' })).toMatchObject({ status: 429 });
  // Without trusted proxies the header is anyone's to write: ignored.
  const direct = await serve({ SUBSCRIPTION_SOCKETS_PER_ADDRESS: '1' });
  expect('ws' in (await open(direct, { 'x-forwarded-for': '203.0.113.7' }))).toBe(true);
  expect(await open(direct, { 'x-forwarded-for': '203.0.113.8' })).toMatchObject({ status: 429 });
});

test('TRUST_PROXY_HOPS=1: HTTP requests without a valid token spend the bucket of the address behind the proxy', async () => {
  const s = await serve({ ...LIMITS, RATE_LIMIT_ANONYMOUS_BURST: '2', TRUST_PROXY_HOPS: '1' });
  const from = (address: string) => post(s.url, JSON.stringify({ query: '{ __typename }' }), { 'x-forwarded-for': address });
  expect([(await from('198.51.100.1')).status, (await from('198.51.100.1')).status, (await from('198.51.100.1')).status]).toEqual([200, 200, 429]);
  expect((await from('198.51.100.2')).status).toBe(200);
});

test('frames per socket: a flood of pings past SUBSCRIPTION_FRAMES_BURST closes the socket with 4429', async () => {
  const s = await serve({ SUBSCRIPTION_FRAMES_BURST: '10', SUBSCRIPTION_FRAMES_PER_SECOND: '1' });
  const { ws, acked } = await init(s, `Bearer ${await tokenFor('meter', 'alice')}`);
  expect(acked).toBe(true);
  const closed = closeOf(ws);
  for (let i = 0; i < 50; i++) ws.send(JSON.stringify({ type: 'ping' }));
  expect(await closed).toMatchObject({ code: 4429 });
});

test('refused subscribes with invented operation names take no metrics label', async () => {
  const s = await serve({});
  const { ws } = await init(s, `Bearer ${await tokenFor('meter', 'alice')}`);
  const codes = new Set<string>();
  ws.on('message', (m) => codes.add(JSON.parse(String(m)).payload?.[0]?.extensions?.code));
  for (let i = 0; i < 30; i++) {
    ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: `subscription Invented${i} { nope }`, operationName: `Invented${i}` } }));
  }
  const deadline = Date.now() + 5000;
  while (!codes.has('GRAPHQL_VALIDATION_FAILED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  const metrics = (await s.app.metrics.render()).body;
  expect(metrics).toMatch(/code="GRAPHQL_VALIDATION_FAILED"/);
  expect(metrics).not.toMatch(/Invented/);
});

test('a body that arrives too slowly is cut off with 408 after REQUEST_TIMEOUT_MS', async () => {
  const s = await serve({ REQUEST_TIMEOUT_MS: '500' });
  const { port } = new URL(s.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  const drip = setInterval(() => socket.writable && socket.write(' '), 100);
  await closed;
  clearInterval(drip);
  expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
});

test('a handshake the server refuses (no Sec-WebSocket-Key) holds no slot of its address', async () => {
  const s = await serve({ SUBSCRIPTION_SOCKETS_PER_ADDRESS: '1' });
  const { port } = new URL(s.url);
  for (let i = 0; i < 3; i++) {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.write('GET /graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('close', () => resolve(data.split('\r\n')[0]));
      socket.on('error', () => resolve(data.split('\r\n')[0]));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  }
  expect('ws' in (await open(s))).toBe(true);
});

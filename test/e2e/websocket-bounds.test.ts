import WebSocket from 'ws';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { rawSocket } from '../support/ws-client';

// The WebSocket side of /graphql at the socket level (raw `ws`, speaking graphql-ws by hand):
// where upgrades are served, the per-process socket bound, the connection_init wait, the idle
// timeout and the keep-alive.

let server: TestServer;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  server = await startTestServer({
    env: {
      SUBSCRIPTION_MAX_SOCKETS: '2',
      SUBSCRIPTION_INIT_TIMEOUT_MS: '300',
      SUBSCRIPTION_IDLE_TIMEOUT_MS: '400',
      SUBSCRIPTION_KEEPALIVE_MS: '200',
    },
  });
});
afterEach(async () => {
  const open = sockets.splice(0).filter((ws) => ws.readyState !== WebSocket.CLOSED);
  const closed = Promise.all(open.map(closeOf));
  for (const ws of open) ws.terminate();
  await closed;
  await new Promise((r) => setTimeout(r, 50)); // the server sees them go (SUBSCRIPTION_MAX_SOCKETS)
});
afterAll(async () => {
  await server?.stop();
});

const wsUrl = (path = '/graphql', on = server) => on.url.replace(/^http/, 'ws').replace(/\/graphql$/, path);

/** A raw socket with graphql-ws's subprotocol; resolves when it opens, or with the HTTP refusal. */
function open(path?: string, options: WebSocket.ClientOptions = {}, on = server) {
  const opened = rawSocket(wsUrl(path, on), options);
  sockets.push(opened.socket);
  return opened;
}

const closeOf = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

async function acknowledged(options: WebSocket.ClientOptions = {}, on = server): Promise<WebSocket> {
  const opened = await open('/graphql', options, on);
  if (!('ws' in opened)) throw new Error(`refused: ${opened.status}`);
  const { ws } = opened;
  const ack = new Promise<void>((resolve) => ws.once('message', (m) => JSON.parse(String(m)).type === 'connection_ack' && resolve()));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('acme', 'alice')}` } }));
  await ack;
  return ws;
}

test('upgrades are served at /graphql only: another path is a 404 with a GraphQL-shaped body', async () => {
  const refused = await open('/elsewhere');
  expect(refused).toMatchObject({ status: 404 });
  expect(JSON.parse((refused as { body: string }).body).errors[0].extensions.code).toBe('NOT_FOUND');
});

test('SUBSCRIPTION_MAX_SOCKETS: one socket more is refused with HTTP 503 and Retry-After; a slot frees when one closes', async () => {
  const a = await open();
  const b = await open();
  expect('ws' in a && 'ws' in b).toBe(true);
  const third = await open();
  expect(third).toMatchObject({ status: 503, retryAfter: '5' });
  expect(JSON.parse((third as { body: string }).body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  const closed = closeOf((a as { ws: WebSocket }).ws);
  (a as { ws: WebSocket }).ws.close();
  await closed;
  await new Promise((r) => setTimeout(r, 50)); // the server sees the close
  expect('ws' in (await open())).toBe(true);
});

test('no connection_init within SUBSCRIPTION_INIT_TIMEOUT_MS: closed with 4408', async () => {
  const opened = await open();
  const { ws } = opened as { ws: WebSocket };
  expect(await closeOf(ws)).toMatchObject({ code: 4408 });
});

test('an acknowledged socket without a subscription is closed after SUBSCRIPTION_IDLE_TIMEOUT_MS (1000, Idle)', async () => {
  const ws = await acknowledged();
  const closed = await closeOf(ws);
  expect(closed.code).toBe(1000);
  expect(closed.reason).toMatch(/^Idle/);
});

test('keep-alive: the server pings every SUBSCRIPTION_KEEPALIVE_MS; a socket that never answers is dropped', async () => {
  // A process of its own, so that the idle timeout does not close the sockets first.
  const pinging = await startTestServer({ table: server.table, env: { SUBSCRIPTION_KEEPALIVE_MS: '200' } });
  try {
    const answering = await acknowledged({}, pinging);
    await new Promise<void>((resolve) => answering.once('ping', () => resolve()));
    const silent = await acknowledged({ autoPong: false }, pinging);
    const closed = await closeOf(silent);
    expect(closed.code).toBe(1006); // terminated: no close frame
    expect(answering.readyState).toBe(WebSocket.OPEN);
  } finally {
    await pinging.stop();
  }
});

test('hostile frames: malformed or out-of-order messages close the socket with graphql-ws codes; odd payloads get coded errors, never internal ones', async () => {
  for (const [frame, code] of [
    ['not json', 4400],
    [JSON.stringify({ type: 'nonsense' }), 4400],
    [JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { x }' } }), 4401], // before connection_init
  ] as const) {
    const { ws } = (await open()) as { ws: WebSocket };
    const closed = closeOf(ws);
    ws.send(frame);
    expect((await closed).code).toBe(code);
  }
  const ws = await acknowledged();
  const replies: { id: string; type: string; payload?: { extensions?: { code?: string } }[] }[] = [];
  ws.on('message', (m) => replies.push(JSON.parse(String(m))));
  const payloads = [
    { query: 'subscription($s: ID!) { sendMessageStream(sessionId: $s, content: "x", clientMessageId: "c") { delta } }', variables: { s: { nested: true } } },
    { query: 'subscription S { sendMessageStream(sessionId: "s", content: "x", clientMessageId: "c") { delta } }', operationName: 'Other' },
    { query: '{ __typename }'.repeat(2000) },
    { query: 'subscription { sendMessageStream(sessionId: "ses_x", content: "x", clientMessageId: "' + 'c'.repeat(500) + '") { delta } }' },
  ];
  payloads.forEach((payload, i) => ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload })));
  const deadline = Date.now() + 5000;
  while (replies.filter((r) => r.type === 'error' || r.type === 'next').length < payloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const errors = replies.filter((r) => r.type === 'error');
  expect(errors).toHaveLength(payloads.length);
  expect([...errors].sort((a, b) => Number(a.id) - Number(b.id)).map((e) => e.payload?.[0]?.extensions?.code)).toEqual(['BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE', 'GRAPHQL_PARSE_FAILED', 'BAD_USER_INPUT']);
});

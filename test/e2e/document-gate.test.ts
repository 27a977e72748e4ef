import { createHash } from 'node:crypto';
import { post, startTestServer, TestServer, tokenFor } from '../support/server';
import { bearer, wsClient } from '../support/ws-client';

// Issue #19: a document is measured before graphql-js validates it, the same way over HTTP and
// WebSocket; persisted-query mistakes are bad requests; production shows no suggestions.

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = await tokenFor('gate', 'alice');
});
afterAll(async () => {
  await server?.stop();
});

const send = (body: unknown, headers: Record<string, string> = {}) => post(server.url, JSON.stringify(body), { authorization: `Bearer ${token}`, ...headers });
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

test('over HTTP: more aliases than MAX_QUERY_ALIASES is refused before validation, naming the ceiling; at the ceiling it runs', async () => {
  expect((await send({ query: aliases(30) })).status).toBe(200);
  const refused = await send({ query: aliases(31) });
  expect(refused.status).toBe(400);
  expect(refused.json?.errors?.[0]).toMatchObject({ message: expect.stringMatching(/more than 30 aliased fields/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
});

test('over WebSocket: the same ceiling, the same code', async () => {
  const ws = wsClient(server.url, bearer(token));
  try {
    const errors = await new Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>((resolve) => {
      const streams = Array.from({ length: 31 }, (_, i) => `a${i}: sendMessageStream(sessionId: "s", content: "c", clientMessageId: "m") { delta }`);
      ws.client.subscribe({ query: `subscription { ${streams.join(' ')} }` }, {
        next: () => {},
        error: (e) => resolve(e as never),
        complete: () => resolve([]),
      });
    });
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/more than 30 aliased fields/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  } finally {
    await ws.dispose();
  }
});

test('MAX_QUERY_ALIASES and MAX_QUERY_SELECTIONS are configurable', async () => {
  const strict = await startTestServer({ table: server.table, env: { MAX_QUERY_ALIASES: '2', MAX_QUERY_SELECTIONS: '20' } });
  try {
    const res = await post(strict.url, JSON.stringify({ query: aliases(3) }), { authorization: `Bearer ${token}` });
    expect(res.json?.errors?.[0]?.message).toMatch(/more than 2 aliased fields/);
    // 21 selections: 11 under topics, 10 under mySessions.
    const wide = `{ topics { id name description archived openingMessage settings { inactivityTimeoutMinutes activeTtlSeconds terminalTtlSeconds maxTurns } }
      mySessions { edges { cursor node { id topicId status } } pageInfo { hasNextPage endCursor } } }`;
    expect((await post(strict.url, JSON.stringify({ query: wide }), { authorization: `Bearer ${token}` })).json?.errors?.[0]?.message).toMatch(/more than 20 selections/);
  } finally {
    await strict.stop();
  }
});

test('an automatic persisted query whose hash does not match its query is a bad request, not an internal error', async () => {
  const query = '{ __typename }';
  const wrong = await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
  expect(wrong.status).toBe(400);
  expect(wrong.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  const version = await send({ query, extensions: { persistedQuery: { version: 2, sha256Hash: 'f'.repeat(64) } } });
  expect(version.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  const hash = createHash('sha256').update(query).digest('hex');
  expect((await send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).json?.data).toEqual({ __typename: 'Query' });
  expect((await send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).json?.data).toEqual({ __typename: 'Query' });
});

test('production: neither validation nor variable errors suggest names, and a hostile literal costs no quadratic stripping', async () => {
  const prod = await startTestServer({ table: server.table, env: { NODE_ENV: 'production', DYNAMODB_ENDPOINT: server.table.endpoint } });
  try {
    const auth = { authorization: `Bearer ${token}` };
    const unknown = await post(prod.url, JSON.stringify({ query: '{ sessionChek(topicId: "x") { hasSession } }' }), auth);
    expect(unknown.json?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(unknown.text).not.toMatch(/Did you mean/);
    const variable = await post(prod.url, JSON.stringify({ query: 'query Q($s: [SessionStatus!]) { mySessions(status: $s) { edges { cursor } } }', variables: { s: ['ACTIV'] } }), auth);
    expect(variable.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(variable.text).not.toMatch(/Did you mean/);
    const hostile = ' Did you mean x'.repeat(5000);
    const echoed = await post(prod.url, JSON.stringify({ query: 'query Q($s: [SessionStatus!]) { mySessions(status: $s) { edges { cursor } } }', variables: { s: [hostile] } }), auth);
    expect(echoed.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  } finally {
    await prod.stop();
  }
});

import { print } from 'graphql';
import { SessionCheckDocument } from '../generated/graphql/graphql';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { createTestTable, TestTable } from '../support/dynamo';

// CORS over real HTTP (docs/security.md#cors): the allow-list's origins get CORS headers on the
// preflight and on the request itself; any other origin gets none; no credentials. CSRF
// prevention stays on: a request a browser sends without a preflight is still refused.

let table: TestTable;
const servers: TestServer[] = [];
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await table.drop();
});

async function server(env: Record<string, string>) {
  const s = await startTestServer({ table, env });
  servers.push(s);
  return s;
}

/** What a browser sends before a cross-origin JSON POST with a token. */
const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });

/** The request itself, as a browser sends it from `origin`. */
async function request(url: string, origin: string, token?: string) {
  token ??= await tokenFor('cors', 'alice');
  return fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(SessionCheckDocument), variables: { topicId: 'purpose' } }),
  });
}

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));

async function expectAllowed(url: string, origin: string) {
  const pre = await preflight(url, origin);
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
  expect(pre.headers.get('access-control-allow-methods')).toBe('GET, POST');
  const allowed = pre.headers.get('access-control-allow-headers')!.split(/,\s*/);
  expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type']));
  expect(pre.headers.get('access-control-max-age')).toBe('600');
  // Bearer tokens, never cookies: no credentials.
  expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  expect(pre.headers.get('vary')).toMatch(/Origin/);

  const res = await request(url, origin);
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe(origin);
  expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  expect(res.headers.get('access-control-expose-headers')).toMatch(/retry-after/);
  expect(((await res.json()) as { data: { sessionCheck: { hasSession: boolean } } }).data.sessionCheck.hasSession).toBe(false);
}

async function expectNoCors(url: string, origin: string) {
  const pre = await preflight(url, origin);
  expect(corsHeaders(pre)).toEqual([]);
  const res = await request(url, origin);
  expect(corsHeaders(res)).toEqual([]);
  // The server still answers (a browser then refuses to hand the answer to the page).
  expect(res.status).toBe(200);
  await res.text();
}

test('an origin on CORS_ORIGINS: the preflight allows authorization and content-type, the request gets the origin back, no credentials', async () => {
  const s = await server({ CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' });
  await expectAllowed(s.url, 'https://app.example.com');
  await expectAllowed(s.url, 'https://admin.example.com');
});

test('an origin not on the list gets no CORS headers at all', async () => {
  const s = await server({ CORS_ORIGINS: 'https://app.example.com' });
  for (const origin of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com:8443', 'https://app.example.com.evil.com', 'null']) {
    await expectNoCors(s.url, origin);
  }
});

test('development default: a frontend dev server on any port of http://localhost or http://127.0.0.1 works; other hosts and https do not', async () => {
  const s = await server({});
  await expectAllowed(s.url, 'http://localhost:5173');
  await expectAllowed(s.url, 'http://localhost:3000');
  await expectAllowed(s.url, 'http://127.0.0.1:5173');
  for (const origin of ['http://localhost.evil.com:5173', 'https://localhost:5173', 'http://127.0.0.2:5173', 'http://127.0.0.1.evil.com:5173', 'http://evil.example.com']) {
    await expectNoCors(s.url, origin);
  }
});

test('production default: no origin gets CORS headers, not even http://localhost', async () => {
  const s = await server({ NODE_ENV: 'production' });
  await expectNoCors(s.url, 'http://localhost:5173');
  await expectNoCors(s.url, 'https://app.example.com');
});

test('CSRF prevention stays on for allowed origins: a request sent without a preflight is refused, nothing runs', async () => {
  const s = await server({ CORS_ORIGINS: 'https://app.example.com' });
  const token = await tokenFor('cors-csrf', 'alice');
  // What a cross-site form can send: text/plain, no Authorization (a browser preflights that header).
  const simple = await fetch(s.url, {
    method: 'POST',
    headers: { origin: 'https://app.example.com', 'content-type': 'text/plain' },
    body: JSON.stringify({ query: 'mutation { startSession(topicId: "purpose") { id } }' }),
  });
  expect(simple.status).toBe(400);
  expect(await simple.text()).toMatch(/CSRF/);
  // With a token the same body is still no JSON request: refused.
  const withToken = await fetch(s.url, {
    method: 'POST',
    headers: { origin: 'https://app.example.com', 'content-type': 'text/plain', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { startSession(topicId: "purpose") { id } }' }),
  });
  expect(withToken.status).toBe(400);
  await withToken.text();
  // GETs without a preflight-forcing header (test/e2e/get-queries.test.ts has the rest).
  const get = await fetch(`${s.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { origin: 'https://app.example.com' } });
  expect(get.status).toBe(400);
  expect(await get.text()).toMatch(/CSRF/);
  const check = await request(s.url, 'https://app.example.com', token);
  expect(((await check.json()) as { data: { sessionCheck: { hasSession: boolean } } }).data.sessionCheck.hasSession).toBe(false);
});

test('an OPTIONS request that is not a preflight is not answered as one (Apollo refuses it)', async () => {
  const s = await server({ CORS_ORIGINS: 'https://app.example.com' });
  const res = await fetch(s.url, { method: 'OPTIONS' });
  expect(res.status).toBe(400);
  expect(corsHeaders(res)).toEqual([]);
  await res.text();
});

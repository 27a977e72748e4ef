import { MySessionsDocument, SessionCheckDocument, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { expectCode, expectNoInternals, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { scanAll } from '../support/store-helpers';
import { DEFAULT_MAX_QUERY_COST } from '../../src/defaults';
import { MAX_TOKENS } from '../../src/http/server';

// Hostile input over HTTP that the e2e tests do not already cover (see docs/reliability.md for
// the ones they do: tokens, tenancy, bad arguments, depth, malformed JSON, body limit).
// Every case: a clear error, no stack or internals in the answer, and nothing written.

let server: TestServer;
let mallory: string;

beforeAll(async () => {
  server = await startTestServer();
  mallory = await tokenFor('hostile', 'mallory');
});
afterAll(() => server?.stop());

/** A raw request with any body (string or bytes) and headers; the JSON answer when there is one. */
async function send(body: string | Uint8Array, headers: Record<string, string> = {}, method = 'POST', url = server.url) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${mallory}`, ...headers },
    body: method === 'GET' ? undefined : body,
  });
  const text = await res.text();
  let json: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** What mallory has in the store: nothing, after every refused request. */
async function expectNothingWritten() {
  const items = (await scanAll(server.table)).filter((i) => String(i.pk).startsWith('T#hostile#'));
  expect(items).toEqual([]);
  const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, mallory)).sessionCheck;
  expect(check.hasSession).toBe(false);
}

const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

describe('width and cost: refused before execution with GRAPHQL_VALIDATION_FAILED', () => {
  test(`a query costing exactly ${DEFAULT_MAX_QUERY_COST} runs (control); one more field is refused`, async () => {
    // The cost bound alone: aliases beyond the default MAX_QUERY_ALIASES (30) are allowed here.
    const wide = await startTestServer({ table: server.table, env: { MAX_QUERY_ALIASES: '120' } });
    try {
      // 111 sessionChecks cost 27 each (the field, its GetItem at 25, hasSession): 2997, and 3 __typename.
      const checks = aliases(111, 'sessionCheck(topicId: "purpose") { hasSession }');
      const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ');
      const fine = await rawGql(wide.url, `{ ${checks} ${names(3)} }`, {}, mallory);
      expect(fine.errors).toBeUndefined();
      expect(Object.keys(fine.data!)).toHaveLength(114);
      const over = await rawGql(wide.url, `{ ${checks} ${names(4)} }`, {}, mallory);
      expectCode(over, 'GRAPHQL_VALIDATION_FAILED');
      expect(over.data).toBeUndefined();
      expect(over.errors![0].message).toMatch(/costs 3001, more than the limit of 3000/);
    } finally {
      await wide.stop();
    }
  });

  test('an aliased mutation flood (400 x startSession) is refused whole: nothing is written', async () => {
    const res = await rawGql(server.url, `mutation { ${aliases(400, 'startSession(topicId: "purpose") { id }')} }`, {}, mallory);
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.data).toBeUndefined();
    expectNoInternals(res.text);
    await expectNothingWritten();
  });

  test('width hidden in a fragment spread many times is counted', async () => {
    const spreads = Array.from({ length: 200 }, () => '...T').join(' ');
    const res = await rawGql(server.url, `{ ${spreads} } fragment T on Query { topics { id name description } }`, {}, mallory);
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.errors!.some((e) => /costs \d+, more than the limit/.test(e.message))).toBe(true);
  });

  test('a fragment "bomb" (each fragment spreads the next one twice, 40 levels: 2^40 fields) is refused at once', async () => {
    const levels = 40;
    const frags = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const res = await rawGql(server.url, `{ ...F0 } ${frags.join(' ')}`, {}, mallory);
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    // The server is still responsive.
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'goals' }, mallory)).sessionCheck.hasSession).toBe(false);
  });

  test(`a document of more than ${MAX_TOKENS} tokens is refused while parsing (GRAPHQL_PARSE_FAILED)`, async () => {
    const res = await rawGql(server.url, `{ ${Array.from({ length: MAX_TOKENS }, () => '__typename').join(' ')} }`, {}, mallory);
    expectCode(res, 'GRAPHQL_PARSE_FAILED');
    expect(res.status).toBe(400);
    expectNoInternals(res.text);
  });

  test('deep input: a query nested 2000 levels is refused without a stack overflow', async () => {
    const query = `{ ${'mySessions { edges { node { '.repeat(300)} id ${'} } } '.repeat(300)} }`;
    const res = await rawGql(server.url, query, {}, mallory);
    expect(res.status).toBe(400);
    expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']).toContain(res.errors![0].extensions?.code);
    expectNoInternals(res.text);
  });
});

describe('batched operations', () => {
  test('a JSON array of operations is refused (batching is off): 400, nothing executed', async () => {
    const batch = Array.from({ length: 50 }, () => ({ query: 'mutation { startSession(topicId: "purpose") { id } }' }));
    const res = await send(JSON.stringify(batch));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/batch/i);
    expectNoInternals(res.text);
    await expectNothingWritten();
  });

  test('an empty array and an array of one are refused too', async () => {
    for (const body of ['[]', JSON.stringify([{ query: '{ topics { id } }' }])]) {
      const res = await send(body);
      expect(res.status).toBe(400);
      expectNoInternals(res.text);
    }
  });

  test('several operations in one document without operationName are refused', async () => {
    const res = await send(JSON.stringify({ query: 'mutation A { startSession(topicId: "purpose") { id } } mutation B { startSession(topicId: "goals") { id } }' }));
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0].extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
    await expectNothingWritten();
  });
});

describe('huge and odd variables', () => {
  test('variables above the body limit -> 413 with a JSON error', async () => {
    const body = JSON.stringify({ query: '{ topics { id } }', variables: { pad: 'x'.repeat(server.config.limits.bodyLimitBytes) } });
    const res = await send(body);
    expect(res.status).toBe(413);
    expect(res.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a variable nested 40,000 levels deep (under the body limit) does no harm', async () => {
    const deep = '['.repeat(40_000) + ']'.repeat(40_000);
    const res = await send(`{"query":"{ topics { id } }","variables":{"deep":${deep}}}`);
    expect(res.status).toBeLessThan(500);
    expectNoInternals(res.text);
  });

  test('a deeply nested value for a declared variable -> BAD_USER_INPUT, nothing written', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const query = 'mutation($t: ID!) { startSession(topicId: $t) { id } }';
    const res = await send(`{"query":${JSON.stringify(query)},"variables":{"t":${deep}}}`);
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res.text);
    await expectNothingWritten();
  });

  test('5,000 undeclared variables are ignored; the operation runs', async () => {
    const variables = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`v${i}`, i]));
    const res = await send(JSON.stringify({ query: '{ topics { id } }', variables }));
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
  });

  test.each([
    ['a number for a string', { t: 12345 }],
    ['an object for an ID', { t: { toString: 'purpose' } }],
    ['a list for an ID', { t: ['purpose'] }],
    ['null for a non-null ID', { t: null }],
    ['a 1 MB-looking number', { t: 1e308 }],
  ])('%s -> BAD_USER_INPUT, nothing written', async (_name, variables) => {
    const res = await send(JSON.stringify({ query: 'mutation($t: ID!) { startSession(topicId: $t) { id } }', variables }));
    expect(res.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res.text);
    await expectNothingWritten();
  });
});

describe('invalid UTF-8, control characters and odd strings', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
  const startWith = (raw: number[]) => bytes('{"query":"mutation { startSession(topicId: \\"purp', raw, 'ose\\") { id } }"}');

  test.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated 2-byte sequence', [0xc3]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a byte that never appears in UTF-8', [0xff]],
  ])('%s in the body -> 400 BAD_USER_INPUT, nothing written', async (_name, raw) => {
    const res = await send(startWith(raw));
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]).toMatchObject({ message: 'The request body is not valid UTF-8', extensions: { code: 'BAD_USER_INPUT' } });
    expectNoInternals(res.text);
    await expectNothingWritten();
  });

  test('valid multi-byte UTF-8 (emoji, CJK, RTL) is accepted and stored exactly (control)', async () => {
    const token = await tokenFor('hostile-ok', 'utf8');
    const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, token)).startSession;
    const content = 'Je veux 🚀 grandir · 成长 · לצמוח \u200d';
    const query = 'mutation($id: ID!, $c: String!) { sendMessage(sessionId: $id, content: $c) { message { content } } }';
    const body = Buffer.from(JSON.stringify({ query, variables: { id, c: content } }), 'utf8');
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    expect(((await res.json()) as { data: { sendMessage: { message: { content: string } } } }).data.sendMessage.message.content).toBe(content);
  });

  test.each([
    ['NUL in a topic id', 'mutation { startSession(topicId: "purpose\\u0000") { id } }'],
    ['an escape sequence in a topic id', 'mutation { startSession(topicId: "\\u001b[31mpurpose") { id } }'],
    ['a topic id of 10,000 characters', `mutation { startSession(topicId: "${'a'.repeat(10_000)}") { id } }`],
    ['BEL and DEL in a message', 'mutation { sendMessage(sessionId: "ses_00000000000000000000000000", content: "ding\\u0007\\u007f") { message { id } } }'],
    ['a clientMessageId with a newline', 'mutation { sendMessage(sessionId: "ses_00000000000000000000000000", content: "hi", clientMessageId: "a\\nb") { message { id } } }'],
  ])('%s -> BAD_USER_INPUT, nothing written', async (_name, query) => {
    const res = await rawGql(server.url, query, {}, mallory);
    expectCode(res, 'BAD_USER_INPUT');
    expectNoInternals(res.text);
    // Never echoed back whole: a 10,000-character id is cut in the message.
    expect(res.text.length).toBeLessThan(2000);
    await expectNothingWritten();
  });

  test('lone surrogates: refused by the parser in literals, by the service in variables; nothing written', async () => {
    const literal = await rawGql(server.url, 'mutation { startSession(topicId: "\\ud800") { id } }', {}, mallory);
    expectCode(literal, 'GRAPHQL_PARSE_FAILED');
    const token = await tokenFor('hostile-surrogate', 'user');
    const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'strengths' }, token)).startSession;
    const query = 'mutation($id: ID!, $c: String!, $k: ID) { sendMessage(sessionId: $id, content: $c, clientMessageId: $k) { message { id } } }';
    for (const variables of [
      { id, c: 'hi \ud800 there' },
      { id, c: 'trailing \udc00' },
      { id, c: 'fine', k: 'k\ud800' },
      { id: 'ses_\ud800', c: 'fine' },
    ]) {
      // JSON.stringify writes a lone surrogate as an escape ("\\ud800"): valid JSON, parsed back into the lone surrogate.
      const body = JSON.stringify({ query, variables });
      expect(body).toMatch(/\\ud[89abc]/);
      const res = await send(body, { authorization: `Bearer ${token}` });
      expect({ variables, code: res.json?.errors?.[0].extensions?.code }).toEqual({ variables, code: 'BAD_USER_INPUT' });
      expectNoInternals(res.text);
    }
    expect(ok(await gql(server.url, SessionDocument, { id }, token)).session!.messageCount).toBe(1);
  });

  test.each([
    ['an empty body', ''],
    ['JSON null', 'null'],
    ['a JSON string', '"{ topics { id } }"'],
    ['a number as the query', '{"query": 42}'],
    ['variables that are a string', '{"query": "{ topics { id } }", "variables": "{}"}'],
    ['no query at all', '{"variables": {}}'],
    ['a duplicate-key trick', '{"query": "{ topics { id } }", "query": "mutation { startSession(topicId: \\"purpose\\") { id } }", "variables": []}'],
  ])('%s -> 400 with a JSON error, nothing written', async (_name, body) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(Array.isArray(res.json?.errors)).toBe(true);
    expectNoInternals(res.text);
    await expectNothingWritten();
  });
});

describe('GET, CSRF and content types (Apollo CSRF prevention stays on)', () => {
  const qs = (query: string) => `${server.url}?query=${encodeURIComponent(query)}`;

  test('a GET query with a preflight header works (control)', async () => {
    const res = await send('', { 'apollo-require-preflight': 'true' }, 'GET', qs('{ topics { id } }'));
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
  });

  test('a GET without a preflight-forcing header (a cross-site <img> or <form>: no Authorization) is refused', async () => {
    // Introspection needs no token: CSRF prevention refuses it. Anything else: 401 first.
    const csrf = await fetch(qs('{ __typename }'));
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toMatch(/CSRF/);
    const anonymous = await fetch(qs('{ topics { id } }'), { headers: { origin: 'https://evil.example.com' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toMatch(/UNAUTHENTICATED/);
  });

  test('a GET query with Authorization (urql\'s default; a browser preflights the header) works', async () => {
    const res = await fetch(qs('{ topics { id } }'), { headers: { authorization: `Bearer ${mallory}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
  });

  test('a GET mutation is refused even with a preflight header: 405, nothing written', async () => {
    const res = await send('', { 'apollo-require-preflight': 'true' }, 'GET', qs('mutation { startSession(topicId: "purpose") { id } }'));
    expect(res.status).toBe(405);
    expectNoInternals(res.text);
    await expectNothingWritten();
  });

  test.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x']])(
    'a "simple" cross-site POST (%s) is refused, nothing written',
    async (type) => {
      const res = await send(JSON.stringify({ query: 'mutation { startSession(topicId: "purpose") { id } }' }), { 'content-type': type });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectNoInternals(res.text);
      await expectNothingWritten();
    },
  );
});

describe('ids of other users and tenants beyond session ids (the rest: test/e2e/tenancy.test.ts)', () => {
  test("another user's mySessions cursor shows nothing of theirs", async () => {
    const victim = await tokenFor('hostile-cursor', 'victim');
    for (const topicId of ['purpose', 'vision', 'goals']) ok(await gql(server.url, StartSessionDocument, { topicId }, victim));
    const page = ok(await gql(server.url, MySessionsDocument, { first: 1 }, victim)).mySessions;
    const cursor = page.edges[0].cursor;
    for (const attacker of [await tokenFor('hostile-cursor', 'attacker'), await tokenFor('other-tenant', 'victim')]) {
      const res = await gql(server.url, MySessionsDocument, { first: 10, after: cursor }, attacker);
      if (res.errors) expectCode(res, 'BAD_USER_INPUT');
      else expect(res.data!.mySessions.edges).toEqual([]);
      expect(JSON.stringify(res)).not.toContain('victim');
    }
  });

  test("a message cursor of another user's session reads nothing of it", async () => {
    const victim = await tokenFor('hostile-cursor2', 'victim');
    const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, victim)).startSession;
    const cursor = ok(await gql(server.url, SessionDocument, { id, first: 1 }, victim)).session!.messages.edges[0].cursor;
    const attacker = await tokenFor('hostile-cursor2', 'attacker');
    const res = await gql(server.url, SessionDocument, { id, after: cursor }, attacker);
    expect(res.data?.session ?? null).toBeNull();
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { print } from 'graphql';
import { SessionCheckDocument, StartSessionDocument, TopicsDocument } from '../generated/graphql/graphql';
import { post, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { createTestTable, TestTable } from '../support/dynamo';

// Who may run what over HTTP, by transport (docs/security.md#csrf-cors-and-http):
// - GET queries run when they carry Authorization (urql's default): a header a browser never
//   sends without a CORS preflight, so a cross-site GET is still refused (CSRF prevention);
//   mutations never run over GET.
// - No token: HTTP 401 with the GraphQL error body, except introspection (Sandbox and codegen
//   in development) and a request with no operation at all (Sandbox's page).

let table: TestTable;
let dev: TestServer;
let prod: TestServer;
beforeAll(async () => {
  table = await createTestTable();
  dev = await startTestServer({ table });
  prod = await startTestServer({ table, env: { NODE_ENV: 'production' } });
});
afterAll(async () => {
  await dev?.stop();
  await prod?.stop();
  await table?.drop();
});

const getUrl = (url: string, query: string, variables?: Record<string, unknown>) =>
  `${url}?query=${encodeURIComponent(query)}${variables ? `&variables=${encodeURIComponent(JSON.stringify(variables))}` : ''}`;

async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('GET', () => {
  test('a query with Authorization and no content-type (what urql sends) runs', async () => {
    const token = await tokenFor('get', 'alice');
    const res = await getJson(getUrl(dev.url, print(TopicsDocument)), { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data!.topics as { id: string }[]).map((t) => t.id)).toContain('purpose');
  });

  test('a GET without a preflight-forcing header is refused: CSRF prevention (400), or 401 for lack of a token; nothing runs', async () => {
    const csrf = await getJson(getUrl(dev.url, '{ __typename }'), { origin: 'https://evil.example.com' });
    expect(csrf.status).toBe(400);
    expect(csrf.body.errors![0].message).toMatch(/CSRF/);
    expect(csrf.body.data).toBeUndefined();
    const anonymous = await getJson(getUrl(dev.url, '{ topics { id } }'), { origin: 'https://evil.example.com' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('a mutation over GET never runs, token or not (405), and stores nothing', async () => {
    const token = await tokenFor('get-mutation', 'alice');
    const res = await fetch(getUrl(dev.url, print(StartSessionDocument), { topicId: 'purpose' }), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    await res.text();
    expect(ok(await gql(dev.url, SessionCheckDocument, { topicId: 'purpose' }, token)).sessionCheck.hasSession).toBe(false);
  });
});

describe('no token', () => {
  test('an operation without a token: HTTP 401 with the GraphQL error body, in the media type the client accepts', async () => {
    const plain = await post(dev.url, JSON.stringify({ query: print(TopicsDocument) }));
    expect(plain.status).toBe(401);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(plain.json).toEqual({ errors: [{ message: 'A valid bearer token is required', extensions: { code: 'UNAUTHENTICATED' } }] });
    const graphqlResponse = await post(dev.url, JSON.stringify({ query: print(TopicsDocument) }), { accept: 'application/graphql-response+json, application/json;q=0.9' });
    expect(graphqlResponse.status).toBe(401);
    expect(graphqlResponse.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    // A persisted-query lookup without a token gets the same answer.
    const persisted = await post(dev.url, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }));
    expect(persisted.status).toBe(401);
  });

  test('an operation that mixes introspection and data needs a token', async () => {
    const res = await post(dev.url, JSON.stringify({ query: '{ __typename topics { id } }' }));
    expect(res.status).toBe(401);
  });

  test('development: introspection and __typename run without a token (Sandbox, codegen from the URL)', async () => {
    const typename = await post(dev.url, JSON.stringify({ query: '{ __typename }' }));
    expect(typename.status).toBe(200);
    expect(typename.json).toEqual({ data: { __typename: 'Query' } });
    const schema = await post(dev.url, JSON.stringify({ query: '{ __schema { queryType { name } } }' }));
    expect(schema.json).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    // GraphQL Code Generator pointed at the dev server's URL (docs/operations.md).
    // A child process (asynchronously: this process serves its requests).
    const dir = mkdtempSync(join(tmpdir(), 'codegen-url-'));
    try {
      const config = join(dir, 'codegen.yml');
      const documents = join(process.cwd(), 'operations', '**', '*.graphql');
      writeFileSync(config, `schema: ${dev.url}\ndocuments: ${documents}\ngenerates:\n  ${join(dir, 'out')}/:\n    preset: client\n`);
      await promisify(execFile)(join('node_modules', '.bin', 'graphql-codegen'), ['--config', config, '--silent']);
      expect(readFileSync(join(dir, 'out', 'graphql.ts'), 'utf8')).toContain('SendMessageStreamDocument');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('development: Apollo Sandbox\'s page is served without a token', async () => {
    const res = await fetch(dev.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<html/i);
  });

  test('production: 401 for an operation, introspection stays off', async () => {
    const op = await post(prod.url, JSON.stringify({ query: print(TopicsDocument) }));
    expect(op.status).toBe(401);
    const schema = await post(prod.url, JSON.stringify({ query: '{ __schema { queryType { name } } }' }));
    expect(schema.status).toBe(400);
    expect(schema.text).not.toContain('queryType":{');
  });
});

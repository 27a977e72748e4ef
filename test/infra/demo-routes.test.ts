/**
 * /demo and its development tokens exist only where they should: the page in development,
 * POST /demo/token only when the server signs its own tokens (no JWT_SECRET / JWT_JWKS_URL,
 * not production). Production has neither.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopicsDocument } from '../generated/graphql/graphql';
import { baseOf } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer } from '../support/server';
import { ensureWebBuilt } from '../browser/web-build';

let dir: string;
beforeAll(() => {
  ensureWebBuilt();
  dir = mkdtempSync(join(tmpdir(), 'demo-routes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const requestToken = (server: TestServer, body: unknown) =>
  fetch(`${baseOf(server.url)}/demo/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function withServer(env: Record<string, string>, fn: (s: TestServer) => Promise<void>) {
  const server = await startTestServer({ env: { DATA_DIR: dir, ...env } });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

test('development without JWT configuration: the page, and tokens for any tenant and user that the API accepts', async () => {
  await withServer({ JWT_SECRET: '' }, async (server) => {
    const page = await fetch(`${baseOf(server.url)}/demo/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('src="demo.js"');
    const script = await fetch(`${baseOf(server.url)}/demo/demo.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('./generated/graphql.js');

    const res = await requestToken(server, { tenantId: 'acme', userId: 'alice' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token } = (await res.json()) as { token: string };
    const topics = ok(await gql(server.url, TopicsDocument, {}, token)).topics;
    expect(topics.length).toBeGreaterThan(0);

    for (const bad of [{}, { tenantId: 'acme' }, { tenantId: 'a b', userId: 'x' }, { tenantId: 'x'.repeat(65), userId: 'u' }, { tenantId: 1, userId: 2 }]) {
      const refused = await requestToken(server, bad);
      expect(refused.status).toBe(400);
      await refused.arrayBuffer();
    }
  });
});

test('with JWT_SECRET (or JWKS) configured there are no development tokens; the page still works with a pasted token', async () => {
  const configured: Record<string, string>[] = [{}, { JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json' }];
  for (const env of configured) {
    await withServer(env, async (server) => {
      const res = await requestToken(server, { tenantId: 'acme', userId: 'alice' });
      expect(res.status).toBe(404);
      await res.arrayBuffer();
      expect((await fetch(`${baseOf(server.url)}/demo/`)).status).toBe(200);
    });
  }
});

test('production: neither the page nor tokens; metrics stay', async () => {
  await withServer({ NODE_ENV: 'production' }, async (server) => {
    for (const [method, path] of [
      ['GET', '/demo/'],
      ['GET', '/demo/demo.js'],
      ['POST', '/demo/token'],
    ]) {
      const res = await fetch(`${baseOf(server.url)}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{"tenantId":"a","userId":"b"}' : undefined,
      });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      await res.arrayBuffer();
    }
    expect((await fetch(`${baseOf(server.url)}/metrics`)).status).toBe(200);
  });
});

test('DEMO_ENABLED=false turns the page off in development too', async () => {
  await withServer({ JWT_SECRET: '', DEMO_ENABLED: 'false' }, async (server) => {
    expect((await fetch(`${baseOf(server.url)}/demo/`)).status).toBe(404);
  });
});

/**
 * /demo and its development tokens exist only where they should: the page in development,
 * POST /demo/token only when the server signs its own tokens (no JWT_SECRET / JWT_JWKS_URL,
 * not production). Production has neither.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import express from 'express';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopicsDocument } from '../generated/graphql/graphql';
import { baseOf } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TEST_SECRET, TestServer } from '../support/server';
import { loadConfig } from '../../src/config';
import { isLoopback, mountDemo } from '../../src/demo/routes';
import { silentLogger } from '../../src/logger';
import { ensureWebBuilt } from '../browser/web-build';

let dir: string;
beforeAll(() => {
  ensureWebBuilt();
  dir = mkdtempSync(join(tmpdir(), 'demo-routes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signInOptions = async (server: TestServer) => {
  const res = await fetch(`${baseOf(server.url)}/demo/sign-in-options`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.json();
};

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
    expect(await script.text()).toMatch(/from '\.\/[a-z-]+\.js'/);
    expect(await signInOptions(server)).toEqual({ devTokens: true, reason: null });

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
      // The page asks first, and says why it shows a token field instead of "Sign in".
      expect(await signInOptions(server)).toEqual({ devTokens: false, reason: expect.stringMatching(/JWT_SECRET or JWT_JWKS_URL is configured/) });
    });
  }
});

test('production: neither the page nor tokens; metrics stay', async () => {
  await withServer({ NODE_ENV: 'production' }, async (server) => {
    for (const [method, path] of [
      ['GET', '/demo/'],
      ['GET', '/demo/demo.js'],
      ['POST', '/demo/token'],
      ['GET', '/demo/sign-in-options'],
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

describe('development is for this machine only (issue #9)', () => {
  test('without HOST, development listens on loopback only (production: every interface)', async () => {
    await withServer({ JWT_SECRET: '', HOST: '' }, async (server) => {
      expect(server.config.host).toBe('127.0.0.1');
      expect(server.app.server.httpServer.address()).toMatchObject({ address: '127.0.0.1' });
    });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DYNAMODB_ENDPOINT: 'aws' }).host).toBeUndefined();
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  test('loopback addresses, by the socket', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect({ a, loopback: isLoopback(a) }).toEqual({ a, loopback: true });
    for (const a of ['192.0.2.2', '::ffff:192.0.2.2', '10.0.0.1', '::', '0.0.0.0', 'fd00::2', '127.0.0.1.evil', '', undefined]) {
      expect({ a, loopback: isLoopback(a) }).toEqual({ a, loopback: false });
    }
  });

  test('POST /demo/token refuses a caller from another machine (403), whatever X-Forwarded-For says', async () => {
    // HOST=0.0.0.0 opens the port; the route still looks at the socket's peer. A remote peer is
    // simulated by overriding the address the socket reports (this machine may have no other interface).
    const app = express();
    mountDemo(app, { log: silentLogger, devToken: { secret: TEST_SECRET, tenantClaim: 'tenant_id', maxLifetimeSeconds: 86400 } });
    let peer: string | undefined;
    const server = http.createServer((req, res) => {
      if (peer) Object.defineProperty(req.socket, 'remoteAddress', { value: peer, configurable: true });
      app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/demo/token`;
    const ask = (headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close', ...headers }, body: '{"tenantId":"acme","userId":"alice"}' });
    try {
      for (const remote of ['203.0.113.7', '::ffff:192.0.2.9', '2001:db8::1']) {
        peer = remote;
        const spoofs: Record<string, string>[] = [{}, { 'x-forwarded-for': '127.0.0.1' }, { 'x-real-ip': '::1', forwarded: 'for=127.0.0.1' }];
        for (const headers of spoofs) {
          const res = await ask(headers);
          expect({ remote, headers, status: res.status }).toEqual({ remote, headers, status: 403 });
          expect(await res.text()).not.toMatch(/eyJ/);
        }
      }
      peer = '203.0.113.7';
      const options = await fetch(url.replace(/token$/, 'sign-in-options'), { headers: { connection: 'close', 'x-forwarded-for': '127.0.0.1' } });
      expect(await options.json()).toEqual({ devTokens: false, reason: expect.stringMatching(/server's own machine/) });
      peer = undefined; // the real loopback peer (control)
      const res = await ask();
      expect(res.status).toBe(200);
      expect(((await res.json()) as { token: string }).token).toMatch(/^eyJ/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

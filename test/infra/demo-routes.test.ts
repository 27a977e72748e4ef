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
import { isLoopback, isLoopbackHost, mountDemo } from '../../src/demo/routes';
import { sandboxFor } from '../../src/sandbox-example';
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
    // One bundle: graphql-ws is inside it, so the browser resolves no bare import.
    const bundle = await script.text();
    expect(bundle).toContain('graphql-transport-ws');
    expect(bundle).not.toMatch(/\b(?:from\s*|import\s*\(?)["']graphql-ws/);
    expect(await signInOptions(server)).toEqual({ devTokens: true, reason: null, apiOrigins: ['http://localhost:*', 'http://127.0.0.1:*'] });

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
      expect(await signInOptions(server)).toEqual({ devTokens: false, reason: expect.stringMatching(/JWT_SECRET or JWT_JWKS_URL is configured/), apiOrigins: ['http://localhost:*', 'http://127.0.0.1:*'] });
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
      expect(await options.json()).toEqual({ devTokens: false, reason: expect.stringMatching(/server's own machine/), apiOrigins: [] });
      peer = undefined; // the real loopback peer (control)
      const res = await ask();
      expect(res.status).toBe(200);
      expect(((await res.json()) as { token: string }).token).toMatch(/^eyJ/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// Issue #19 (Low): the development conveniences reached further than this machine.
describe('development tokens stay on this machine (issue #19)', () => {
  /** A request with a Host header of our choosing (fetch sets its own). */
  const raw = (server: TestServer, method: string, path: string, host: string, body?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const port = server.app.server.port;
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host, 'content-type': 'application/json', connection: 'close' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  test('POST /demo/token refuses a Host that is not a loopback name with this port (DNS rebinding): 403, JSON, no token', async () => {
    await withServer({ JWT_SECRET: '' }, async (server) => {
      const port = server.app.server.port;
      const body = '{"tenantId":"acme","userId":"alice"}';
      for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port + 1}`, `[::2]:${port}`, `192.0.2.1:${port}`, 'localhost']) {
        const res = await raw(server, 'POST', '/demo/token', host, body);
        expect({ host, status: res.status }).toEqual({ host, status: 403 });
        expect(res.headers['content-type']).toMatch(/application\/json/);
        expect(JSON.parse(res.text)).toEqual({ error: expect.stringMatching(/Host/) });
        expect(res.text).not.toMatch(/eyJ/);
        // The page is told so before it offers the form.
        const options = JSON.parse((await raw(server, 'GET', '/demo/sign-in-options', host)).text);
        expect({ host, options }).toEqual({ host, options: expect.objectContaining({ devTokens: false, reason: expect.stringMatching(/localhost, 127\.0\.0\.1 or \[::1\]/) }) });
      }
      for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`]) {
        const res = await raw(server, 'POST', '/demo/token', host, body);
        expect({ host, status: res.status }).toEqual({ host, status: 200 });
        expect(JSON.parse(res.text).token).toMatch(/^eyJ/);
        expect(JSON.parse((await raw(server, 'GET', '/demo/sign-in-options', host)).text)).toMatchObject({ devTokens: true, reason: null });
      }
    });
  });

  test('/demo cannot be framed: frame-ancestors none and X-Frame-Options DENY on the page and its files', async () => {
    await withServer({ JWT_SECRET: '' }, async (server) => {
      for (const path of ['/demo/', '/demo/demo.js', '/demo/style.css']) {
        const res = await fetch(`${baseOf(server.url)}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
        expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
        await res.arrayBuffer();
      }
    });
  });

  test('sign-in-options names the API origins the page may send a stored or development token to: CORS_ORIGINS', async () => {
    await withServer({ JWT_SECRET: '', CORS_ORIGINS: 'https://app.example.com,http://127.0.0.1:*' }, async (server) => {
      expect(await signInOptions(server)).toEqual({ devTokens: true, reason: null, apiOrigins: ['https://app.example.com', 'http://127.0.0.1:*'] });
    });
    await withServer({ JWT_SECRET: '', CORS_ORIGINS: 'none' }, async (server) => {
      expect(((await signInOptions(server)) as { apiOrigins: string[] }).apiOrigins).toEqual([]);
    });
  });

  test('loopback listen addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', 'LOCALHOST', '::1', '[::1]']) expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: true });
    for (const h of ['0.0.0.0', '::', '192.0.2.5', 'example.com', 'localhost.example.com', '', undefined]) expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: false });
  });

  test('Sandbox carries the development token only when the server listens on loopback only (not with HOST=0.0.0.0)', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLXVzZXIifQ.c2lnbmF0dXJlLW9mLXRoZS1kZXYtdG9rZW4';
    const landing = async (host: string) => {
      const server = await startTestServer({ env: { DATA_DIR: dir, JWT_SECRET: '' }, sandbox: sandboxFor(host, token) });
      try {
        const res = await fetch(server.url, { headers: { accept: 'text/html' } });
        expect(res.status).toBe(200);
        const html = await res.text();
        expect(html).toMatch(/sandbox/i);
        return html;
      } finally {
        await server.stop();
      }
    };
    expect(await landing('127.0.0.1')).toContain(token);
    for (const host of ['0.0.0.0', '::', '192.0.2.5']) expect({ host, embedded: (await landing(host)).includes(token) }).toEqual({ host, embedded: false });
    expect(sandboxFor('0.0.0.0', token).document).toBe(sandboxFor('localhost', token).document);
    expect(sandboxFor('localhost', undefined).headers).toBeUndefined();
  });

  test('Sandbox with the token is refused to a page that names the server otherwise (DNS rebinding): 403, no token', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLXVzZXIifQ.c2lnbmF0dXJlLW9mLXRoZS1kZXYtdG9rZW4';
    const server = await startTestServer({ env: { DATA_DIR: dir, JWT_SECRET: '' }, sandbox: sandboxFor('127.0.0.1', token) });
    try {
      const { port } = new URL(server.url);
      const page = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/graphql', headers: { host, accept: 'text/html' } }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
        });
      const rebound = await page(`attacker.example:${port}`);
      expect(rebound.status).toBe(403);
      expect(rebound.body).not.toContain(token);
      expect((await page(`localhost:${port}`)).body).toContain(token);
    } finally {
      await server.stop();
    }
  });
});

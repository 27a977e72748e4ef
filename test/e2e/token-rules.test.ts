import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JWTPayload, SignJWT } from 'jose';
import { SendMessageStreamDocument, SessionCheckDocument, StartSessionDocument, TenantSessionsDocument } from '../generated/graphql/graphql';
import { bearer, subscribeTo, wsClient } from '../support/ws-client';
import { expectCode, expectNoInternals, PROJECT_ROOT, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TEST_SECRET, TestServer } from '../support/server';
import { MAX_ENCODED_ID_BYTES } from '../../src/auth/verifier';

// Token rules of issue #9: exp required, a bounded lifetime, "Bearer" in any case, and tenant
// or user claims that cannot form a key refused with UNAUTHENTICATED (never a 500).
const CHECK = 'query Check { sessionCheck(topicId: "purpose") { hasSession conflict } }';
const now = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;
/** URI-encoded bytes an id may take (src/auth/verifier.ts). */
const BOUND = 480;

/** An HS256 token with exactly these claims (nothing added). */
const hs256 = (claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(TEST_SECRET));
const claims = (extra: JWTPayload = {}): JWTPayload => ({ sub: 'alice', tenant_id: 'acme', iat: now(), exp: now() + HOUR, ...extra });

async function check(server: TestServer, authorization: string) {
  return rawGql(server.url, CHECK, {}, undefined, { authorization });
}

async function expectRefused(server: TestServer, authorization: string, message?: RegExp) {
  const res = await check(server, authorization);
  const error = expectCode(res, 'UNAUTHENTICATED');
  expect(res.status).toBe(401);
  expectNoInternals(res.text);
  if (message) expect(error.message).toMatch(message);
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('the scheme name "Bearer" in any case (RFC 7235)', async () => {
  const token = await hs256(claims());
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const res = await check(server, `${scheme} ${token}`);
    expect({ scheme, errors: res.errors }).toEqual({ scheme, errors: undefined });
  }
  await expectRefused(server, `Basic ${token}`);
  await expectRefused(server, `Bearer${token}`);
});

describe('expiry and lifetime (default maximum: 24 hours)', () => {
  test('a token without exp is refused', async () => {
    const { exp: _none, ...noExp } = claims();
    await expectRefused(server, `Bearer ${await hs256(noExp)}`, /no expiry/);
  });

  test('exactly 24 hours is accepted; a day and a minute is refused', async () => {
    const t = now();
    expect((await check(server, `Bearer ${await hs256(claims({ iat: t, exp: t + 24 * HOUR }))}`)).errors).toBeUndefined();
    await expectRefused(server, `Bearer ${await hs256(claims({ iat: t, exp: t + 24 * HOUR + 60 }))}`, /lifetime exceeds the maximum of 86400 seconds/);
  });

  test('an old long-lived token is refused although it expires soon (exp - iat)', async () => {
    await expectRefused(server, `Bearer ${await hs256(claims({ iat: now() - 30 * 24 * HOUR, exp: now() + HOUR }))}`, /lifetime/);
  });

  test('without iat, exp must be within the maximum from now', async () => {
    const { iat: _none, ...noIat } = claims();
    expect((await check(server, `Bearer ${await hs256(noIat)}`)).errors).toBeUndefined();
    await expectRefused(server, `Bearer ${await hs256({ ...noIat, exp: now() + 48 * HOUR })}`, /lifetime/);
  });

  test('an iat in the future is refused beyond the clock tolerance (5 s), on HTTP and WebSocket alike', async () => {
    await expectRefused(server, `Bearer ${await hs256(claims({ iat: now() + 30 * 24 * HOUR, exp: now() + 30 * 24 * HOUR + HOUR }))}`, /issued in the future/);
    const soon = await hs256(claims({ iat: now() + 60, exp: now() + HOUR }));
    await expectRefused(server, `Bearer ${soon}`, /issued in the future/);
    expect((await check(server, `Bearer ${await hs256(claims({ iat: now() + 2, exp: now() + HOUR }))}`)).errors).toBeUndefined();
    const ws = wsClient(server.url, bearer(soon));
    try {
      const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: 'ses_x', content: 'x', clientMessageId: 'c' });
      expect((await sub.ended).closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/issued in the future/) });
    } finally {
      await ws.dispose();
    }
  });

  test('a token just past its exp, within the clock tolerance, is accepted on both transports', async () => {
    const late = await hs256(claims({ iat: now() - 60, exp: now() - 2 }));
    expect((await check(server, `Bearer ${late}`)).errors).toBeUndefined();
    const ws = wsClient(server.url, bearer(late));
    try {
      const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: 'ses_nope', content: 'x', clientMessageId: 'c' });
      // Accepted at connection_init: the subscription itself runs (and finds no such session).
      expect((await sub.ended).errors?.[0]?.extensions?.code).toMatch(/NOT_FOUND|BAD_USER_INPUT/);
    } finally {
      await ws.dispose();
    }
  });

  test('JWT_MAX_LIFETIME_SECONDS sets the maximum', async () => {
    const strict = await startTestServer({ table: server.table, env: { JWT_MAX_LIFETIME_SECONDS: '3600' } });
    try {
      expect((await check(strict, `Bearer ${await hs256(claims({ exp: now() + HOUR }))}`)).errors).toBeUndefined();
      await expectRefused(strict, `Bearer ${await hs256(claims({ exp: now() + 2 * HOUR }))}`, /maximum of 3600 seconds/);
    } finally {
      await strict.stop();
    }
  });
});

describe('tenant and user claims that cannot form a key: UNAUTHENTICATED, never a 500', () => {
  test(`the bound: ${BOUND} bytes URI-encoded, so that both ids fit even a sort key (1,024 bytes)`, () => {
    expect(MAX_ENCODED_ID_BYTES).toBe(BOUND);
  });

  const hostile: [string, string][] = [
    ['a lone high surrogate', 'acme\ud800'],
    ['a lone low surrogate', '\udc00acme'],
    ['NUL', 'ac\u0000me'],
    ['ESC', 'acme\u001b[31m'],
    ['DEL', 'acme\u007f'],
    ['C1 NEL', 'acme\u0085'],
    ['C1 CSI', 'acme\u009b'],
    ['256 CJK characters (2,304 bytes encoded, over the 2,048 of a partition key)', '中'.repeat(256)],
    [`one character over ${BOUND} bytes encoded`, 'é'.repeat(BOUND / 6 + 1)],
  ];

  test.each(hostile)('a tenant with %s', async (_name, tenant) => {
    await expectRefused(server, `Bearer ${await hs256(claims({ tenant_id: tenant }))}`, /tenant/);
  });

  test.each(hostile)('a user (sub) with %s', async (_name, sub) => {
    await expectRefused(server, `Bearer ${await hs256(claims({ sub }))}`, /user/);
  });

  test(`ids at the bound (${BOUND} bytes encoded) work end to end against DynamoDB: check, start, conflict, admin listing`, async () => {
    const tenant = 'é'.repeat(BOUND / 6); // %C3%A9 each
    const user = 'ü'.repeat(BOUND / 6);
    expect(encodeURIComponent(tenant).length).toBe(BOUND);
    const token = await hs256(claims({ tenant_id: tenant, sub: user, roles: ['admin'] }));
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, token)).sessionCheck.hasSession).toBe(false);
    const started = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
    expect(started.userId).toBe(user);
    const other = await hs256(claims({ tenant_id: tenant, sub: '%'.repeat(BOUND / 3) }));
    expect(ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, other)).sessionCheck).toMatchObject({ conflict: true, conflictUserId: user });
    const listed = ok(await gql(server.url, TenantSessionsDocument, { topicId: 'purpose' }, token)).tenantSessions.edges;
    expect(listed.map((e) => e.node.id)).toEqual([started.id]);
  });
});

test('npm run token: 12 hours by default, accepted by the server; a lifetime over the maximum is refused', async () => {
  const cli = join(PROJECT_ROOT, 'dist', 'src', 'auth', 'token-cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does) before these tests`);
  const dataDir = mkdtempSync(join(tmpdir(), 'token-cli-'));
  const env = { PATH: process.env.PATH!, DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET };
  try {
    const token = execFileSync(process.execPath, [cli, '--tenant', 'acme', '--user', 'alice'], { env, encoding: 'utf8' }).trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as JWTPayload;
    expect(payload.exp! - payload.iat!).toBe(12 * HOUR);
    const run = (args: string[], extra: Record<string, string> = {}) => {
      try {
        return { out: execFileSync(process.execPath, [cli, ...args], { env: { ...env, ...extra }, encoding: 'utf8', stdio: 'pipe' }), code: 0 };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { out: err.stderr, code: err.status };
      }
    };
    expect(run(['--expires', '48h'])).toEqual({ out: expect.stringMatching(/longer than JWT_MAX_LIFETIME_SECONDS \(86400 s\)/), code: 1 });
    // A shorter maximum shortens the default.
    const short = run([], { JWT_MAX_LIFETIME_SECONDS: '3600' });
    const p = JSON.parse(Buffer.from(short.out.trim().split('.')[1], 'base64url').toString()) as JWTPayload;
    expect(p.exp! - p.iat!).toBe(HOUR);
    expect((await check(server, `Bearer ${token}`)).errors).toBeUndefined();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

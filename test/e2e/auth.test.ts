import http from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, JWTPayload, KeyLike, SignJWT } from 'jose';
import { signToken } from '../../src/auth/dev-token';
import { SessionCheckDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { expectCode, expectNoInternals, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TEST_SECRET, TestServer, tokenFor } from '../support/server';

const CHECK = 'query Check($topicId: ID!) { sessionCheck(topicId: $topicId) { hasSession conflict } }';
const secret = (s: string) => new TextEncoder().encode(s);
const nowSec = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token with exactly these claims (nothing added). */
function hs256(claims: JWTPayload, key = TEST_SECRET, header: Record<string, unknown> = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(secret(key));
}

/** Sends the check query with this Authorization header (or none) and asserts a clean UNAUTHENTICATED. */
async function expectRefused(url: string, authorization: string | undefined) {
  const res = await rawGql(url, CHECK, { topicId: 'purpose' }, undefined, authorization === undefined ? {} : { authorization });
  const error = expectCode(res, 'UNAUTHENTICATED');
  expect(res.data ?? null).toBeNull();
  expect(res.status).toBeLessThan(500);
  expect(typeof error.message).toBe('string');
  expectNoInternals(res.text);
  // The token itself is never echoed back.
  if (authorization && authorization.length > 20) expect(res.text).not.toContain(authorization.slice(7));
  return res;
}

describe('HS256 (JWT_SECRET)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  test('a valid token works (control)', async () => {
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, await tokenFor('acme', 'alice'))).sessionCheck;
    expect(check.hasSession).toBe(false);
  });

  test('no Authorization header -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, undefined);
  });

  test.each([['Basic x'], ['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer not a token'], ['bearer'], ['Token abc.def.ghi']])(
    'malformed header %j -> UNAUTHENTICATED',
    async (header) => {
      await expectRefused(server.url, header);
    },
  );

  test('a token that is not a JWT -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, 'Bearer abc.def.ghi');
  });

  test('a token signed with another secret -> UNAUTHENTICATED', async () => {
    const forged = await signToken('another-secret-that-is-also-32-bytes-or-more', { tenantId: 'acme', userId: 'alice' });
    await expectRefused(server.url, `Bearer ${forged}`);
  });

  test('an unsigned token (alg: none) -> UNAUTHENTICATED', async () => {
    const payload = { sub: 'alice', tenant_id: 'acme', roles: ['admin'], iat: nowSec(), exp: nowSec() + 3600 };
    await expectRefused(server.url, `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`);
    await expectRefused(server.url, `Bearer ${b64({ alg: 'none' })}.${b64(payload)}.`);
  });

  test('a valid token with its signature stripped -> UNAUTHENTICATED', async () => {
    const good = await tokenFor('acme', 'alice');
    const [header, payload] = good.split('.');
    await expectRefused(server.url, `Bearer ${header}.${payload}.`);
  });

  test('a valid signature over a changed payload -> UNAUTHENTICATED', async () => {
    const good = await tokenFor('acme', 'alice');
    const [header, , signature] = good.split('.');
    const payload = { sub: 'alice', tenant_id: 'other-tenant', roles: [], iat: nowSec(), exp: nowSec() + 3600 };
    await expectRefused(server.url, `Bearer ${header}.${b64(payload)}.${signature}`);
  });

  test('an expired token -> UNAUTHENTICATED', async () => {
    const token = await hs256({ sub: 'alice', tenant_id: 'acme', iat: nowSec() - 7200, exp: nowSec() - 3600 });
    const res = await expectRefused(server.url, `Bearer ${token}`);
    expect(res.errors![0].message).toMatch(/expired/i);
  });

  test('a token not valid yet (nbf in the future) -> UNAUTHENTICATED', async () => {
    const token = await hs256({ sub: 'alice', tenant_id: 'acme', iat: nowSec(), nbf: nowSec() + 3600, exp: nowSec() + 7200 });
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('a token without a tenant claim -> UNAUTHENTICATED', async () => {
    const token = await hs256({ sub: 'alice', roles: [], iat: nowSec(), exp: nowSec() + 3600 });
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test.each([[42], [''], [['acme']], [{ id: 'acme' }], [null], [true]])('a tenant claim of the wrong type (%j) -> UNAUTHENTICATED', async (tenant) => {
    const token = await hs256({ sub: 'alice', tenant_id: tenant, iat: nowSec(), exp: nowSec() + 3600 } as JWTPayload);
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('a token without sub -> UNAUTHENTICATED', async () => {
    const token = await hs256({ tenant_id: 'acme', roles: [], iat: nowSec(), exp: nowSec() + 3600 });
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('a sub of the wrong type -> UNAUTHENTICATED', async () => {
    const token = await hs256({ sub: 7 as unknown as string, tenant_id: 'acme', iat: nowSec(), exp: nowSec() + 3600 });
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('malformed roles -> UNAUTHENTICATED', async () => {
    const token = await hs256({ sub: 'alice', tenant_id: 'acme', roles: 'admin', iat: nowSec(), exp: nowSec() + 3600 });
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('an HS512 token with the right secret is refused (algorithm pinned to HS256)', async () => {
    const token = await new SignJWT({ sub: 'alice', tenant_id: 'acme' })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret(TEST_SECRET));
    await expectRefused(server.url, `Bearer ${token}`);
  });

  test('a refused token changes nothing: mutations are refused as well', async () => {
    const forged = await signToken('another-secret-that-is-also-32-bytes-or-more', { tenantId: 'acme', userId: 'mallory' });
    const res = await gql(server.url, StartSessionDocument, { topicId: 'goals' }, forged);
    expectCode(res, 'UNAUTHENTICATED');
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'goals' }, await tokenFor('acme', 'alice'))).sessionCheck;
    expect(check).toMatchObject({ hasSession: false, conflict: false, conflictUserId: null });
  });
});

describe('a configurable tenant claim (JWT_TENANT_CLAIM, Cognito style)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { JWT_TENANT_CLAIM: 'custom:tenant_id' } });
  });
  afterAll(() => server.stop());

  test('a Cognito-style token with custom:tenant_id is accepted and scopes the tenant', async () => {
    const token = await signToken(TEST_SECRET, { tenantId: 'acme', userId: 'alice', tenantClaim: 'custom:tenant_id' });
    const started = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
    expect(started.userId).toBe('alice');
    // Another user of the same custom tenant sees the conflict: the tenant came from custom:tenant_id.
    const bob = await signToken(TEST_SECRET, { tenantId: 'acme', userId: 'bob', tenantClaim: 'custom:tenant_id' });
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, bob)).sessionCheck;
    expect(check).toMatchObject({ conflict: true, conflictUserId: 'alice' });
  });

  test('a token with only the default tenant_id claim is refused there', async () => {
    await expectRefused(server.url, `Bearer ${await tokenFor('acme', 'alice')}`);
  });
});

describe('JWKS (JWT_JWKS_URL + JWT_ISSUER + JWT_AUDIENCE, RS256)', () => {
  const ISSUER = 'https://idp.example.test/pool-1';
  const AUDIENCE = 'coaching-frontend';
  let jwks: http.Server;
  let jwksRequests = 0;
  let server: TestServer;
  let privateKey: KeyLike;
  let publicPem: string;
  let otherPrivateKey: KeyLike;

  const rs256 = (claims: JWTPayload, opts: { key?: KeyLike; kid?: string; iss?: string; aud?: string; exp?: string | number } = {}) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? 'key-1' })
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '1h');
    if (opts.iss !== '') jwt.setIssuer(opts.iss ?? ISSUER);
    if (opts.aud !== '') jwt.setAudience(opts.aud ?? AUDIENCE);
    return jwt.sign(opts.key ?? privateKey);
  };
  const claims = { sub: 'alice', tenant_id: 'acme', roles: ['admin'] };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    otherPrivateKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    server = await startTestServer({
      env: {
        JWT_SECRET: '',
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  test('the server runs in JWKS mode (no HS secret configured)', () => {
    expect(server.config.auth.secret).toBeUndefined();
    expect(server.config.auth.jwksUrl).toMatch(/jwks\.json$/);
  });

  test('an RS256 token with the right issuer and audience works', async () => {
    const token = await rs256(claims);
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, token)).sessionCheck;
    expect(check).toMatchObject({ hasSession: false, conflict: false });
    expect(jwksRequests).toBeGreaterThan(0);
    const started = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
    expect(started.userId).toBe('alice');
  });

  test('a wrong audience -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, `Bearer ${await rs256(claims, { aud: 'someone-else' })}`);
  });

  test('no audience -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, `Bearer ${await rs256(claims, { aud: '' })}`);
  });

  test('a wrong issuer -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, `Bearer ${await rs256(claims, { iss: 'https://evil.example.test/' })}`);
  });

  test('an RS256 token signed by a key not in the JWKS -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, `Bearer ${await rs256(claims, { key: otherPrivateKey })}`);
  });

  test('an expired RS256 token -> UNAUTHENTICATED', async () => {
    await expectRefused(server.url, `Bearer ${await rs256(claims, { exp: nowSec() - 3600 })}`);
  });

  test('HS/RS confusion: an HS256 token signed with the public key bytes -> UNAUTHENTICATED', async () => {
    const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 3600 };
    await expectRefused(server.url, `Bearer ${await hs256(payload, publicPem, { kid: 'key-1' })}`);
    await expectRefused(server.url, `Bearer ${await hs256(payload, publicPem.trim(), { kid: 'key-1' })}`);
  });

  test('an HS256 token signed with any secret (even the test one) -> UNAUTHENTICATED', async () => {
    const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 3600 };
    await expectRefused(server.url, `Bearer ${await hs256(payload, TEST_SECRET, { kid: 'key-1' })}`);
    await expectRefused(server.url, `Bearer ${await tokenFor('acme', 'alice')}`);
  });

  test('alg: none with the right claims -> UNAUTHENTICATED', async () => {
    const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 3600 };
    await expectRefused(server.url, `Bearer ${b64({ alg: 'none', kid: 'key-1' })}.${b64(payload)}.`);
  });
});

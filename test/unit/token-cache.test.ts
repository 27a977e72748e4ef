import { createVerifier, TokenCache } from '../../src/auth/verifier';
import { signToken } from '../../src/auth/dev-token';
import { DomainError } from '../../src/domain/errors';
import { forgeSignature } from '../support/forge';

const secret = 'a-test-secret-that-is-at-least-32-bytes';
const config = { secret, jwksUrl: undefined, issuer: undefined, audience: undefined, tenantClaim: 'tenant_id', rolesClaim: 'roles', maxTokenLifetimeSeconds: 86400 };

test('a cached token is served without a new check, but never past its own exp', async () => {
  let clock = Date.now();
  const cache = new TokenCache(100, 300_000, () => clock);
  const verifier = createVerifier(config, secret, cache);
  const token = await signToken(secret, { tenantId: 't', userId: 'u', expiresIn: '60s' });
  expect(await verifier.verify(token)).toEqual({ tenantId: 't', userId: 'u', roles: [] });
  expect(cache.size).toBe(1);
  expect(cache.get(token)).toEqual({ tenantId: 't', userId: 'u', roles: [] });
  clock += 61_000; // past exp: the cache no longer answers
  expect(cache.get(token)).toBeUndefined();
});

test('failed verifications are never cached; a forged variant of a cached token is still refused', async () => {
  const cache = new TokenCache();
  const verifier = createVerifier(config, secret, cache);
  const token = await signToken(secret, { tenantId: 't', userId: 'u' });
  await verifier.verify(token);
  const forged = forgeSignature(token);
  await expect(verifier.verify(forged)).rejects.toBeInstanceOf(DomainError);
  expect(cache.size).toBe(1);
});

test('the forged-token helper the tests use always breaks the signature (never only its padding bits)', async () => {
  const verifier = createVerifier(config, secret, new TokenCache());
  for (let i = 0; i < 200; i++) {
    const token = await signToken(secret, { tenantId: 't', userId: `u-${i}` });
    await expect(verifier.verify(forgeSignature(token))).rejects.toBeInstanceOf(DomainError);
  }
});

test('the cache is bounded and evicts the least recently used token', () => {
  const cache = new TokenCache(3, 300_000, () => 0);
  const v = (u: string) => ({ tenantId: 't', userId: u, roles: [] });
  for (const u of ['a', 'b', 'c']) cache.set(u, v(u), 60_000);
  expect(cache.get('a')).toEqual(v('a')); // a is now the most recent
  cache.set('d', v('d'), 60_000);
  expect(cache.size).toBe(3);
  expect(cache.get('b')).toBeUndefined();
  expect(cache.get('a')).toEqual(v('a'));
  expect(cache.get('d')).toEqual(v('d'));
});

import { createRemoteJWKSet, decodeJwt, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { AuthConfig } from '../config';
import { DomainError } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { Lru } from '../lru';

export interface TokenVerifier {
  /** The caller named by a bearer token; throws UNAUTHENTICATED for anything short of a valid token. */
  verify(token: string): Promise<Viewer>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_ID_LENGTH = 256;
/** A URI-encoded character takes up to 12 bytes; at 480 bytes each, both ids fit even a 1024-byte sort key. */
export const MAX_ENCODED_ID_BYTES = 480;
/** Seconds of clock skew allowed between the token issuer and this server. */
const CLOCK_TOLERANCE = 5;

export const unauthenticated = (message = 'A valid bearer token is required') => new DomainError('UNAUTHENTICATED', message);

/** Algorithms are pinned per mode, so `alg: none` and HS/RS confusion are refused by jose itself. */
export function createVerifier(config: AuthConfig, secret = config.secret, cache = new TokenCache()): TokenVerifier {
  const options = { issuer: config.issuer, audience: config.audience, clockTolerance: CLOCK_TOLERANCE, requiredClaims: ['exp'] };
  const maxLifetime = config.maxTokenLifetimeSeconds;
  let check: (token: string) => Promise<JWTPayload>;
  if (config.jwksUrl) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 3000, cooldownDuration: 30_000 });
    check = async (token) => (await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC })).payload;
  } else if (secret) {
    const key = new TextEncoder().encode(secret);
    check = async (token) => (await jwtVerify(token, key, { ...options, algorithms: ['HS256'] })).payload;
  } else {
    throw new Error('no token verification configured');
  }
  return {
    async verify(token) {
      const known = cache.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        payload = await check(token);
      } catch (e) {
        if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'exp') throw unauthenticated('The token has no expiry (exp)');
        throw unauthenticated(e instanceof joseErrors.JWTExpired ? 'The token has expired' : 'The token is not valid');
      }
      checkLifetime(payload, maxLifetime, Date.now() / 1000);
      const viewer = viewerFrom(payload, config);
      cache.set(token, viewer, payload.exp! * 1000);
      return viewer;
    },
  };
}

/** Bounds `exp - iat` and `exp - now` (so a token without `iat` too): a stolen long-lived token is refused. */
function checkLifetime(payload: JWTPayload, max: number, nowSec: number): void {
  const exp = payload.exp!; // required and checked by jose
  if (typeof payload.iat === 'number' && payload.iat > nowSec + CLOCK_TOLERANCE) throw unauthenticated('The token was issued in the future (iat)');
  const longest = Math.max(exp - nowSec, typeof payload.iat === 'number' ? exp - payload.iat : 0);
  if (longest > max + CLOCK_TOLERANCE) throw unauthenticated(`The token's lifetime exceeds the maximum of ${max} seconds`);
}

/** `exp` plus the clock tolerance, in ms: one rule for HTTP requests and WebSocket closing. */
export function acceptedUntil(token: string): number {
  return ((decodeJwt(token).exp ?? 0) + CLOCK_TOLERANCE) * 1000;
}

/**
 * Successful verifications by exact token, so each request does not check the signature again;
 * at most 5 minutes and never past `exp`, bounded LRU.
 */
export class TokenCache {
  private readonly entries: Lru<{ viewer: Viewer; until: number }>;

  constructor(
    maxEntries = 10_000,
    private readonly maxAgeMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new Lru(maxEntries);
  }

  get size() {
    return this.entries.size;
  }

  get(token: string): Viewer | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.viewer;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, viewer: Viewer, expiresAtMs: number): void {
    const until = Math.min(expiresAtMs, this.now() + this.maxAgeMs);
    if (until > this.now()) this.entries.set(token, { viewer, until });
  }
}

export function viewerFrom(payload: JWTPayload, config: Pick<AuthConfig, 'tenantClaim' | 'rolesClaim'>): Viewer {
  // Own claims only: a claim name such as "constructor" must not find Object.prototype's.
  const claim = (name: string) => (Object.hasOwn(payload, name) ? payload[name] : undefined);
  const userId = claim('sub');
  const tenantId = claim(config.tenantClaim);
  const roles = claim(config.rolesClaim) ?? [];
  if (!isId(userId)) throw unauthenticated('The token names no user (sub)');
  if (!isId(tenantId)) throw unauthenticated(`The token names no tenant (${config.tenantClaim})`);
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw unauthenticated('The token has malformed roles');
  return { tenantId, userId, roles };
}

/** An id that can form every key: well-formed Unicode (URI-encodable), no control characters, bounded once encoded. */
export const isId = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= MAX_ID_LENGTH &&
  !CONTROL.test(v) &&
  v.isWellFormed() &&
  encodeURIComponent(v).length <= MAX_ENCODED_ID_BYTES;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The token from an `Authorization: Bearer <jwt>` header (the scheme in any case, RFC 7235); null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  return match[1];
}

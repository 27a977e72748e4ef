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
/**
 * Keys carry the tenant and user ids URI-encoded (src/store/keys.ts), where one character can
 * take up to 12 bytes. DynamoDB limits a partition key to 2048 bytes and a sort key to 1024:
 * at 480 bytes each, both ids and 64 bytes of other key parts fit even a sort key.
 */
export const MAX_ENCODED_ID_BYTES = 480;
/** Seconds of clock skew allowed between the token issuer and this server. */
const CLOCK_TOLERANCE = 5;

export const unauthenticated = (message = 'A valid bearer token is required') => new DomainError('UNAUTHENTICATED', message);

/**
 * HS256 with a shared secret, or keys from a JWKS URL (e.g. Cognito). Algorithms are
 * pinned per mode, so `alg: none` and HS/RS confusion are refused by jose itself.
 */
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

/**
 * A token may be used for at most `max` seconds: from its `iat` to its `exp`, and from now to its
 * `exp` (so a token without `iat` is bounded too). An `iat` in the future (beyond the clock
 * tolerance) is refused. A stolen long-lived token is then refused, whoever issued it.
 */
function checkLifetime(payload: JWTPayload, max: number, nowSec: number): void {
  const exp = payload.exp!; // required and checked by jose
  if (typeof payload.iat === 'number' && payload.iat > nowSec + CLOCK_TOLERANCE) throw unauthenticated('The token was issued in the future (iat)');
  const longest = Math.max(exp - nowSec, typeof payload.iat === 'number' ? exp - payload.iat : 0);
  if (longest > max + CLOCK_TOLERANCE) throw unauthenticated(`The token's lifetime exceeds the maximum of ${max} seconds`);
}

/**
 * When a verified token stops being accepted, ms: its `exp` plus the clock tolerance, the one
 * rule for both transports (HTTP checks each request; a WebSocket closes at that time).
 */
export function acceptedUntil(token: string): number {
  return ((decodeJwt(token).exp ?? 0) + CLOCK_TOLERANCE) * 1000;
}

/**
 * Verified tokens, so a client's every request does not pay for a signature check
 * again (about 4% of a sessionCheck's CPU): keyed by the exact token string, kept at
 * most 5 minutes and never past the token's own `exp`, bounded, least recently used out.
 * Only successful verifications are kept.
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

/**
 * An id that can form every key: 1-256 characters of well-formed Unicode (no lone surrogates,
 * which cannot be URI-encoded), no control characters (C0, DEL, C1), at most
 * MAX_ENCODED_ID_BYTES once URI-encoded as the keys do.
 */
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

import type { RateLimitConfig } from '../config';
import type { Viewer } from '../domain/viewer';
import { TokenBuckets } from './token-buckets';

/** Who may send how many requests (docs/security.md#rate-limits); transport-neutral. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number; scope: 'user' | 'tenant' | 'address' };

const OK: RateDecision = { ok: true };

export class RateLimiter {
  private readonly users: TokenBuckets;
  private readonly tenants: TokenBuckets;
  private readonly addresses: TokenBuckets;

  constructor(
    readonly config: RateLimitConfig,
    now: () => number = Date.now,
  ) {
    this.users = new TokenBuckets(config.user, 100_000, now);
    this.tenants = new TokenBuckets(config.tenant, 10_000, now);
    this.addresses = new TokenBuckets(config.anonymous, 100_000, now);
  }

  /** One request of an authenticated caller. */
  take(viewer: Viewer): RateDecision {
    if (!this.config.enabled) return OK;
    // Length-prefixed: no choice of ids makes two users share a key.
    const user = `${viewer.tenantId.length}:${viewer.tenantId}${viewer.userId}`;
    const userWait = this.users.wait(user);
    const tenantWait = this.tenants.wait(viewer.tenantId);
    if (userWait > 0 || tenantWait > 0) return refused(Math.max(userWait, tenantWait), userWait >= tenantWait ? 'user' : 'tenant');
    this.users.take(user);
    this.tenants.take(viewer.tenantId);
    return OK;
  }

  /** One request without a valid token, from `address` (the client address, client-address.ts). */
  takeAnonymous(address: string | undefined): RateDecision {
    if (!this.config.enabled) return OK;
    const key = addressKey(address ?? 'unknown');
    const wait = this.addresses.wait(key);
    if (wait > 0) return refused(wait, 'address');
    this.addresses.take(key);
    return OK;
  }

  /** Buckets held now (for tests: memory stays bounded). */
  get size() {
    return { users: this.users.keys, tenants: this.tenants.keys, addresses: this.addresses.keys };
  }
}

const refused = (seconds: number, scope: 'user' | 'tenant' | 'address'): RateDecision => ({ ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)), scope });

/** An IPv6 client can use a whole /64: it counts as one address. IPv4 (also IPv4-mapped) as is. */
export function addressKey(address: string): string {
  if (!address.includes(':') || address.startsWith('::ffff:')) return address.replace(/^::ffff:/, '');
  const [head] = address.split('%');
  const parts = head.split('::');
  const left = parts[0] ? parts[0].split(':') : [];
  const right = parts.length > 1 && parts[1] ? parts[1].split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

import { RateLimitConfig } from '../../src/config';
import { RATE_LIMIT_DEFAULTS } from '../../src/defaults';
import { addressKey, RateLimiter } from '../../src/http/rate-limit';
import { TokenBuckets } from '../../src/http/token-buckets';
import { FakeClock } from '../support/clock';

// The rate-limit mechanism (src/http/token-buckets.ts) and policy (src/http/rate-limit.ts), on a
// clock moved by hand. Over HTTP (429, Retry-After, RATE_LIMITED): test/e2e/rate-limit.test.ts.

const alice = { tenantId: 'acme', userId: 'alice', roles: [] };
const config = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({ enabled: true, ...RATE_LIMIT_DEFAULTS, ...over });

/** How many of `n` calls at one instant pass. */
const passes = (n: number, take: () => { ok: boolean }) => Array.from({ length: n }, take).filter((d) => d.ok).length;

describe('token buckets', () => {
  test('a key spends its burst at once, then waits for tokens at the refill rate', () => {
    const clock = new FakeClock();
    const b = new TokenBuckets({ burst: 3, perSecond: 2 }, 100, () => clock.now());
    for (let i = 0; i < 3; i++) {
      expect(b.wait('k')).toBe(0);
      b.take('k');
    }
    expect(b.wait('k')).toBeCloseTo(0.5);
    clock.advance(250);
    expect(b.wait('k')).toBeCloseTo(0.25);
    clock.advance(250);
    expect(b.wait('k')).toBe(0);
    // Other keys are untouched.
    expect(b.wait('other')).toBe(0);
  });

  test('a bucket refills to its burst, never beyond, and a clock that goes back refills nothing', () => {
    const clock = new FakeClock();
    const b = new TokenBuckets({ burst: 2, perSecond: 1 }, 100, () => clock.now());
    b.take('k');
    b.take('k');
    clock.advance(3_600_000);
    b.take('k');
    b.take('k');
    expect(b.wait('k')).toBeCloseTo(1);
    clock.advance(-10_000);
    expect(b.wait('k')).toBeCloseTo(1);
  });

  test('memory is bounded: refilled buckets are dropped, and past maxKeys the least recently used goes', () => {
    const clock = new FakeClock();
    const b = new TokenBuckets({ burst: 1, perSecond: 1 }, 1000, () => clock.now());
    for (let i = 0; i < 5000; i++) b.take(`user-${i}`);
    expect(b.keys).toBe(1000);
    // The newest keys are kept (empty), the oldest went first (a new, full bucket).
    expect(b.wait('user-4999')).toBeCloseTo(1);
    expect(b.wait('user-4000')).toBeCloseTo(1);
    expect(b.wait('user-3999')).toBe(0);
    clock.advance(1000); // every bucket has refilled: the next take sweeps them out
    b.take('fresh');
    expect(b.keys).toBe(1);
  });
});

describe('the limiter', () => {
  test('the defaults let one user burst 60 requests at once (two tabs and a retry never come near); the 61st waits', () => {
    const limiter = new RateLimiter(config(), () => 0);
    expect(RATE_LIMIT_DEFAULTS.user.burst).toBeGreaterThanOrEqual(60);
    expect(RATE_LIMIT_DEFAULTS.user.perSecond).toBeGreaterThanOrEqual(5);
    expect(passes(RATE_LIMIT_DEFAULTS.user.burst, () => limiter.take(alice))).toBe(RATE_LIMIT_DEFAULTS.user.burst);
    expect(limiter.take(alice)).toEqual({ ok: false, retryAfterSeconds: 1, scope: 'user' });
  });

  test('the defaults sustain 5 requests a second for a minute', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(config(), () => clock.now());
    for (let i = 0; i < 300; i++) {
      expect(limiter.take(alice).ok).toBe(true);
      clock.advance(200);
    }
  });

  test('Retry-After is the whole seconds until the next token (rounded up), at least 1', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(config({ user: { burst: 1, perSecond: 0.25 } }), () => clock.now());
    limiter.take(alice);
    expect(limiter.take(alice)).toMatchObject({ ok: false, retryAfterSeconds: 4 });
    clock.advance(1500);
    expect(limiter.take(alice)).toMatchObject({ ok: false, retryAfterSeconds: 3 });
    clock.advance(2400);
    expect(limiter.take(alice)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    clock.advance(100);
    expect(limiter.take(alice).ok).toBe(true);
  });

  test("a tenant's users share the tenant bucket: many user ids in one tenant cannot go past it; other tenants are not affected", () => {
    const limiter = new RateLimiter(config({ user: { burst: 60, perSecond: 10 }, tenant: { burst: 100, perSecond: 10 } }), () => 0);
    const users = Array.from({ length: 50 }, (_, i) => ({ tenantId: 'acme', userId: `u${i}`, roles: [] }));
    let ok = 0;
    for (let round = 0; round < 5; round++) for (const u of users) if (limiter.take(u).ok) ok++;
    expect(ok).toBe(100);
    expect(limiter.take(users[0])).toMatchObject({ ok: false, scope: 'tenant' });
    expect(limiter.take({ tenantId: 'globex', userId: 'u0', roles: [] }).ok).toBe(true);
  });

  test('a refused request spends nothing: a user refused by the tenant limit keeps their own tokens', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(config({ user: { burst: 2, perSecond: 1 }, tenant: { burst: 2, perSecond: 1 } }), () => clock.now());
    const bob = { tenantId: 'acme', userId: 'bob', roles: [] };
    expect(passes(2, () => limiter.take(bob))).toBe(2);
    expect(passes(5, () => limiter.take(alice))).toBe(0);
    clock.advance(2000);
    expect(passes(2, () => limiter.take(alice))).toBe(2);
  });

  test('requests without a valid token are limited per client address; an IPv6 client counts per /64', () => {
    const limiter = new RateLimiter(config({ anonymous: { burst: 3, perSecond: 1 } }), () => 0);
    expect(passes(10, () => limiter.takeAnonymous('203.0.113.7'))).toBe(3);
    expect(limiter.takeAnonymous('203.0.113.7')).toMatchObject({ ok: false, scope: 'address' });
    expect(limiter.takeAnonymous('::ffff:203.0.113.7').ok).toBe(false);
    expect(limiter.takeAnonymous('203.0.113.8').ok).toBe(true);
    expect(passes(10, () => limiter.takeAnonymous('2001:db8:1:2::a'))).toBe(3);
    expect(limiter.takeAnonymous('2001:db8:1:2:ffff:ffff:ffff:1').ok).toBe(false);
    expect(limiter.takeAnonymous('2001:db8:1:3::a').ok).toBe(true);
    // An authenticated caller does not spend the address's tokens.
    expect(limiter.take(alice).ok).toBe(true);
  });

  test('IPv6 addresses group by their /64 however they are written', () => {
    expect(addressKey('2001:DB8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
  });

  test('RATE_LIMIT_ENABLED=false: nothing is ever refused', () => {
    const limiter = new RateLimiter(config({ enabled: false, user: { burst: 1, perSecond: 1 } }), () => 0);
    expect(passes(1000, () => limiter.take(alice))).toBe(1000);
    expect(passes(1000, () => limiter.takeAnonymous('203.0.113.7'))).toBe(1000);
    expect(limiter.size).toEqual({ users: 0, tenants: 0, addresses: 0 });
  });

  test('user keys cannot collide across tenants, whatever the ids', () => {
    const limiter = new RateLimiter(config({ user: { burst: 1, perSecond: 1 } }), () => 0);
    expect(limiter.take({ tenantId: 'a', userId: 'b\nc', roles: [] }).ok).toBe(true);
    expect(limiter.take({ tenantId: 'a\nb', userId: 'c', roles: [] }).ok).toBe(true);
  });
});

/**
 * The one rate-limit mechanism. A refilled bucket is dropped and past `maxKeys` the least recently
 * used goes (a bounded leak, which is why user buckets sit under a tenant bucket).
 */
export interface BucketSize {
  burst: number;
  perSecond: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms. */
  at: number;
}

export class TokenBuckets {
  /** Least recently used first (a Map keeps insertion order; a touched bucket is moved last). */
  private readonly buckets = new Map<string, Bucket>();
  /** How long an untouched bucket takes to refill, ms: after that it can be dropped. */
  private readonly refillMs: number;

  constructor(
    readonly size: BucketSize,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.refillMs = (size.burst / size.perSecond) * 1000;
  }

  get keys() {
    return this.buckets.size;
  }

  /** Seconds until `key` has a whole token (0: it has one now). Spends nothing. */
  wait(key: string): number {
    const b = this.current(key);
    return b.tokens >= 1 ? 0 : (1 - b.tokens) / this.size.perSecond;
  }

  /** Spends one token of `key` (callers check `wait` first; a bucket never goes below zero). */
  take(key: string): void {
    const b = this.current(key);
    b.tokens = Math.max(0, b.tokens - 1);
    this.buckets.delete(key);
    this.buckets.set(key, b);
    this.sweep();
  }

  private current(key: string): Bucket {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.size.burst, at: t };
    // A clock that went back refills nothing.
    b.tokens = Math.min(this.size.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.size.perSecond);
    b.at = t;
    return b;
  }

  /** Drops the oldest buckets while they have refilled, and any beyond maxKeys. */
  private sweep() {
    const t = this.now();
    for (const [key, b] of this.buckets) {
      if (this.buckets.size > this.maxKeys || t - b.at >= this.refillMs) this.buckets.delete(key);
      else break;
    }
  }
}

import { sessionBusy } from '../domain/errors';
import { DEFAULT_SESSION_LIMITS, SessionLimits } from '../defaults';
import { StaleSessionError } from './repository';

/** Bounded optimistic-concurrency retries (another tab or process wrote in between). */
export const MAX_ATTEMPTS = 12;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jittered, so racing processes do not collide again in lockstep. */
export const backoff = (attempt: number) => sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));

/** The retryAfterMs of a SESSION_BUSY after lost races: about a second, jittered so that refused clients spread out. */
export const busyRetryAfterMs = () => 500 + Math.floor(Math.random() * 1000);

/** On StaleSessionError read again (jittered, MAX_ATTEMPTS); losing every time is contention, not an internal error. */
export async function retryOnStale<T>(attempt: (n: number) => Promise<T>, exhausted: () => Error = () => sessionBusy(busyRetryAfterMs())): Promise<T> {
  for (let n = 0; n < MAX_ATTEMPTS; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof StaleSessionError)) throw e;
      if (n < MAX_ATTEMPTS - 1) await backoff(n);
    }
  }
  throw exhausted();
}


/** Calls waiting behind the running one per session (past it SESSION_BUSY), and over all sessions (bounds memory). */
export type SessionQueueLimits = SessionLimits['sessionQueue'];

interface Lane {
  tail: Promise<unknown>;
  /** Calls queued or running. */
  size: number;
}

/**
 * Serialises one process's writes to a session so two tabs take turns instead of racing
 * versioned writes; past its bounds, SESSION_BUSY at once. Other processes: retryOnStale.
 */
export class SessionQueue {
  private readonly lanes = new Map<string, Lane>();
  private waiting = 0;
  /** Moving average of one call's duration (ms), for retryAfterMs. */
  private averageMs = 50;

  constructor(private readonly limits: SessionQueueLimits = DEFAULT_SESSION_LIMITS.sessionQueue) {}

  /** Runs `fn` once every call queued before it for `key` has finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(key) ?? { tail: Promise.resolve(), size: 0 };
    if (lane.size > this.limits.maxWaitingPerSession || this.waiting >= this.limits.maxWaitingTotal) {
      throw sessionBusy(this.retryAfterMs(lane.size));
    }
    lane.size++;
    this.waiting++;
    this.lanes.set(key, lane);
    const previous = lane.tail;
    let done!: () => void;
    lane.tail = new Promise<void>((resolve) => (done = resolve));
    try {
      // Awaited here rather than chained, so that the caller's async stack reaches `fn`'s calls.
      await previous;
      const started = Date.now();
      try {
        return await fn();
      } finally {
        this.averageMs = 0.8 * this.averageMs + 0.2 * (Date.now() - started);
      }
    } finally {
      done();
      this.leave(key, lane);
    }
  }

  /** Calls queued or running for `key` (tests, metrics). */
  depth(key: string): number {
    return this.lanes.get(key)?.size ?? 0;
  }

  private leave(key: string, lane: Lane): void {
    lane.size--;
    this.waiting--;
    if (lane.size === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
  }

  /** About when the queue ahead will have drained, within 0.1-10 s. */
  private retryAfterMs(ahead: number): number {
    return Math.min(10_000, Math.max(100, this.averageMs * ahead));
  }
}

import { sessionBusy } from '../domain/errors';

export interface SessionQueueLimits {
  /** Calls waiting behind the running one for one session; past it a call is refused (SESSION_BUSY). */
  maxWaitingPerSession: number;
  /** Calls waiting over all sessions of this process (a bound on the memory the queues hold). */
  maxWaitingTotal: number;
}

export const DEFAULT_QUEUE_LIMITS: SessionQueueLimits = { maxWaitingPerSession: 64, maxWaitingTotal: 10_000 };

interface Lane {
  tail: Promise<unknown>;
  /** Calls queued or running. */
  size: number;
}

/**
 * Serialises the writes one process makes to one session, so that concurrent sends from
 * two tabs (or a burst from one) take turns here instead of racing each other's versioned
 * writes in the store. Other processes are not seen: their races are the store's
 * conditions and the bounded retries (retry.ts). Bounded: past the limits a call is refused
 * at once with SESSION_BUSY (nothing stored) and a retryAfterMs from the recent pace.
 */
export class SessionQueue {
  private readonly lanes = new Map<string, Lane>();
  private waiting = 0;
  /** Moving average of one call's duration (ms), for retryAfterMs. */
  private averageMs = 50;

  constructor(private readonly limits: SessionQueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /** Runs `fn` once every call queued before it for `key` has finished. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(key) ?? { tail: Promise.resolve(), size: 0 };
    if (lane.size > this.limits.maxWaitingPerSession || this.waiting >= this.limits.maxWaitingTotal) {
      return Promise.reject(sessionBusy(this.retryAfterMs(lane.size)));
    }
    lane.size++;
    this.waiting++;
    this.lanes.set(key, lane);
    const result = lane.tail.then(async () => {
      const started = Date.now();
      try {
        return await fn();
      } finally {
        this.averageMs = 0.8 * this.averageMs + 0.2 * (Date.now() - started);
      }
    });
    lane.tail = result.then(
      () => this.leave(key, lane),
      () => this.leave(key, lane),
    );
    return result;
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

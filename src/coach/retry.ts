import { performance } from 'node:perf_hooks';
import { pause } from './stream';
import { deadlineOf } from './timeout';

/** Hooks for tests: the wait between attempts and the jitter's randomness. */
export interface RetryTuning {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** What a failed attempt says: whether to try again, and after how long the provider asked for. */
export interface Verdict {
  retry: boolean;
  afterMs?: number;
}

/** The provider asked to wait longer than the call has left: failing now beats sleeping past the deadline. */
export class CoachRetryAfterError extends Error {
  constructor(readonly afterMs: number, readonly remainingMs: number, cause: unknown) {
    super(`the model provider asked to wait ${Math.round(afterMs)} ms, longer than the ${Math.max(0, Math.round(remainingMs))} ms left`, { cause });
    this.name = 'CoachRetryAfterError';
  }
}

/** When a call must be done: its own timeout from now, or the service's deadline if that comes first. */
export function deadlineFor(signal: AbortSignal | undefined, timeoutMs: number): number {
  return Math.min(performance.now() + timeoutMs, deadlineOf(signal) ?? Infinity);
}

/**
 * Honours Retry-After plus jitter (so callers throttled together do not return together), else
 * exponential backoff; a wait that would end past the deadline fails at once (docs/coach.md).
 */
export async function withRetries<T>(
  options: { maxRetries: number; deadline: number; signal?: AbortSignal; tuning?: RetryTuning },
  classify: (e: unknown) => Verdict,
  attempt: () => Promise<T>,
): Promise<T> {
  const sleep = options.tuning?.sleep ?? pause;
  const random = options.tuning?.random ?? Math.random;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (e) {
      if (options.signal?.aborted || retry >= options.maxRetries) throw e;
      const verdict = classify(e);
      if (!verdict.retry) throw e;
      const remaining = options.deadline - performance.now();
      const { afterMs } = verdict;
      if (afterMs !== undefined && afterMs >= remaining) throw new CoachRetryAfterError(afterMs, remaining, e);
      let delay = afterMs !== undefined ? afterMs + random() * Math.min(afterMs / 4, 1000) : Math.min(500 * 2 ** retry, 8000) * (0.5 + random() / 2);
      if (delay >= remaining) {
        if (afterMs === undefined) throw e;
        delay = afterMs; // no room for jitter: exactly what was asked
      }
      await sleep(delay, options.signal);
    }
  }
}

/** `retry-after-ms`, then `retry-after` (seconds or HTTP date), then `x-amz-retry-after`. */
export function retryAfterMs(header: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const number = (raw: string | null | undefined) => {
    const value = raw?.trim();
    if (!value || !/^\d+(\.\d+)?$/.test(value)) return undefined;
    return Number(value);
  };
  const ms = number(header('retry-after-ms'));
  if (ms !== undefined) return ms;
  const after = header('retry-after')?.trim();
  if (after) {
    const seconds = number(after);
    if (seconds !== undefined) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return number(header('x-amz-retry-after'));
}

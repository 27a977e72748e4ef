import { sessionBusy } from '../domain/errors';
import { StaleSessionError } from './repository';

/** Bounded optimistic-concurrency retries (another tab or process wrote in between). */
export const MAX_ATTEMPTS = 12;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jittered, so racing processes do not collide again in lockstep. */
export const backoff = (attempt: number) => sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));

/** The retryAfterMs of a SESSION_BUSY after lost races: about a second, jittered so that refused clients spread out. */
export const busyRetryAfterMs = () => 500 + Math.floor(Math.random() * 1000);

/**
 * Read, decide, write with the version read: `attempt` does one round. A StaleSessionError
 * (the session moved on since it was read) means read again, after a jittered pause, at
 * most MAX_ATTEMPTS times; any other error ends it. Still losing after that is contention,
 * never an internal error: `exhausted` says what the caller gets (SESSION_BUSY by default,
 * with nothing stored).
 */
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

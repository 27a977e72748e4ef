import { StaleSessionError } from './repository';

/** Bounded optimistic-concurrency retries (another tab or process wrote in between). */
export const MAX_ATTEMPTS = 12;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jittered, so racing processes do not collide again in lockstep. */
export const backoff = (attempt: number) => sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));

/**
 * Read, decide, write with the version read: `attempt` does one round. A StaleSessionError
 * (the session moved on since it was read) means read again, after a jittered pause, at
 * most MAX_ATTEMPTS times; any other error ends it.
 */
export async function retryOnStale<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; n < MAX_ATTEMPTS; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof StaleSessionError)) throw e;
      await backoff(n);
    }
  }
  throw new Error(`${what} did not settle after ${MAX_ATTEMPTS} attempts`);
}

/** The default budget of one coach call (COACH_TIMEOUT_MS). */

import { performance } from 'node:perf_hooks';

/** When each withCoachTimeout signal fires (performance.now()), so an adapter can tell how long it has left. */
const deadlines = new WeakMap<AbortSignal, number>();

/** The deadline of a signal from withCoachTimeout; undefined for any other signal. */
export const deadlineOf = (signal: AbortSignal | undefined): number | undefined => (signal ? deadlines.get(signal) : undefined);

/** A coach call that took longer than its budget (COACH_TIMEOUT_MS). */
export class CoachTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the coach did not answer within ${ms} ms`);
    this.name = 'CoachTimeoutError';
  }
}

/** The signal fires at the deadline so adapters that honour it stop; the timer never keeps the process alive. */
export async function withCoachTimeout<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  deadlines.set(controller.signal, performance.now() + ms);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CoachTimeoutError(ms);
      controller.abort(error);
      reject(error);
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

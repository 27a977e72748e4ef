/** Time is injected so that idle and TTL rules can be tested without waiting. */
export interface Clock {
  now(): number; // epoch milliseconds
}

export const systemClock: Clock = { now: () => Date.now() };

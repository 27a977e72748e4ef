import { Clock } from '../../src/domain/clock';

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1, 9, 0, 0)) {}
  now() {
    return this.ms;
  }
  advance(ms: number) {
    this.ms += ms;
  }
  set(ms: number) {
    this.ms = ms;
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

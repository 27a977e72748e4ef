/**
 * Which operations count their DynamoDB calls for their log line (LOG_DYNAMO_COST_EVERY):
 * one in `every`, and never more than `budget` of the time.
 *
 * Counting takes AsyncLocalStorage (request-stats.ts), whose promise hooks slow every promise
 * of the process while a counted operation runs. Under load operations are long and many, and
 * one in 100 kept the hooks on more than half of the time: at concurrency 64 that cost 17% of
 * the CPU of a 50-message page (docs/performance.md). So counted operations run one at a
 * time, and after one that took d ms the next waits d × (1 / budget - 1) ms: with the default
 * budget of 0.1, HTTP operations keep the hooks on at most a tenth of the time, whatever the
 * load. An operation whose turn comes during that wait passes it on to the first one after it.
 * Streamed replies over WebSocket are not sampled: each counts its calls (src/http/subscriptions.ts).
 *
 * `every` 1 counts every operation (no budget: what the request-count tests and a cost
 * investigation want); 0 counts none.
 */
export class CostSampler {
  private operations = 0;
  private due = false;
  private running = false;
  private openAt = -Infinity;

  constructor(
    private readonly every: number,
    private readonly budget = 0.1,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the operation starting now counts: if so, a function to call once it has ended. */
  next(): (() => void) | undefined {
    if (this.every <= 0) return undefined;
    if (this.every === 1) return NOTHING;
    if (this.operations++ % this.every === 0) this.due = true;
    if (!this.due || this.running || this.now() < this.openAt) return undefined;
    this.due = false;
    this.running = true;
    const started = this.now();
    return () => {
      const ended = this.now();
      this.running = false;
      this.openAt = ended + (ended - started) * (1 / this.budget - 1);
    };
  }
}

const NOTHING = () => {};

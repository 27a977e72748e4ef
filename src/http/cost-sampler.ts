/**
 * Which operations count their DynamoDB calls for their log line (LOG_DYNAMO_COST_EVERY):
 * one in `every`, one at a time, and never more than `budget` of the time, because the
 * AsyncLocalStorage hooks that count them slow every promise of the process (see
 * docs/performance.md, Decisions). `every` 1 counts all (no budget); 0 counts none.
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

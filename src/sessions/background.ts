import { DomainError } from '../domain/errors';
import { Logger } from '../logger';

/**
 * Work after the response (postMessage replies, late welcome backs), tracked so shutdown and
 * tests can wait for it; a DomainError is dropped, anything else logged.
 */
export class BackgroundWork {
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  run(what: string, fields: Record<string, unknown>, work: () => Promise<void>): void {
    const task = (async () => {
      try {
        await work();
      } catch (e) {
        if (!(e instanceof DomainError)) this.log.error(`${what} failed`, { ...fields, error: String(e) });
      }
    })();
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Waits for work whose outcome its caller handles (a stream runs on after its listener left). */
  track(work: Promise<unknown>): void {
    const task = work.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Resolves once every task started so far (and any it started) has finished. */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}

import { DomainError } from '../domain/errors';
import { Logger } from '../logger';

/**
 * Work this process goes on with after it has answered a request: postMessage's replies,
 * welcome backs that came after the bounded wait. Tracked, so that shutdown (app.ts) and
 * tests can wait until each has been stored or has failed. A task's own outcome never
 * reaches a client: a DomainError (an expected refusal, e.g. the session ended) is dropped,
 * anything else is logged.
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

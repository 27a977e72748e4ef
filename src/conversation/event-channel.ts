/**
 * A push-to-pull adapter for a subscription's events: a producer pushes, the transport
 * iterates. Closing the iterator (the client unsubscribed, or its socket dropped) resolves at
 * once and only detaches the reader: the producer is never waited for, nor stopped (a reply
 * being written is still stored). Events pushed after that are dropped.
 */
export class EventChannel<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private closed = false;

  /** True once the reader has gone (or the stream ended): producers may stop work nobody will see. */
  get isClosed(): boolean {
    return this.closed;
  }

  push(value: T): void {
    if (this.closed || this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  /** No more events: the reader gets what is queued, then the end. */
  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.settleWaiting();
  }

  /** The stream failed: the reader gets what is queued, then this error. */
  fail(error: unknown): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.failure = { error };
    this.settleWaiting();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      this.closed = true;
      return Promise.reject(error);
    }
    if (this.ended || this.closed) {
      this.closed = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.closed = true;
    this.queue.length = 0;
    this.failure = null;
    this.settleWaiting();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleWaiting(): void {
    if (!this.waiting) return;
    const { resolve, reject } = this.waiting;
    this.waiting = null;
    if (this.failure && !this.closed) {
      const { error } = this.failure;
      this.failure = null;
      this.closed = true;
      reject(error);
    } else {
      resolve({ value: undefined, done: true });
    }
  }
}

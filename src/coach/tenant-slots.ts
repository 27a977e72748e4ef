import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, UsageSink, WelcomeBackTurn } from './port';
import { Topic } from '../domain/topic';

/** How many model calls one tenant may have running at once in one process, and how long one more waits. */
export interface TenantSlotOptions {
  /** COACH_CONCURRENCY_PER_TENANT. */
  perTenant: number;
  /** COACH_CONCURRENCY_WAIT_MS: the longest a call waits for a free slot (never past the call's own deadline). */
  waitMs: number;
}



/** Calls waiting for a slot, per tenant, as a multiple of the bound: past it, a call is refused at once. */
export const WAITING_PER_SLOT = 4;

/** A model call refused because its tenant's calls fill every slot (the service answers COACH_UNAVAILABLE). */
export class CoachBusyError extends Error {
  constructor(readonly perTenant: number, why: string) {
    super(`this tenant already has ${perTenant} model calls running; ${why}`);
    this.name = 'CoachBusyError';
  }
}

interface Waiter {
  grant: (release: () => void) => void;
  refuse: (e: unknown) => void;
}

/** Per-tenant slots so one tenant's burst cannot use up the provider's rate limit (docs/coach.md). */
export class TenantSlots {
  private readonly tenants = new Map<string, { running: number; waiting: Waiter[] }>();

  constructor(readonly options: TenantSlotOptions) {}

  /** Resolves with a release function (idempotent) once the call may run; rejects with CoachBusyError or the signal's reason. */
  acquire(tenantId: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const tenant = this.tenants.get(tenantId) ?? { running: 0, waiting: [] };
    this.tenants.set(tenantId, tenant);
    if (tenant.running < this.options.perTenant) {
      tenant.running++;
      return Promise.resolve(this.releaser(tenantId));
    }
    const { perTenant, waitMs } = this.options;
    if (waitMs === 0 || tenant.waiting.length >= perTenant * WAITING_PER_SLOT) {
      return Promise.reject(new CoachBusyError(perTenant, waitMs === 0 ? 'no waiting (COACH_CONCURRENCY_WAIT_MS=0)' : 'too many are waiting already'));
    }
    return new Promise((resolve, reject) => {
      const leave = (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        const i = tenant.waiting.indexOf(waiter);
        if (i >= 0) tenant.waiting.splice(i, 1);
        this.forget(tenantId);
        reject(e);
      };
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', aborted);
          resolve(release);
        },
        refuse: leave,
      };
      const aborted = () => leave(signal!.reason);
      const timer = setTimeout(() => leave(new CoachBusyError(perTenant, `none was free within ${waitMs} ms`)), waitMs);
      timer.unref?.();
      signal?.addEventListener('abort', aborted, { once: true });
      tenant.waiting.push(waiter);
    });
  }

  /** Calls running for `tenantId` (tests, metrics). */
  running(tenantId: string): number {
    return this.tenants.get(tenantId)?.running ?? 0;
  }

  /** A freed slot goes straight to the tenant's next waiter, so the count never dips below the line. */
  private releaser(tenantId: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const tenant = this.tenants.get(tenantId);
      if (!tenant) return;
      const next = tenant.waiting.shift();
      if (next) next.grant(this.releaser(tenantId));
      else {
        tenant.running--;
        this.forget(tenantId);
      }
    };
  }

  private forget(tenantId: string) {
    const tenant = this.tenants.get(tenantId);
    if (tenant && tenant.running === 0 && tenant.waiting.length === 0) this.tenants.delete(tenantId);
  }
}

/** A slot is freed when the call ends or its signal fires, even if the adapter does not stop. */
export function tenantBoundCoach(inner: Coach, slots: TenantSlots): Coach {
  const bounded = async <T>(tenantId: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> => {
    const release = await slots.acquire(tenantId, signal);
    signal?.addEventListener('abort', release, { once: true });
    try {
      return await call();
    } finally {
      signal?.removeEventListener('abort', release);
      release();
    }
  };
  async function* stream(turn: CoachTurn): AsyncGenerator<string> {
    const release = await slots.acquire(turn.session.tenantId, turn.signal);
    turn.signal?.addEventListener('abort', release, { once: true });
    try {
      if (inner.replyStream) yield* inner.replyStream(turn);
      else yield await inner.reply(turn);
    } finally {
      turn.signal?.removeEventListener('abort', release);
      release();
    }
  }
  return {
    get name() {
      return inner.name;
    },
    opening: (topic: Topic, signal?: AbortSignal, tenantId?: string, onUsage?: UsageSink) => bounded(tenantId ?? '', signal, () => inner.opening(topic, signal, tenantId, onUsage)),
    reply: (turn: CoachTurn) => bounded(turn.session.tenantId, turn.signal, () => inner.reply(turn)),
    replyStream: stream,
    welcomeBack: (turn: WelcomeBackTurn) => bounded(turn.session.tenantId, turn.signal, () => inner.welcomeBack(turn)),
    extractResult: (request: ResultRequest) => bounded(request.session.tenantId, request.signal, () => inner.extractResult(request)),
    summarize: (request: SummaryRequest) => bounded(request.session.tenantId, request.signal, () => inner.summarize(request)),
    title: (request: TitleRequest) => bounded(request.session.tenantId, request.signal, () => inner.title(request)),
  };
}

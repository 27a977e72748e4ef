import { randomUUID } from 'node:crypto';
import { Clock } from '../domain/clock';
import { Logger, silentLogger } from '../logger';
import { deliver as deliverWebhook, WebhookOptions } from './webhook';

/**
 * Idle notifications (`npm run notify-idle`): one signed webhook per idle period
 * (sessionId, lastActivityAt), delivered at least once under a lease so overlapping runs
 * do not both deliver. The claim / deliver / confirm protocol is in docs/administration.md.
 */
export interface IdleCandidate {
  tenantId: string;
  userId: string;
  sessionId: string;
  topicId: string;
  status: string;
  lastActivityAt: number;
}

/** The store side (src/store/idle-notice-store.ts); no AWS types above the store. */
export interface IdleNoticeStore {
  /** Live, unexpired sessions with last activity before `before` and not yet notified for it, all tenants. */
  findIdle(before: number, now: number): AsyncIterable<IdleCandidate[]>;
  /** Takes the lease on the period; false when another run holds it, it was notified, or the session moved on. */
  claim(c: IdleCandidate, runId: string, leaseUntil: number, now: number): Promise<boolean>;
  /** Marks the period notified if this run still holds the lease. */
  confirm(c: IdleCandidate, runId: string): Promise<boolean>;
  /** Gives the lease back (delivery failed). */
  release(c: IdleCandidate, runId: string): Promise<void>;
}

export interface NotifyIdleOptions {
  minIdleMinutes: number;
}

export interface NotifyIdleDeps {
  store: IdleNoticeStore;
  webhook: WebhookOptions;
  clock: Clock;
  log?: Logger;
  /** How long a claim keeps other runs off a period (default 2 minutes; longer than a delivery with retries). */
  leaseMs?: number;
  runId?: string;
  /** The webhook sender (default: deliver() of webhook.ts). */
  deliver?: typeof deliverWebhook;
}

export interface NotifyIdleResult {
  /** Candidates the index returned. */
  found: number;
  notified: number;
  /** Claimed by another run, already notified, or changed since the query. */
  skipped: number;
  failed: number;
}

export const idleEventId = (c: Pick<IdleCandidate, 'sessionId' | 'lastActivityAt'>) =>
  `${c.sessionId}:${new Date(c.lastActivityAt).toISOString()}`;

export function idlePayload(c: IdleCandidate, now: number) {
  return {
    type: 'session.idle',
    eventId: idleEventId(c),
    tenantId: c.tenantId,
    userId: c.userId,
    sessionId: c.sessionId,
    topicId: c.topicId,
    status: c.status,
    lastActivityAt: new Date(c.lastActivityAt).toISOString(),
    idleMinutes: Math.floor((now - c.lastActivityAt) / 60_000),
    sentAt: new Date(now).toISOString(),
  };
}

export async function notifyIdle(deps: NotifyIdleDeps, opts: NotifyIdleOptions): Promise<NotifyIdleResult> {
  const log = deps.log ?? silentLogger;
  const send = deps.deliver ?? deliverWebhook;
  const runId = deps.runId ?? randomUUID();
  const leaseMs = deps.leaseMs ?? 120_000;
  const result: NotifyIdleResult = { found: 0, notified: 0, skipped: 0, failed: 0 };
  const start = deps.clock.now();
  for await (const batch of deps.store.findIdle(start - opts.minIdleMinutes * 60_000, start)) {
    for (const c of batch) {
      result.found++;
      const now = deps.clock.now();
      if (!(await deps.store.claim(c, runId, now + leaseMs, now))) {
        result.skipped++;
        continue;
      }
      const eventId = idleEventId(c);
      let status = 0;
      try {
        status = await send(deps.webhook, eventId, idlePayload(c, now), () => deps.clock.now());
      } catch (e) {
        log.warn('idle webhook failed', { eventId, error: String(e) });
      }
      if (status >= 200 && status < 300) {
        if (await deps.store.confirm(c, runId)) result.notified++;
        else {
          // Delivered, but the lease was lost (expired and taken, or new activity): counted, receivers dedupe.
          log.warn('idle notice delivered but not confirmed', { eventId });
          result.notified++;
        }
      } else {
        if (status) log.warn('idle webhook refused', { eventId, status });
        await deps.store.release(c, runId);
        result.failed++;
      }
    }
  }
  return result;
}

import { IdleCandidate } from '../../notify/notify-idle';
import { and, expr, isoTime, Item, unexpired } from '../schema';
import { isLiveSession } from './session';

/** notify-idle's claim and mark on the session item; writes that move the activity remove them (new period). */
export const IDLE_NOTICE_ATTRIBUTES = ['idleClaimFor', 'idleClaimUntil', 'idleClaimBy', 'idleNotifiedFor'];

/** Live, idle since before `before` by its own item, and not yet notified for this idle period. */
export function isIdleCandidate(item: Item, before: number): boolean {
  const at = typeof item.lastActivityAt === 'string' ? Date.parse(item.lastActivityAt) : NaN;
  return (item.status === 'ACTIVE' || item.status === 'PAUSED') && at < before && item.idleNotifiedFor !== item.lastActivityAt;
}

export function toCandidate(item: Item): IdleCandidate | null {
  const lastActivityAt = typeof item.lastActivityAt === 'string' ? Date.parse(item.lastActivityAt) : NaN;
  const fields = [item.tenantId, item.userId, item.sessionId, item.topicId, item.status];
  if (Number.isNaN(lastActivityAt) || fields.some((f) => typeof f !== 'string')) return null;
  return {
    tenantId: String(item.tenantId),
    userId: String(item.userId),
    sessionId: String(item.sessionId),
    topicId: String(item.topicId),
    status: String(item.status),
    lastActivityAt,
  };
}

/** What an export shows: an idle notification was sent for the idle period that began then. */
export const idleNotifiedFor = (item: Item) => (typeof item.idleNotifiedFor === 'string' ? item.idleNotifiedFor : null);

/** Not yet notified for this idle period (`period`: an attribute or a value placeholder). */
const notNotifiedFor = (period: string) => expr(`attribute_not_exists(idleNotifiedFor) OR idleNotifiedFor <> ${period}`);

/** Claims the notice of `c`'s idle period for `runId` until `leaseUntil`: still idle since then, live, not notified, no lease held. */
export function idleClaim(c: IdleCandidate, runId: string, leaseUntil: number, now: number) {
  const period = expr('lastActivityAt = :seen', { ':seen': isoTime(c.lastActivityAt) });
  // A lease written by an older version holds epoch ms: compared as a number (a string never equals one).
  const noLease = expr(
    'attribute_not_exists(idleClaimFor) OR idleClaimFor <> :seen OR idleClaimUntil < :nowIso' +
      ' OR (attribute_type(idleClaimUntil, :number) AND idleClaimUntil < :nowMs)',
    { ':seen': isoTime(c.lastActivityAt), ':nowIso': isoTime(now), ':number': 'N', ':nowMs': now },
  );
  return {
    UpdateExpression: expr('SET idleClaimFor = :seen, idleClaimUntil = :until, idleClaimBy = :run', {
      ':seen': isoTime(c.lastActivityAt),
      ':until': isoTime(leaseUntil),
      ':run': runId,
    }),
    ConditionExpression: and(period, isLiveSession, unexpired(now), notNotifiedFor(':seen'), noLease),
  };
}

/** The claim becomes the mark (only the run that holds it). */
export const idleConfirm = (c: IdleCandidate, runId: string) => ({
  UpdateExpression: expr('SET idleNotifiedFor = :seen REMOVE idleClaimFor, idleClaimUntil, idleClaimBy', { ':seen': isoTime(c.lastActivityAt), ':run': runId }),
  ConditionExpression: expr('idleClaimBy = :run AND idleClaimFor = :seen'),
});

/** The run gives its claim up. */
export const idleRelease = (runId: string) => ({
  UpdateExpression: expr('REMOVE idleClaimFor, idleClaimUntil, idleClaimBy', { ':run': runId }),
  ConditionExpression: expr('idleClaimBy = :run'),
});

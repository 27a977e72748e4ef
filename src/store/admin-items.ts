import { isLive, Session, SessionTransfer } from '../domain/session';
import { activitySk, idleGsiPk, idleGsiSk, idleShard, tenantLiveGsiPk, tenantTopicGsiPk } from './keys';
import { INDEXES, isoTime, Item } from './schema';

const { byTenantIdle, byIdle, byTenantTopic } = INDEXES;

/** Key attributes of the admin indexes: session items only (never holds or children). */
export const ADMIN_INDEX_ATTRIBUTES = [byTenantIdle, byIdle, byTenantTopic].flatMap((i) => [i.pk, i.sk]);

/**
 * The admin index keys of a session item. byTenantIdle and byIdle are sparse: their keys
 * exist only while the session is live, so an ended session leaves both indexes with the
 * very write that ends it. byTenantTopic lists every session.
 */
export function adminIndexAttributes(s: Session): Item {
  const live = isLive(s.status)
    ? {
        [byTenantIdle.pk]: tenantLiveGsiPk(s.tenantId),
        [byTenantIdle.sk]: activitySk(s.lastActivityAt, s.id),
        [byIdle.pk]: idleGsiPk(idleShard(s.id)),
        [byIdle.sk]: idleGsiSk(s.lastActivityAt, s.tenantId, s.id),
      }
    : {};
  return { ...live, [byTenantTopic.pk]: tenantTopicGsiPk(s.tenantId, s.topicId), [byTenantTopic.sk]: activitySk(s.lastActivityAt, s.id) };
}

/** Transfer audit attributes, stored on the session and its hold (a resume from the hold keeps them). */
export function transferAttributes(s: Session): Item {
  if (!s.transfer) return {};
  return {
    transferredAt: isoTime(s.transfer.at),
    transferredBy: s.transfer.by,
    transferredFrom: s.transfer.from,
  };
}

/** Reads the transfer audit back; absent (or malformed) means never transferred. */
export function readTransfer(item: Item): SessionTransfer | null {
  const at = typeof item.transferredAt === 'string' ? Date.parse(item.transferredAt) : NaN;
  if (Number.isNaN(at) || typeof item.transferredBy !== 'string' || typeof item.transferredFrom !== 'string') return null;
  return { at, by: item.transferredBy, from: item.transferredFrom };
}

import { isLive, Session, SessionTransfer } from '../domain/session';
import {
  idleGsiPk,
  idleGsiSk,
  idleShard,
  tenantLiveGsiPk,
  tenantLiveGsiSk,
  tenantTopicGsiPk,
  tenantTopicGsiSk,
} from './keys';

type Item = Record<string, unknown>;

/** Key attributes of the admin indexes: session items only (never holds or children). */
export const ADMIN_INDEX_ATTRIBUTES = ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'] as const;

/**
 * The admin index keys of a session item. byTenantIdle and byIdle are sparse: their keys
 * exist only while the session is live, so an ended session leaves both indexes with the
 * very write that ends it. byTenantTopic lists every session.
 */
export function adminIndexAttributes(s: Session): Item {
  const live = isLive(s.status)
    ? {
        gsi2pk: tenantLiveGsiPk(s.tenantId),
        gsi2sk: tenantLiveGsiSk(s.lastActivityAt, s.id),
        gsi3pk: idleGsiPk(idleShard(s.id)),
        gsi3sk: idleGsiSk(s.lastActivityAt, s.tenantId, s.id),
      }
    : {};
  return { ...live, gsi4pk: tenantTopicGsiPk(s.tenantId, s.topicId), gsi4sk: tenantTopicGsiSk(s.lastActivityAt, s.id) };
}

/** Transfer audit attributes, stored on the session and its hold (a resume from the hold keeps them). */
export function transferAttributes(s: Session): Item {
  if (!s.transfer) return {};
  return {
    transferredAt: new Date(s.transfer.at).toISOString(),
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

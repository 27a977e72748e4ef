import { isLive, Ownership, Session, SessionTransfer } from '../../domain/session';
import { expr, INDEXES, isoTime, Item, set, TYPE_ATTRIBUTE } from '../schema';
import { encodeId } from '../keys';
import { DEFAULT_IDLE_INDEX_SHARDS, MAX_IDLE_INDEX_SHARDS } from '../../defaults';

const { byTenantIdle, byIdle, byTenantTopic } = INDEXES;

/** Key attributes of the admin indexes: session items only (never holds or children). */
export const ADMIN_INDEX_ATTRIBUTES = [byTenantIdle, byIdle, byTenantTopic].flatMap((i) => [i.pk, i.sk]);

/**
 * How far the admin indexes' activity time may lag: moving a sort key rewrites three indexes,
 * so not on every message. Readers only find candidates by it and decide on the item.
 */
export const ADMIN_INDEX_LAG_MS = 60 * 60_000;

/** The admin index keys; byTenantIdle and byIdle exist only while live, so ending leaves both. */
export function adminIndexAttributes(s: Session, indexedAt: number): Item {
  const live = isLive(s.status)
    ? {
        [byTenantIdle.pk]: tenantLiveGsiPk(s.tenantId),
        [byTenantIdle.sk]: activitySk(indexedAt, s.id),
        [byIdle.pk]: idleGsiPk(idleShard(s.id)),
        [byIdle.sk]: idleGsiSk(indexedAt, s.tenantId, s.id),
      }
    : {};
  return { ...live, [byTenantTopic.pk]: tenantTopicGsiPk(s.tenantId, s.topicId), [byTenantTopic.sk]: activitySk(indexedAt, s.id) };
}

/** The activity time of a stored session item's admin keys (from its byTenantTopic sort key); null when it has none. */
export function indexedAtOf(item: Item): number | null {
  const sk = item[byTenantTopic.sk];
  const at = typeof sk === 'string' ? Date.parse(sk.slice(0, sk.indexOf('#'))) : NaN;
  return Number.isNaN(at) ? null : at;
}

/** The admin keys' activity time for `next`, written over keys for `indexedAt` (null: unknown). */
export function nextIndexedAt(indexedAt: number | null, next: Session): number {
  if (indexedAt === null || indexedAt > next.lastActivityAt || next.lastActivityAt - indexedAt >= ADMIN_INDEX_LAG_MS) return next.lastActivityAt;
  return indexedAt;
}

/** Session items written before the admin indexes existed (a scan filter: one-off upgrade, admin-backfill.ts). */
export const UNINDEXED_SESSIONS = expr(`#type = :session AND attribute_not_exists(${byTenantTopic.pk})`, { ':session': 'SESSION' }, { '#type': TYPE_ATTRIBUTE });

/** SET of the admin keys a session should have (for its own activity time). */
export function adminKeysSet(s: Session) {
  const keys = adminIndexAttributes(s, s.lastActivityAt);
  return set(...ADMIN_INDEX_ATTRIBUTES.filter((n) => keys[n] !== undefined).map((n) => expr(`${n} = :${n}`, { [`:${n}`]: keys[n] })));
}

/** Transfer audit attributes, stored on the session item. */
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

/** `owners` ({ userId, fromSeq }) and `sharedBy` (domain/visibility.ts); absent while empty. */
export function ownershipAttributes(s: Session): Item {
  return {
    ...(s.owners?.length ? { owners: s.owners.map((o) => ({ userId: o.userId, fromSeq: o.fromSeq })) } : {}),
    ...(s.sharedBy?.length ? { sharedBy: [...s.sharedBy] } : {}),
  };
}

/** Reads them back. A malformed ownership list reads as one of nobody's from seq 1: everything hidden, the safe side. */
export function readOwnership(item: Item): Pick<Session, 'owners' | 'sharedBy'> {
  const out: Pick<Session, 'owners' | 'sharedBy'> = {};
  if (item.owners !== undefined) {
    const valid = Array.isArray(item.owners) && item.owners.length > 0 && item.owners.every(isOwnership);
    out.owners = valid ? (item.owners as Ownership[]).map((o) => ({ userId: o.userId, fromSeq: o.fromSeq })) : [{ userId: '', fromSeq: 1 }];
  }
  if (Array.isArray(item.sharedBy)) out.sharedBy = item.sharedBy.filter((u): u is string => typeof u === 'string');
  return out;
}

const isOwnership = (o: unknown): o is Ownership =>
  typeof o === 'object' && o !== null && typeof (o as Ownership).userId === 'string' && Number.isInteger((o as Ownership).fromSeq);

/**
 * Shards of byIdle, so the cross-tenant live set is not one hot index partition: every
 * session start and end writes its shard (docs/scaling.md). Writers spread over
 * IDLE_INDEX_SHARDS of them; readers read all IDLE_SHARDS_MAX, so any count (and a change of
 * it, or processes that disagree) finds every entry. Earlier versions used 8.
 */
export const IDLE_SHARDS_MAX = MAX_IDLE_INDEX_SHARDS;
let idleShards = DEFAULT_IDLE_INDEX_SHARDS;

/** Sets the shard count new index keys are written with (config IDLE_INDEX_SHARDS); only spreads load. */
export function configureIdleShards(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > IDLE_SHARDS_MAX) throw new RangeError(`idle shards must be 1..${IDLE_SHARDS_MAX}`);
  idleShards = n;
}

export const tenantLiveGsiPk = (tenantId: string) => `T#${encodeId(tenantId)}#LIVE`;

/** FNV-1a of the session id, so a session always lands in the same shard (for a given count). */
export function idleShard(sessionId: string, shards = idleShards): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

export const idleGsiPk = (shard: number) => `LIVE#${shard}`;

export const idleGsiSk = (lastActivityAt: number, tenantId: string, sessionId: string) =>
  `${isoTime(lastActivityAt)}#${encodeId(tenantId)}#${sessionId}`;

export const tenantTopicGsiPk = (tenantId: string, topicId: string) => `T#${encodeId(tenantId)}#TOPIC#${topicId}`;

/** The sort key of byUser, byTenantIdle and byTenantTopic (activity time, then id); cursors are these. */
export const activitySk = (lastActivityAt: number, sessionId: string) => `${isoTime(lastActivityAt)}#${sessionId}`;

/**
 * Key builders for the single table; the layout, item by item, is in docs/data-model.md.
 * Ids from tokens are URI-encoded so a "#" in a tenant or user id cannot forge a key.
 */
import { isoTime } from './schema';

// Re-exported for the bench and infrastructure tests, which import them from here.
export { BY_IDLE_INDEX, BY_TENANT_IDLE_INDEX, BY_TENANT_TOPIC_INDEX, BY_USER_INDEX, nowSeconds, toTtl, TTL_ATTRIBUTE } from './schema';

/** Shards of byIdle, so the cross-tenant live set is not one hot index partition. */
export const IDLE_SHARDS = 8;

const enc = encodeURIComponent;
const SEQ_DIGITS = 8;

export interface Key {
  pk: string;
  sk: string;
}

export const keyOf = (item: Record<string, unknown>): Key => ({ pk: String(item.pk), sk: String(item.sk) });

export const sessionPk = (tenantId: string, sessionId: string) => `T#${enc(tenantId)}#S#${sessionId}`;
export const sessionKey = (tenantId: string, sessionId: string): Key => ({ pk: sessionPk(tenantId, sessionId), sk: 'SESSION' });
export const holdKey = (tenantId: string, topicId: string): Key => ({ pk: `T#${enc(tenantId)}#TOPIC#${topicId}`, sk: 'HOLD' });
export const tenantTopicsPk = (tenantId: string) => `T#${enc(tenantId)}#TOPICS`;
export const tenantTopicSk = (topicId: string) => `TOPIC#${topicId}`;
export const tenantTopicKey = (tenantId: string, topicId: string): Key => ({ pk: tenantTopicsPk(tenantId), sk: tenantTopicSk(topicId) });
export const messageSk = (seq: number) => `MSG#${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const messageKey = (tenantId: string, sessionId: string, seq: number): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: messageSk(seq),
});
export const clientMessageKey = (tenantId: string, sessionId: string, clientMessageId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `CMID#${clientMessageId}`,
});
export const MESSAGE_SK_FIRST = messageSk(1);
export const MESSAGE_SK_LAST = messageSk(10 ** SEQ_DIGITS - 1);

/** The sort key of byUser, byTenantIdle and byTenantTopic (activity time, then id); cursors are these. */
export const activitySk = (lastActivityAt: number, sessionId: string) => `${isoTime(lastActivityAt)}#${sessionId}`;

export const userGsiPk = (tenantId: string, userId: string) => `T#${enc(tenantId)}#U#${enc(userId)}`;


export const TRANSFER_SK_PREFIX = 'XFER#';
export const transferSk = (seq: number) => `${TRANSFER_SK_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const transferKey = (tenantId: string, sessionId: string, seq: number): Key => ({ pk: sessionPk(tenantId, sessionId), sk: transferSk(seq) });
export const TRANSFER_SK_LAST = transferSk(10 ** SEQ_DIGITS - 1);
/** A transfer as one of the users it moved the session from or to lists it (myTransfers). */
export const USER_TRANSFER_SK_PREFIX = 'XFERU#';
export const userTransferKey = (tenantId: string, sessionId: string, userId: string, seq: number): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `${USER_TRANSFER_SK_PREFIX}${enc(userId)}#${String(seq).padStart(SEQ_DIGITS, '0')}`,
});
/** Its sort key in the user's mentionGsiPk partition: by time, then session and seq (unique). */
export const USER_TRANSFER_GSI_PREFIX = 'X#';
export const userTransferGsiSk = (at: number, sessionId: string, seq: number) =>
  `${USER_TRANSFER_GSI_PREFIX}${isoTime(at)}#${sessionId}#${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const mentionKey = (tenantId: string, sessionId: string, userId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `MENTION#${enc(userId)}`,
});
/** byUser's partition of the items that name a user without being their session: mentions and erasure audits they made. */
export const mentionGsiPk = (tenantId: string, userId: string) => `T#${enc(tenantId)}#M#${enc(userId)}`;
/** The sort key of a session's mention in mentionGsiPk (a session id sorts and is checked as such). */
export const mentionGsiSk = (sessionId: string) => `S#${sessionId}`;
export const userPk = (tenantId: string, userId: string) => `T#${enc(tenantId)}#USER#${enc(userId)}`;
export const OUTCOME_SK_PREFIX = 'OUTCOME#';
export const outcomeKey = (tenantId: string, userId: string, topicId: string): Key => ({ pk: userPk(tenantId, userId), sk: `${OUTCOME_SK_PREFIX}${topicId}` });
export const auditPk = (tenantId: string) => `T#${enc(tenantId)}#AUDIT`;
export const erasureAuditKey = (tenantId: string, at: number, id: string): Key => ({ pk: auditPk(tenantId), sk: `ERASURE#${isoTime(at)}#${id}` });
/** The sort key of an erasure audit in its actor's mentionGsiPk partition (an admin who erased someone). */
export const auditGsiSk = (at: number, id: string) => `A#${isoTime(at)}#${id}`;


export const tenantLiveGsiPk = (tenantId: string) => `T#${enc(tenantId)}#LIVE`;

/** FNV-1a of the session id, so a session always lands in the same shard. */
export function idleShard(sessionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % IDLE_SHARDS;
}
export const idleGsiPk = (shard: number) => `LIVE#${shard}`;
export const idleGsiSk = (lastActivityAt: number, tenantId: string, sessionId: string) =>
  `${isoTime(lastActivityAt)}#${enc(tenantId)}#${sessionId}`;

export const tenantTopicGsiPk = (tenantId: string, topicId: string) => `T#${enc(tenantId)}#TOPIC#${topicId}`;

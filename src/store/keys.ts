/**
 * The single-table key layout (documented in docs/data-model.md):
 *
 *   pk                         sk                  what
 *   T#<tenant>#S#<sessionId>   SESSION             the session (also in GSI byUser)
 *   T#<tenant>#S#<sessionId>   MSG#<seq, 8 digits> one message
 *   T#<tenant>#S#<sessionId>   CMID#<clientMsgId>  idempotency record of a sendMessage
 *   T#<tenant>#TOPIC#<topicId> HOLD                the live session holding the topic
 *   T#<tenant>#TOPICS          TOPIC#<topicId>     a tenant's own topic (or override/archive of a default);
 *                                                  configuration, not session data: no ttl
 *   T#<tenant>#S#<sessionId>   XFER#<seq, 8 digits> one transfer of the session (append-only history)
 *   T#<tenant>#S#<sessionId>   XFERU#<userId>#<seq, 8 digits> that transfer, as its previous or new owner lists it
 *                                                  (myTransfers: in byUser under gsi1pk = T#<tenant>#M#<userId>,
 *                                                  gsi1sk = X#<at ISO>#<sessionId>#<seq, 8 digits>)
 *   T#<tenant>#S#<sessionId>   MENTION#<userId>    the user owns, owned or transferred the session (also in byUser,
 *                                                  under gsi1pk = T#<tenant>#M#<userId>): how erasure and export find it
 *   T#<tenant>#USER#<userId>   OUTCOME#<topicId>   the user's outcome for a topic (no session ttl; a retention of its own)
 *   T#<tenant>#AUDIT           ERASURE#<at>#<id>   that an erasure happened: who, whom, when, counts (ttl: the audit retention)
 *
 *   GSI byUser: gsi1pk = T#<tenant>#U#<userId>, gsi1sk = <lastActivityAt ISO, to the minute>#<sessionId>
 *
 *   Admin indexes (session items only, keys only; the index time lags the activity by up to an hour, see items/session-indexes.ts):
 *   GSI byTenantIdleV2:  gsi2pk = T#<tenant>#LIVE (only while live), gsi2sk = <index time ISO>#<sessionId>
 *   GSI byIdleV2:        gsi3pk = LIVE#<shard 0..7> (only while live), gsi3sk = <index time ISO>#<tenant>#<sessionId>
 *   GSI byTenantTopicV2: gsi4pk = T#<tenant>#TOPIC#<topicId>, gsi4sk = <index time ISO>#<sessionId>
 *
 * Ids from tokens are URI-encoded so a "#" in a tenant or user id cannot forge a key.
 * Each item type's attributes and conditions are in its module under items/; index names and
 * time formats in schema.ts.
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

/** The key of an item read from the table. */
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

/**
 * The sort key of byUser, byTenantIdle and byTenantTopic: a session's position in its
 * index partition, ordered by an activity time (then id). Cursors are these (cursor.ts).
 */
export const activitySk = (lastActivityAt: number, sessionId: string) => `${isoTime(lastActivityAt)}#${sessionId}`;

export const userGsiPk = (tenantId: string, userId: string) => `T#${enc(tenantId)}#U#${enc(userId)}`;

// ---- user data: transfer history, mentions, outcomes, erasure audit (items/) ----

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

// ---- admin indexes --------------------------------------------------------------

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

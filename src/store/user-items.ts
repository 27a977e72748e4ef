import { ErasureCounts, Outcome, TransferEntry } from '../domain/user-data';
import { storedResultOf } from './coach-items';
import { CorruptItemError, num, str, time } from './item-check';
import { auditGsiSk, erasureAuditKey, mentionGsiPk, mentionGsiSk, mentionKey, outcomeKey, transferKey, userTransferGsiSk, userTransferKey } from './keys';
import { expr, INDEXES, isoTime, Item, params, toTtl, TTL_ATTRIBUTE } from './schema';
import { TransactItem } from './table-io';

/**
 * The items of a user's data that are not a session's conversation (docs/data-model.md):
 * transfer history entries and mentions (children of a session: they carry its children's
 * ttl, child-ttl.ts), outcomes (in the user's own partition, no session ttl) and the audit
 * of an erasure (its own retention, ERASURE_AUDIT_RETENTION_DAYS). Every item here has a `type`, which child-ttl.ts and erasure.ts go by.
 */

/** The types of a session's children, besides its messages and sendMessage records. */
export const MENTION = 'MENTION';
export const TRANSFER = 'TRANSFER';
/** A transfer as the user it moved the session from or to lists it (myTransfers). */
export const USER_TRANSFER = 'USER_TRANSFER';
export const OUTCOME = 'OUTCOME';
export const ERASURE = 'ERASURE';

const { byUser } = INDEXES;

/**
 * That `userId` owns or owned the session (`owner`), or moved it as an admin: an item in the
 * session's partition that byUser also lists under T#<tenant>#M#<userId>, so that erasure
 * and export find the session (and its messages, for up to a day after TTL removed the
 * session item) without a scan. An Update, so an admin's mention never clears `owner`.
 */
export function mentionWrite(table: string, tenantId: string, ref: { sessionId: string; topicId: string }, userId: string, owner: boolean, ttl: number): TransactItem {
  const values = {
    ':type': MENTION,
    ':sid': ref.sessionId,
    ':topic': ref.topicId,
    ':user': userId,
    ':gpk': mentionGsiPk(tenantId, userId),
    ':gsk': mentionGsiSk(ref.sessionId),
    ':ttl': ttl,
    ':owner': owner,
  };
  // OWNER is a DynamoDB reserved word: always through a name placeholder.
  const ownerSet = owner ? '#owner = :owner' : '#owner = if_not_exists(#owner, :owner)';
  const update = expr(
    `SET #type = :type, sessionId = :sid, topicId = :topic, userId = :user, ${byUser.pk} = :gpk, ${byUser.sk} = :gsk, #ttl = :ttl, ${ownerSet}`,
    values,
    { '#type': 'type', '#ttl': TTL_ATTRIBUTE, '#owner': 'owner' },
  );
  return { Update: { TableName: table, Key: mentionKey(tenantId, ref.sessionId, userId), ...params({ UpdateExpression: update }) } };
}

export function transferItem(tenantId: string, t: TransferEntry, ttl: number): Item {
  return {
    ...transferKey(tenantId, t.sessionId, t.seq),
    type: TRANSFER,
    sessionId: t.sessionId,
    seq: t.seq,
    at: isoTime(t.at),
    fromUserId: t.from,
    toUserId: t.to,
    byUserId: t.by,
    ...(t.topicId !== null ? { topicId: t.topicId } : {}),
    withContent: t.withContent,
    [TTL_ATTRIBUTE]: ttl,
  };
}

/**
 * The copy of a transfer entry that `userId` (its previous or new owner) lists in myTransfers:
 * a child of the session (its ttl follows the session's, child-ttl.ts) that byUser lists
 * under the user's mention partition, newest last.
 */
export function userTransferItem(tenantId: string, t: TransferEntry, userId: string, ttl: number): Item {
  const { [TTL_ATTRIBUTE]: _ttl, ...fields } = transferItem(tenantId, t, ttl);
  return {
    ...fields,
    ...userTransferKey(tenantId, t.sessionId, userId, t.seq),
    type: USER_TRANSFER,
    [byUser.pk]: mentionGsiPk(tenantId, userId),
    [byUser.sk]: userTransferGsiSk(t.at, t.sessionId, t.seq),
    [TTL_ATTRIBUTE]: ttl,
  };
}

export function toTransfer(item: Item): TransferEntry {
  const fail = () => new CorruptItemError('transfer', item);
  return {
    sessionId: str(item.sessionId, fail),
    seq: num(item.seq, fail),
    at: time(item.at, fail),
    from: str(item.fromUserId, fail),
    to: str(item.toUserId, fail),
    by: str(item.byUserId, fail),
    topicId: typeof item.topicId === 'string' ? item.topicId : null,
    withContent: item.withContent === true,
  };
}

/** The outcome item: a ttl only when a retention is configured (kept otherwise). */
export function outcomeItem(o: Outcome): Item {
  return {
    ...outcomeKey(o.tenantId, o.userId, o.topicId),
    type: OUTCOME,
    tenantId: o.tenantId,
    userId: o.userId,
    topicId: o.topicId,
    sessionId: o.sessionId,
    completedAt: isoTime(o.completedAt),
    ...(o.result ? { result: JSON.stringify(o.result) } : {}),
    ...(o.resultError ? { resultError: o.resultError } : {}),
    ...(o.expiresAt !== null ? { [TTL_ATTRIBUTE]: toTtl(o.expiresAt) } : {}),
  };
}

export function toOutcome(item: Item): Outcome {
  const fail = () => new CorruptItemError('outcome', item);
  const ttl = item[TTL_ATTRIBUTE];
  return {
    tenantId: str(item.tenantId, fail),
    userId: str(item.userId, fail),
    topicId: str(item.topicId, fail),
    sessionId: str(item.sessionId, fail),
    completedAt: time(item.completedAt, fail),
    ...storedResultOf(item),
    expiresAt: typeof ttl === 'number' ? ttl * 1000 : null,
  };
}

/** Kept (no ttl), or within its retention. */
export const outcomeIsLive = (item: Item | undefined, now: number): item is Item => {
  if (item === undefined) return false;
  const ttl = item[TTL_ATTRIBUTE];
  return ttl === undefined || (typeof ttl === 'number' && ttl * 1000 > now);
};

export interface ErasureAudit {
  id: string;
  tenantId: string;
  /** Whose data was erased. */
  userId: string;
  /** Who erased it: an admin, or the user themselves. */
  by: string;
  at: number;
  counts: ErasureCounts;
  /** When the entry goes (ms): the audit is a record that the request was carried out, not kept forever. */
  expiresAt: number;
}

/** An erasure audit within its retention; one written before audits had a ttl is kept. */
export const auditIsLive = (item: Item | undefined, now: number): item is Item => outcomeIsLive(item, now);



/**
 * That an erasure happened: whom, who, when and the counts, nothing of the content. The one
 * item that still names the erased user (the record that their request was carried out). An
 * admin's erasure of someone else is listed under the admin's mentions, so that erasing the
 * admin later reaches it.
 */
export function erasureAuditItem(a: ErasureAudit): Item {
  return {
    ...erasureAuditKey(a.tenantId, a.at, a.id),
    type: ERASURE,
    erasureId: a.id,
    userId: a.userId,
    erasedBy: a.by,
    at: isoTime(a.at),
    ...a.counts,
    [TTL_ATTRIBUTE]: toTtl(a.expiresAt),
    ...(a.by !== a.userId ? { [byUser.pk]: mentionGsiPk(a.tenantId, a.by), [byUser.sk]: auditGsiSk(a.at, a.id) } : {}),
  };
}

import { TransferEntry } from '../../domain/user-data';
import { and, expr, INDEXES, indexKeys, isoTime, Item, ITEM_PRESENT, sortBeginsWith, sortBetween, TTL_ATTRIBUTE } from '../schema';
import { CorruptItemError, num, str, time } from './check';
import { mentionGsiPk } from './mention';
import { sessionPk } from './session';
import { encodeId, seqPart, MAX_SEQ, Key } from '../keys';

/** A transfer entry (XFER#) and a copy per owner (XFERU#, listed by myTransfers); ttl as a child. */
export const TRANSFER = 'TRANSFER';
export const USER_TRANSFER = 'USER_TRANSFER';

const { byUser } = INDEXES;
/** The attributes of an entry that name a user. */
const USER_ATTRIBUTES = ['fromUserId', 'toUserId', 'byUserId'] as const;

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

/** The copy of a transfer entry that `userId` (its previous or new owner) lists in myTransfers, newest last. */
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

/** Whether an entry (or copy) names `userId` as its previous owner, new owner or admin. */
export const namesUser = (item: Item, userId: string) => USER_ATTRIBUTES.some((a) => item[a] === userId);
/** `userId`'s own copy (listed under their mention partition). */
export const isCopyOf = (item: Item, tenantId: string, userId: string) => item.type === USER_TRANSFER && item[byUser.pk] === mentionGsiPk(tenantId, userId);

/** The entries of a session after `afterSeq` (key condition). */
export const transfersAfter = (tenantId: string, sessionId: string, afterSeq: number) => sortBetween(sessionPk(tenantId, sessionId), transferSk(afterSeq + 1), TRANSFER_SK_LAST);
/** The owners' copies in a session's partition (key condition). */
export const userTransferCopies = (pk: string) => sortBeginsWith(pk, USER_TRANSFER_SK_PREFIX);
/** The user's copies in byUser, from the newest, strictly below `hi` (a sort key bound; null: all). */
export const userTransfersUpTo = (tenantId: string, userId: string, hi: string | null) =>
  indexKeys(byUser, mentionGsiPk(tenantId, userId), { between: [USER_TRANSFER_GSI_PREFIX, hi ?? `${USER_TRANSFER_GSI_PREFIX}\uffff`] });

/** An entry (or copy) rewritten to name whom `after` names (an erasure's pseudonym, domain/erasure.ts), while it still names `userId`. */
export function transferRewrite(before: TransferEntry, after: TransferEntry, userId: string) {
  const changed = ([['fromUserId', 'from'], ['toUserId', 'to'], ['byUserId', 'by']] as const).filter(([, f]) => before[f] !== after[f]);
  const values = Object.fromEntries(changed.map(([a, f]) => [`:${a}`, after[f]]));
  return {
    UpdateExpression: expr(`SET ${changed.map(([a]) => `${a} = :${a}`).join(', ')}`, values),
    ConditionExpression: and(ITEM_PRESENT, expr(`${changed[0][0]} = :u`, { ':u': userId })),
  };
}

export const TRANSFER_SK_PREFIX = 'XFER#';

export const transferSk = (seq: number) => `${TRANSFER_SK_PREFIX}${seqPart(seq)}`;

export const transferKey = (tenantId: string, sessionId: string, seq: number): Key => ({ pk: sessionPk(tenantId, sessionId), sk: transferSk(seq) });

export const TRANSFER_SK_LAST = transferSk(MAX_SEQ);

/** A transfer as one of the users it moved the session from or to lists it (myTransfers). */
export const USER_TRANSFER_SK_PREFIX = 'XFERU#';

export const userTransferKey = (tenantId: string, sessionId: string, userId: string, seq: number): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `${USER_TRANSFER_SK_PREFIX}${encodeId(userId)}#${seqPart(seq)}`,
});

/** Its sort key in the user's mentionGsiPk partition: by time, then session and seq (unique). */
export const USER_TRANSFER_GSI_PREFIX = 'X#';

export const userTransferGsiSk = (at: number, sessionId: string, seq: number) =>
  `${USER_TRANSFER_GSI_PREFIX}${isoTime(at)}#${sessionId}#${seqPart(seq)}`;

import { ClientMessageRecord } from '../../sessions/repository';
import { and, assignTtl, expr, Item, ITEM_PRESENT, set, TTL_ATTRIBUTE, unexpired } from '../schema';
import { sessionPk } from './session';
import { Key } from '../keys';

/** A sendMessage's idempotency record: the reply is at userSeq + 1 (or `replySeq`, older layout). */
export const CLIENT_MESSAGE = 'CLIENT_MESSAGE';

export function clientMessageItem(tenantId: string, sessionId: string, clientMessageId: string, userSeq: number, ttl: number): Item {
  return { ...clientMessageKey(tenantId, sessionId, clientMessageId), type: CLIENT_MESSAGE, userSeq, [TTL_ATTRIBUTE]: ttl };
}

export function toClientMessageRecord(item: Item): ClientMessageRecord {
  return {
    userSeq: Number(item.userSeq),
    replySeq: typeof item.replySeq === 'number' ? item.replySeq : null,
    replyFailed: item.replyFailed === true,
  };
}

const noReplyYet = expr('attribute_not_exists(replySeq)');

/** A reply stored at another seq completes the record, only while it has none. */
export const replySeqRecorded = (seq: number, ttl: number) => ({
  UpdateExpression: set(expr('replySeq = :seq', { ':seq': seq }), assignTtl(ttl)),
  ConditionExpression: and(ITEM_PRESENT, noReplyYet),
});

/** Notes that the coach failed, unless a reply got recorded meanwhile. */
export const replyFailedNoted = (now: number) => ({
  UpdateExpression: expr('SET replyFailed = :yes', { ':yes': true }),
  ConditionExpression: and(ITEM_PRESENT, noReplyYet, unexpired(now)),
});

export const clientMessageKey = (tenantId: string, sessionId: string, clientMessageId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `CMID#${clientMessageId}`,
});

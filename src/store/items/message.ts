import { Message } from '../../domain/session';
import { ERASED_CONTENT } from '../../domain/user-data';
import { and, expr, Expression, isoTime as iso, Item, ITEM_PRESENT, sortBetween, TTL_ATTRIBUTE, unexpired } from '../schema';
import { CorruptItemError, num, str, time } from './check';
import { sessionPk } from './session';
import { seqPart, MAX_SEQ, Key } from '../keys';
import { usageAttributes, usageOf } from './usage';

/** One message of a conversation (T#<tenant>#S#<sessionId> / MSG#<seq, 8 digits>): a child of its session. */
export const MESSAGE = 'MESSAGE';

export function messageItem(tenantId: string, m: Message, ttl: number): Item {
  return {
    ...messageKey(tenantId, m.sessionId, m.seq),
    type: MESSAGE,
    seq: m.seq,
    role: m.role,
    content: m.content,
    createdAt: iso(m.createdAt),
    ...(m.clientMessageId ? { clientMessageId: m.clientMessageId } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.authorId !== undefined ? { authorId: m.authorId } : {}),
    ...(m.revision ? { revision: m.revision } : {}),
    ...(m.rating !== undefined ? { rating: m.rating, ratingComment: m.ratingComment ?? null } : {}),
    ...usageAttributes(m.usage),
    [TTL_ATTRIBUTE]: ttl,
  };
}

export function toMessage(item: Item, sessionId: string): Message {
  const fail = () => new CorruptItemError('message', item);
  const role = item.role;
  if (role !== 'USER' && role !== 'ASSISTANT') throw fail();
  const m: Message = {
    sessionId,
    seq: num(item.seq, fail),
    role,
    content: str(item.content, fail),
    createdAt: time(item.createdAt, fail),
  };
  if (typeof item.clientMessageId === 'string') m.clientMessageId = item.clientMessageId;
  if (typeof item.replyTo === 'number') m.replyTo = item.replyTo;
  if (typeof item.authorId === 'string') m.authorId = item.authorId;
  if (typeof item.revision === 'number' && item.revision > 0) m.revision = item.revision;
  if (typeof item.rating === 'number') {
    m.rating = item.rating;
    m.ratingComment = typeof item.ratingComment === 'string' ? item.ratingComment : null;
  }
  const usage = usageOf(item);
  if (usage) m.usage = usage;
  return m;
}

/**
 * A coach message's rating, replacing an earlier one; only an unexpired coach message takes it.
 * `previous` (the rating read, null: none): only over that one, so the topic's rating counter
 * written beside it adjusts by what really changed.
 */
export function messageRating(rating: number, comment: string | null, now: number, previous?: number | null) {
  const was = previous === undefined ? [] : [previous === null ? expr('attribute_not_exists(rating)') : expr('rating = :was', { ':was': previous })];
  return {
    UpdateExpression: expr('SET rating = :r, ratingComment = :c', { ':r': rating, ':c': comment }),
    ConditionExpression: and(ITEM_PRESENT, expr('#role = :assistant', { ':assistant': 'ASSISTANT' }, { '#role': 'role' }), unexpired(now), ...was),
  };
}

/** The seq of a message item (a position, also when the item is past its ttl). */
export const seqOf = (item: Item) => Number(item.seq);

/** Messages with seqs from `lo` to `hi` (inclusive; null: from the first, to the last); null when that range is empty. */
export function messagesBetween(tenantId: string, sessionId: string, lo: number | null, hi: number | null): Expression | null {
  const from = lo === null ? MESSAGE_SK_FIRST : messageSk(lo);
  const to = hi === null ? MESSAGE_SK_LAST : messageSk(hi);
  return from > to ? null : sortBetween(sessionPk(tenantId, sessionId), from, to);
}

/**
 * An erased user's message (`written`: theirs, only while it still is; else a reply to it,
 * only once) keeps its seq, its content replaced and its author and client message id removed.
 */
export function messageRedaction(userId: string, written: boolean) {
  return {
    UpdateExpression: expr('SET content = :c, redacted = :yes REMOVE authorId, clientMessageId', { ':c': ERASED_CONTENT, ':yes': true }),
    ConditionExpression: written ? and(ITEM_PRESENT, expr('authorId = :u', { ':u': userId })) : and(ITEM_PRESENT, expr('attribute_not_exists(redacted)')),
  };
}

export const messageSk = (seq: number) => `MSG#${seqPart(seq)}`;

export const messageKey = (tenantId: string, sessionId: string, seq: number): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: messageSk(seq),
});

export const MESSAGE_SK_FIRST = messageSk(1);

export const MESSAGE_SK_LAST = messageSk(MAX_SEQ);

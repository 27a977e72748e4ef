import { ERASED_RESULT, Outcome } from '../../domain/user-data';
import { expr, isoTime, Item, or, sortBeginsWith, sortBetween, toTtl, TTL_ATTRIBUTE, unexpired } from '../schema';
import { storedResultOf } from './session-coach';
import { CorruptItemError, str, time } from './check';
import { encodeId, Key } from '../keys';

/** A user's outcome for a topic (T#<tenant>#USER#<userId> / OUTCOME#<topicId>): the latest completion wins. */
export const OUTCOME = 'OUTCOME';

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

/** The topic of an outcome item: its position in the user's outcomes. */
export const topicOf = (item: Item) => String(item.topicId);

/** Kept (no ttl), or within its retention. */
export const outcomeIsLive = (item: Item | undefined, now: number): item is Item => {
  if (item === undefined) return false;
  const ttl = item[TTL_ATTRIBUTE];
  return ttl === undefined || (typeof ttl === 'number' && ttl * 1000 > now);
};

/** The filter twin of outcomeIsLive. */
export const keptOrUnexpired = (now: number) => or(expr('attribute_not_exists(#ttl)', undefined, { '#ttl': TTL_ATTRIBUTE }), unexpired(now));

/** Topic ids are `[a-z0-9_-]`, all above `#`, so `OUTCOME#<after>#` starts right after `<after>`. */
export const outcomesAfter = (tenantId: string, userId: string, afterTopicId: string | null) =>
  sortBetween(userPk(tenantId, userId), afterTopicId === null ? OUTCOME_SK_PREFIX : `${OUTCOME_SK_PREFIX}${afterTopicId}#`, 'OUTCOME$');
export const anyOutcome = (tenantId: string, userId: string) => sortBeginsWith(userPk(tenantId, userId), OUTCOME_SK_PREFIX);

/** An erasure removed what the result was extracted from: it goes, if the outcome is still this session's. */
export const outcomeResultDropped = (sessionId: unknown) => ({
  UpdateExpression: expr('SET resultError = :why REMOVE #result', { ':why': ERASED_RESULT }, { '#result': 'result' }),
  ConditionExpression: expr('sessionId = :sid', { ':sid': sessionId }),
});

export const userPk = (tenantId: string, userId: string) => `T#${encodeId(tenantId)}#USER#${encodeId(userId)}`;

export const OUTCOME_SK_PREFIX = 'OUTCOME#';

export const outcomeKey = (tenantId: string, userId: string, topicId: string): Key => ({ pk: userPk(tenantId, userId), sk: `${OUTCOME_SK_PREFIX}${topicId}` });

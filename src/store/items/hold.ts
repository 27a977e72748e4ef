import { Session } from '../../domain/session';
import { Hold } from '../../sessions/repository';
import { expired, expr, isoTime as iso, Item, ITEM_ABSENT, or, toTtl, TTL_ATTRIBUTE } from '../schema';
import { CorruptItemError, num, str, time } from './check';
import { identityAttributes } from './session';
import { encodeId, Key } from '../keys';

/** The hold: what sessionCheck shows in one read; a coach reply changes none of it, so never writes it. */
export const HOLD = 'HOLD';

export function holdAttributes(s: Session): Item {
  return {
    ...identityAttributes(s),
    lastActivityAt: iso(s.lastActivityAt),
    turnCount: s.turnCount ?? 0,
    [TTL_ATTRIBUTE]: toTtl(s.expiresAt),
  };
}

export function holdItem(s: Session): Item {
  return { ...holdKey(s.tenantId, s.topicId), type: HOLD, ...holdAttributes(s) };
}

/** Reads a hold item back (holds written by earlier versions carried more; only this is read). */
export function toHold(item: Item): Hold {
  const fail = () => new CorruptItemError('hold', item);
  const status = item.status;
  if (status !== 'ACTIVE' && status !== 'PAUSED') throw fail();
  return {
    sessionId: str(item.sessionId, fail),
    userId: str(item.userId, fail),
    status,
    lastActivityAt: time(item.lastActivityAt, fail),
    expiresAt: num(item[TTL_ATTRIBUTE], fail) * 1000,
    turnCount: typeof item.turnCount === 'number' ? item.turnCount : 0,
  };
}

/** A new live session takes the hold only if there is none, or only an expired one. */
export const holdIsFree = (now: number) => or(ITEM_ABSENT, expired(now));

/** The hold still names `sessionId` (`placeholder`: the value's name, kept distinct within a transaction). */
export const holdNames = (sessionId: string, placeholder = ':sid') => expr(`sessionId = ${placeholder}`, { [placeholder]: sessionId });

export const holdKey = (tenantId: string, topicId: string): Key => ({ pk: `T#${encodeId(tenantId)}#TOPIC#${topicId}`, sk: 'HOLD' });

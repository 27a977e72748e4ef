import { Message, Session, SESSION_STATUSES, SessionStatus } from '../domain/session';
import { ClientMessageRecord, Hold } from '../sessions/repository';
import { activitySk, clientMessageKey, holdKey, messageKey, sessionKey, userGsiPk } from './keys';
import { INDEXES, isoTime as iso, Item, minuteOf, toTtl, TTL_ATTRIBUTE } from './schema';
import { adminIndexAttributes, ownershipAttributes, readOwnership, readTransfer, transferAttributes } from './admin-items';
import { coachAttributes, coachFieldsOf } from './coach-items';
import { CorruptItemError, num, str, time } from './item-check';

/** Whose session it is and where it stands: on the session item and on its hold. */
const identityAttributes = (s: Session): Item => ({ sessionId: s.id, tenantId: s.tenantId, userId: s.userId, topicId: s.topicId, status: s.status });

/** Attributes stored for a session on its own item (the hold keeps a few: holdAttributes). */
export function sessionAttributes(s: Session): Item {
  return {
    ...identityAttributes(s),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    lastActivityAt: iso(s.lastActivityAt),
    ...(s.endedAt !== null ? { endedAt: iso(s.endedAt) } : {}),
    messageCount: s.messageCount,
    ...(s.lastSeq !== undefined ? { lastSeq: s.lastSeq } : {}),
    version: s.version,
    [TTL_ATTRIBUTE]: toTtl(s.expiresAt),
    ...transferAttributes(s),
    ...ownershipAttributes(s),
    ...coachAttributes(s),
  };
}

/**
 * Everything a session item holds but its idle-notice attributes: its attributes, the ttl
 * floor of its children (`childTtl`, see child-ttl.ts) and its index keys: byUser's at the
 * minute of the last activity, the admin indexes' at `indexedAt` (see admin-items.ts).
 */
export function sessionItemAttributes(s: Session, childTtl: number, indexedAt: number): Item {
  return {
    ...sessionAttributes(s),
    childTtl,
    [INDEXES.byUser.pk]: userGsiPk(s.tenantId, s.userId),
    [INDEXES.byUser.sk]: activitySk(minuteOf(s.lastActivityAt), s.id),
    ...adminIndexAttributes(s, indexedAt),
  };
}

/** A new session item (create). */
export function sessionItem(s: Session, childTtl: number, indexedAt = s.lastActivityAt): Item {
  return { ...sessionKey(s.tenantId, s.id), type: 'SESSION', ...sessionItemAttributes(s, childTtl, indexedAt) };
}

/**
 * The hold: who holds the topic, and what sessionCheck shows of their session (status,
 * activity, expiry, turns), so that it is one read. Nothing else: a coach reply changes
 * none of it, so replies never write the hold.
 */
export function holdAttributes(s: Session): Item {
  return {
    ...identityAttributes(s),
    lastActivityAt: iso(s.lastActivityAt),
    turnCount: s.turnCount ?? 0,
    [TTL_ATTRIBUTE]: toTtl(s.expiresAt),
  };
}

export function holdItem(s: Session): Item {
  return { ...holdKey(s.tenantId, s.topicId), type: 'HOLD', ...holdAttributes(s) };
}

export function messageItem(tenantId: string, m: Message, ttl: number): Item {
  return {
    ...messageKey(tenantId, m.sessionId, m.seq),
    type: 'MESSAGE',
    seq: m.seq,
    role: m.role,
    content: m.content,
    createdAt: iso(m.createdAt),
    ...(m.clientMessageId ? { clientMessageId: m.clientMessageId } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.authorId !== undefined ? { authorId: m.authorId } : {}),
    [TTL_ATTRIBUTE]: ttl,
  };
}

/** The idempotency record of a sendMessage (see ClientMessageRecord); the reply is found at userSeq + 1. */
export function clientMessageItem(tenantId: string, sessionId: string, clientMessageId: string, userSeq: number, ttl: number): Item {
  return { ...clientMessageKey(tenantId, sessionId, clientMessageId), type: 'CLIENT_MESSAGE', userSeq, [TTL_ATTRIBUTE]: ttl };
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

/** Reads a session item back, checking its shape instead of trusting a cast. */
export function toSession(item: Item): Session {
  const fail = () => new CorruptItemError('session', item);
  const status = item.status as SessionStatus;
  if (!SESSION_STATUSES.includes(status)) throw fail();
  const ttl = num(item[TTL_ATTRIBUTE], fail);
  return {
    id: str(item.sessionId, fail),
    tenantId: str(item.tenantId, fail),
    userId: str(item.userId, fail),
    topicId: str(item.topicId, fail),
    status,
    createdAt: time(item.createdAt, fail),
    updatedAt: time(item.updatedAt, fail),
    lastActivityAt: time(item.lastActivityAt, fail),
    endedAt: item.endedAt === undefined ? null : time(item.endedAt, fail),
    expiresAt: ttl * 1000,
    messageCount: num(item.messageCount, fail),
    ...(typeof item.lastSeq === 'number' ? { lastSeq: item.lastSeq } : {}),
    version: num(item.version, fail),
    ...transferOf(item),
    ...readOwnership(item),
    ...coachFieldsOf(item),
  };
}

/** Only a transferred session carries `transfer`, so untransferred ones read back exactly as written. */
function transferOf(item: Item): Pick<Session, 'transfer'> {
  const transfer = readTransfer(item);
  return transfer ? { transfer } : {};
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
  return m;
}

export function toClientMessageRecord(item: Item): ClientMessageRecord {
  return {
    userSeq: Number(item.userSeq),
    replySeq: typeof item.replySeq === 'number' ? item.replySeq : null,
    replyFailed: item.replyFailed === true,
  };
}

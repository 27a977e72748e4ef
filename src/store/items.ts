import { Message, Session, SESSION_STATUSES, SessionStatus } from '../domain/session';
import { ClientMessageRecord } from '../sessions/repository';
import { activitySk, clientMessageKey, holdKey, messageKey, sessionKey, userGsiPk } from './keys';
import { INDEXES, isoTime as iso, Item, toTtl, TTL_ATTRIBUTE } from './schema';
import { adminIndexAttributes, readTransfer, transferAttributes } from './admin-items';
import { coachAttributes, coachFieldsOf } from './coach-items';
import { CorruptItemError, num, str, time } from './item-check';

/** Attributes stored for a session, on its own item and copied onto its topic's hold. */
function sessionAttributes(s: Session): Item {
  return {
    sessionId: s.id,
    tenantId: s.tenantId,
    userId: s.userId,
    topicId: s.topicId,
    status: s.status,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    lastActivityAt: iso(s.lastActivityAt),
    ...(s.endedAt !== null ? { endedAt: iso(s.endedAt) } : {}),
    messageCount: s.messageCount,
    version: s.version,
    [TTL_ATTRIBUTE]: toTtl(s.expiresAt),
    ...transferAttributes(s),
    ...coachAttributes(s),
  };
}

/** `childTtl`: the ttl floor of the session's messages and records (see child-ttl.ts). */
export function sessionItem(s: Session, childTtl: number): Item {
  return {
    ...sessionKey(s.tenantId, s.id),
    type: 'SESSION',
    ...sessionAttributes(s),
    childTtl,
    [INDEXES.byUser.pk]: userGsiPk(s.tenantId, s.userId),
    [INDEXES.byUser.sk]: activitySk(s.lastActivityAt, s.id),
    // Admin indexes (docs/data-model.md); a whole-item put also drops any idle-notice claim: a new idle period.
    ...adminIndexAttributes(s),
  };
}

/** The hold mirrors the live session so that sessionCheck and a resume are one read. */
export function holdItem(s: Session, childTtl: number): Item {
  return { ...holdKey(s.tenantId, s.topicId), type: 'HOLD', ...sessionAttributes(s), childTtl };
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
    [TTL_ATTRIBUTE]: ttl,
  };
}

/** The idempotency record of a sendMessage (see ClientMessageRecord); the reply's seq is added later. */
export function clientMessageItem(tenantId: string, sessionId: string, clientMessageId: string, userSeq: number, ttl: number): Item {
  return { ...clientMessageKey(tenantId, sessionId, clientMessageId), type: 'CLIENT_MESSAGE', userSeq, [TTL_ATTRIBUTE]: ttl };
}

/** Reads a session (or hold) item back, checking its shape instead of trusting a cast. */
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
    version: num(item.version, fail),
    ...transferOf(item),
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
  return m;
}

export function toClientMessageRecord(item: Item): ClientMessageRecord {
  return {
    userSeq: Number(item.userSeq),
    replySeq: typeof item.replySeq === 'number' ? item.replySeq : null,
    replyFailed: item.replyFailed === true,
  };
}

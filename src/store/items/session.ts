import { isLive, Session, SESSION_STATUSES, SessionStatus } from '../../domain/session';
import { and, diffUpdate, expired, expr, Expression, INDEXES, isoTime as iso, Item, minuteOf, or, toTtl, TTL_ATTRIBUTE, unexpired } from '../schema';
import { activitySk, adminIndexAttributes, indexedAtOf, ownershipAttributes, readOwnership, readTransfer, transferAttributes } from './session-indexes';
import { coachAttributes, coachFieldsOf, MEMORY_ATTRIBUTES } from './session-coach';
import { CorruptItemError, num, str, time } from './check';
import { encodeId, Key } from '../keys';
import { TokenUsage, usageField } from '../../domain/usage';
import { usageAttributes, usageOf } from './usage';

/** The session item (T#<tenant>#S#<sessionId> / SESSION), also listed in byUser and the admin indexes. */
export const SESSION = 'SESSION';

/** Whose session it is and where it stands: on the session item and on its hold. */
export const identityAttributes = (s: Session): Item => ({ sessionId: s.id, tenantId: s.tenantId, userId: s.userId, topicId: s.topicId, status: s.status });

/** Attributes stored for a session on its own item (the hold keeps a few: hold.ts). */
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
    ...(s.revisions ? { revisions: s.revisions } : {}),
    [TTL_ATTRIBUTE]: toTtl(s.expiresAt),
    ...transferAttributes(s),
    ...ownershipAttributes(s),
    ...coachAttributes(s),
  };
}

/** The ttl floor of the session's children (child-ttl.ts), kept on the session item. */
export const CHILD_TTL = 'childTtl';
export const childTtlOfItem = (item: Item | undefined): number | null => (typeof item?.[CHILD_TTL] === 'number' ? (item[CHILD_TTL] as number) : null);

/** A session item's attributes but the idle-notice ones: children's ttl floor and index keys included. */
export function sessionItemAttributes(s: Session, childTtl: number, indexedAt: number): Item {
  return {
    ...sessionAttributes(s),
    [CHILD_TTL]: childTtl,
    [INDEXES.byUser.pk]: userGsiPk(s.tenantId, s.userId),
    [INDEXES.byUser.sk]: activitySk(minuteOf(s.lastActivityAt), s.id),
    ...adminIndexAttributes(s, indexedAt),
  };
}

/** A new session item. Its usage is only ever added to (ADD) afterwards, so it is not among the attributes a versioned write compares. */
export function sessionItem(s: Session, childTtl: number, indexedAt = s.lastActivityAt): Item {
  return { ...sessionKey(s.tenantId, s.id), type: SESSION, ...sessionItemAttributes(s, childTtl, indexedAt), ...usageAttributes(s.usage) };
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
    ...(typeof item.revisions === 'number' && item.revisions > 0 ? { revisions: item.revisions } : {}),
    ...transferOf(item),
    ...readOwnership(item),
    ...coachFieldsOf(item),
    ...usageField(usageOf(item)),
  };
}

/** A session read to be written from, carrying in `stored` what the write needs of its item. */
export function toStoredSession(item: Item): Session {
  return { ...toSession(item), stored: { childTtl: childTtlOfItem(item), indexedAt: indexedAtOf(item) } };
}

/** Only a transferred session carries `transfer`, so untransferred ones read back exactly as written. */
function transferOf(item: Item): Pick<Session, 'transfer'> {
  const transfer = readTransfer(item);
  return transfer ? { transfer } : {};
}


/** The user a stored session (or hold) item belongs to, and its topic (null on a projection without it). */
export const ownerOf = (item: Item) => ({ userId: item.userId, topicId: typeof item.topicId === 'string' ? item.topicId : null });
export const refOf = (item: Item) => ({ sessionId: String(item.sessionId), topicId: typeof item.topicId === 'string' ? item.topicId : null });
export const REF_ATTRIBUTES = ['sessionId', 'topicId'];
export const isLiveItem = (item: Item) => isLive(item.status as SessionStatus);
export const hasStatus = (item: Item, statuses: readonly SessionStatus[] | null) => !statuses || statuses.includes(item.status as SessionStatus);
/** Live and idle since before `before` by its own item (the index that found it may lag). */
export const isIdleItem = (item: Item, before: number) => isLiveItem(item) && Date.parse(String(item.lastActivityAt)) < before;


export const versionIs = (version: unknown) => expr('version = :v', { ':v': version });
/** Written only over the version that was read, and only while it has not expired. */
export const currentVersion = (previous: Session, now: number) => and(versionIs(previous.version), unexpired(now));
export const messageCountIs = (count: number) => expr('messageCount = :mc', { ':mc': count });
export const isLiveSession = expr('#status IN (:active, :paused)', { ':active': 'ACTIVE', ':paused': 'PAUSED' }, { '#status': 'status' });
/** The children's ttl floor is not above `ttl` (else they were refreshed since: child-ttl.ts). */
export const childTtlAtMost = (ttl: number) => expr(`attribute_not_exists(${CHILD_TTL}) OR ${CHILD_TTL} <= :replyTtl`, { ':replyTtl': ttl });
/** A reply counts itself on the session, without a version. */
export const replyCounted = (at: number, usage?: TokenUsage) =>
  expr(`SET updatedAt = :at ADD messageCount :one${usageAdded(usage)}`, { ':at': iso(at), ':one': 1, ...usageValues(usage) });
/** `, inputTokens :in, outputTokens :out` for an ADD clause: a write that stores a model's text adds its usage to the session. */
export const usageAdded = (usage?: TokenUsage) => (usage ? ', inputTokens :in, outputTokens :out' : '');
export const usageValues = (usage?: TokenUsage) => (usage ? { ':in': usage.inputTokens, ':out': usage.outputTokens } : {});
/** Still the user's, or expired: what an erasure deletes whole. */
export const ownedByOrExpired = (userId: string, now: number) => or(expr('userId = :u', { ':u': userId }), expired(now));

/** The filter every session listing applies: not expired, and optionally one of `statuses`. */
export function sessionFilter(now: number, statuses: readonly string[] | null): Expression {
  if (!statuses) return unexpired(now);
  const values = Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s]));
  return and(unexpired(now), expr(`#status IN (${Object.keys(values).join(', ')})`, values, { '#status': 'status' }));
}

/** Seeding only (seed-conversation.ts): the session counts `total` messages, a new version. */
export const conversationGrownTo = (total: number) => expr('SET messageCount = :n, lastSeq = :n, version = version + :one', { ':n': total, ':one': 1 });

/** A rewrite of the session's own attributes from `before` to `after` (an erasure's, domain/erasure.ts), over the version read. */
export function sessionRewrite(before: Session, after: Session) {
  // Memory takes no version: what `after` drops goes even if it was written after the read.
  return { UpdateExpression: diffUpdate(sessionAttributes(before), sessionAttributes(after), {}, MEMORY_ATTRIBUTES)!, ConditionExpression: versionIs(before.version) };
}

export const sessionPk = (tenantId: string, sessionId: string) => `T#${encodeId(tenantId)}#S#${sessionId}`;

export const sessionKey = (tenantId: string, sessionId: string): Key => ({ pk: sessionPk(tenantId, sessionId), sk: 'SESSION' });


export const userGsiPk = (tenantId: string, userId: string) => `T#${encodeId(tenantId)}#U#${encodeId(userId)}`;

import { isLive, Message, Session } from '../domain/session';
import { clientMessageKey, holdKey, Key, sessionKey } from './keys';
import { clientMessageItem, holdItem, messageItem, sessionItem } from './items';
import { and, assignTtl, expr, Expression, Item, ITEM_ABSENT, ITEM_PRESENT, or, params, set, unexpired, expired } from './schema';
import { TRANSACT_MAX, TransactItem, Transaction, transaction } from './table-io';

/**
 * The writes of the session repository, as pure functions of what is written (no I/O).
 * Each transaction returns its items as named parts, in the order they are sent, so a
 * failed condition is reported by name ('hold', 'clientMessage', ...), not by index.
 * The ttl values come from the child-ttl tracker (child-ttl.ts).
 */

export type CreatePart = 'hold' | 'session' | 'firstMessage';
export type ReplacePart = 'ended' | 'hold' | 'session' | 'firstMessage';
export type UpdatePart = 'session' | 'hold';
export type AppendPart = 'session' | 'hold' | 'message' | 'clientMessage';
export type RaisePart = 'guard' | 'child';

/** A new live session takes the topic's hold: only if there is none, or only an expired one. */
export function createSessionTx(table: string, session: Session, first: Message, childTtl: number, now: number): Transaction<CreatePart> {
  return transaction<CreatePart>({
    // ALL_OLD: a hold that is in the way names its (live) session, for TopicHeldError.
    hold: put(table, holdItem(session, childTtl), or(ITEM_ABSENT, expired(now)), true),
    session: put(table, sessionItem(session, childTtl), ITEM_ABSENT),
    firstMessage: put(table, messageItem(session.tenantId, first, childTtl), ITEM_ABSENT),
  });
}

/** Ends `previous` (as `ended`) and hands its hold to `session`, a new live session of the same topic. */
export function replaceSessionTx(
  table: string,
  previous: Session,
  ended: { session: Session; childTtl: number },
  session: Session,
  first: Message,
  childTtl: number,
  now: number,
): Transaction<ReplacePart> {
  return transaction<ReplacePart>({
    ended: versionedSessionPut(table, previous, ended.session, ended.childTtl, now),
    hold: put(table, holdItem(session, childTtl), and(expr('sessionId = :old', { ':old': previous.id }), unexpired(now))),
    session: put(table, sessionItem(session, childTtl), ITEM_ABSENT),
    firstMessage: put(table, messageItem(session.tenantId, first, childTtl), ITEM_ABSENT),
  });
}

/** A versioned write of the session, with its hold in step. */
export function updateSessionTx(table: string, previous: Session, next: Session, childTtl: number, now: number): Transaction<UpdatePart> {
  return transaction<UpdatePart>({
    session: versionedSessionPut(table, previous, next, childTtl, now),
    hold: holdWrite(table, previous, next, childTtl, now),
  });
}

/**
 * A versioned write of the session with a new message (`messageTtl`: the children's ttl
 * for `next`), and with a client message id its idempotency record (see clientMessageWrite).
 */
export function appendMessageTx(
  table: string,
  previous: Session,
  next: Session,
  message: Message,
  clientMessageId: string | null,
  ttl: { childTtl: number; messageTtl: number },
  now: number,
): Transaction<AppendPart> {
  return transaction<AppendPart>({
    session: versionedSessionPut(table, previous, next, ttl.childTtl, now),
    hold: holdWrite(table, previous, next, ttl.childTtl, now),
    message: put(table, messageItem(next.tenantId, message, ttl.messageTtl), ITEM_ABSENT),
    clientMessage: clientMessageId ? clientMessageWrite(table, next, message, clientMessageId, ttl.messageTtl) : undefined,
  });
}

/**
 * Raises the ttl of `children` (a session's messages and records) to `ttl`, in as many
 * transactions as it takes; each is guarded by the session still being the version that
 * was read and unexpired, so a write that is going to fail cannot revive an expired
 * session's children, nor undo the lower ttl an ending just gave them.
 */
export function raiseChildTtlTxs(table: string, previous: Session, children: readonly Key[], ttl: number, now: number): Transaction<RaisePart>[] {
  const key = sessionKey(previous.tenantId, previous.id);
  const guard: TransactItem = { ConditionCheck: { TableName: table, Key: key, ...params({ ConditionExpression: versionIs(previous, now) }) } };
  const updates = children.map((c): [RaisePart, TransactItem] => ['child', { Update: childTtlUpdate(table, c, ttl) }]);
  const out: Transaction<RaisePart>[] = [];
  for (let i = 0; i < updates.length; i += TRANSACT_MAX - 1) out.push([['guard', guard], ...updates.slice(i, i + TRANSACT_MAX - 1)]);
  return out;
}

/** Sets one existing child's ttl (never creates an item). */
export function childTtlUpdate(table: string, key: Key, ttl: number) {
  return { TableName: table, Key: key, ...params({ UpdateExpression: set(assignTtl(ttl)), ConditionExpression: ITEM_PRESENT }) };
}

/** Notes that the coach failed for a client message, unless a reply got recorded meanwhile. */
export function markReplyFailedUpdate(key: Key, now: number) {
  return {
    Key: key,
    ...params({
      UpdateExpression: expr('SET replyFailed = :yes', { ':yes': true }),
      ConditionExpression: and(ITEM_PRESENT, noReplyYet, unexpired(now)),
    }),
  };
}

// ---- parts ------------------------------------------------------------------------

/** Written only over the version that was read, and only while it has not expired. */
const versionIs = (previous: Session, now: number) => and(expr('version = :v', { ':v': previous.version }), unexpired(now));

const noReplyYet = expr('attribute_not_exists(replySeq)');

function put(table: string, item: Item, condition: Expression, returnOld = false): TransactItem {
  return { Put: { TableName: table, Item: item, ...params({ ConditionExpression: condition }), ...(returnOld ? ALL_OLD : {}) } };
}

const ALL_OLD = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;

function versionedSessionPut(table: string, previous: Session, next: Session, childTtl: number, now: number): TransactItem {
  return put(table, sessionItem(next, childTtl), versionIs(previous, now));
}

/** Live: the hold mirrors the session. Ended: the hold goes, freeing the topic. */
function holdWrite(table: string, previous: Session, next: Session, childTtl: number, now: number): TransactItem {
  const condition = and(expr('sessionId = :sid', { ':sid': previous.id }), unexpired(now));
  if (isLive(next.status)) return put(table, holdItem(next, childTtl), condition);
  return { Delete: { TableName: table, Key: holdKey(previous.tenantId, previous.topicId), ...params({ ConditionExpression: condition }) } };
}

/**
 * A USER message creates the record (ALL_OLD: an existing one is a duplicate). An
 * ASSISTANT message completes it with its seq: only one reply is ever recorded for a
 * client message id, even if two retries race.
 */
function clientMessageWrite(table: string, session: Session, message: Message, clientMessageId: string, ttl: number): TransactItem {
  if (message.role === 'USER') {
    return put(table, clientMessageItem(session.tenantId, session.id, clientMessageId, message.seq, ttl), ITEM_ABSENT, true);
  }
  return {
    Update: {
      TableName: table,
      Key: clientMessageKey(session.tenantId, session.id, clientMessageId),
      ...params({
        UpdateExpression: set(expr('replySeq = :seq', { ':seq': message.seq }), assignTtl(ttl)),
        ConditionExpression: and(ITEM_PRESENT, noReplyYet),
      }),
      ...ALL_OLD,
    },
  };
}

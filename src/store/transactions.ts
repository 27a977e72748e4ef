import { isLive, Message, Session } from '../domain/session';
import { clientMessageItem, clientMessageKey, replyFailedNoted, replySeqRecorded } from './items/client-message';
import { holdAttributes, holdIsFree, holdItem, holdKey, holdNames } from './items/hold';
import { CHILD_TTL, childTtlAtMost, currentVersion, isLiveSession, messageCountIs, replyCounted, sessionItem, sessionItemAttributes, sessionKey, versionIs } from './items/session';
import { Key } from './keys';
import { and, assignTtl, diffUpdate, Expression, Item, ITEM_ABSENT, ITEM_PRESENT, params, set, unexpired } from './schema';
import { TRANSACT_MAX, TransactItem, Transaction, transaction } from './table-io';
import { Outcome, TransferEntry } from '../domain/user-data';
import { ADMIN_INDEX_ATTRIBUTES } from './items/session-indexes';
import { messageItem, messageKey, messageRating } from './items/message';
import { claimHeld, regenerationItem, replacementCounted } from './items/regeneration';
import type { ReplyReplacement } from '../sessions/repository';
import { IDLE_NOTICE_ATTRIBUTES } from './items/idle-notice';
import { mentionWrite } from './items/mention';
import { outcomeItem } from './items/outcome';
import { MEMORY_ATTRIBUTES } from './items/session-coach';
import { transferItem, userTransferItem } from './items/transfer';
import { ratingCounted, sessionUsageDeltas, UsagePart, usageParts } from './items/usage';
import { memoryUpdate } from './items/session-coach';
import { NO_USAGE, Spend, TokenUsage } from '../domain/usage';
import type { MemoryWrite, RatingCounted } from '../sessions/repository';

/**
 * The writes of the session repository, as pure functions of what is written (no I/O).
 * Each transaction returns its items as named parts, in the order they are sent, so a
 * failed condition is reported by name ('hold', 'clientMessage', ...), not by index.
 * Existing items are changed with UpdateItem of the attributes that change (diffUpdate), never
 * rewritten whole: an unchanged attribute costs no index write. The ttl values come from the
 * child-ttl tracker (child-ttl.ts), the admin index time from items/session-indexes.ts.
 */

export type CreatePart = 'hold' | 'session' | 'firstMessage' | 'mention' | UsagePart;
export type ReplacePart = 'ended' | 'hold' | 'session' | 'firstMessage' | 'mention' | UsagePart;
export type UpdatePart = 'session' | 'hold';
export type CompletePart = UpdatePart | 'outcome' | UsagePart;
export type TransferPart = UpdatePart | 'transfer' | 'listedFrom' | 'listedTo' | 'mentionFrom' | 'mentionTo' | 'mentionBy';
export type AppendPart = 'session' | 'hold' | 'message' | 'clientMessage' | UsagePart;
export type ReplyPart = 'reply' | 'session' | 'record' | UsagePart;
export type MemoryPart = 'session' | UsagePart;
export type RaisePart = 'guard' | 'child';

/**
 * A versioned write of a stored session: what was read (`previous`), what it becomes
 * (`next`), and the store's own attributes before and after: the children's ttl floor and
 * the admin index time (null before: not known, so written afresh).
 */
export interface SessionWrite {
  previous: Session;
  next: Session;
  floor: { before: number | null; after: number };
  indexedAt: { before: number | null; after: number };
}

/** A new live session takes the topic's hold: only if there is none, or only an expired one. */
export function createSessionTx(table: string, session: Session, first: Message, childTtl: number, now: number): Transaction<CreatePart> {
  return transaction<CreatePart>({
    // ALL_OLD: a hold that is in the way names its (live) session, for TopicHeldError.
    hold: put(table, holdItem(session), holdIsFree(now), true),
    session: put(table, sessionItem(session, childTtl), ITEM_ABSENT),
    firstMessage: put(table, messageItem(session.tenantId, first, childTtl), ITEM_ABSENT),
    mention: ownerMention(table, session, childTtl),
    ...usageParts(table, spendOf(session, first.usage, 0, now)),
  });
}

/** Ends `ended.previous` (as `ended.next`) and hands its hold to `session`, a new live session of the same topic. */
export function replaceSessionTx(table: string, ended: SessionWrite, session: Session, first: Message, childTtl: number, now: number): Transaction<ReplacePart> {
  const old = ended.previous;
  return transaction<ReplacePart>({
    ended: versionedSessionUpdate(table, ended, {}, now),
    hold: put(table, holdItem(session), and(holdNames(old.id, ':old'), unexpired(now))),
    session: put(table, sessionItem(session, childTtl), ITEM_ABSENT),
    firstMessage: put(table, messageItem(session.tenantId, first, childTtl), ITEM_ABSENT),
    mention: ownerMention(table, session, childTtl),
    ...usageParts(table, spendOf(session, first.usage, 0, now)),
  });
}

/** A versioned write of the session (status, activity, expiry, owner), with its hold in step. */
export function updateSessionTx(table: string, w: SessionWrite, now: number): Transaction<UpdatePart> {
  return transaction<UpdatePart>({
    session: versionedSessionUpdate(table, w, {}, now),
    hold: holdWrite(table, w.previous, w.next, now),
  });
}

/** Completes the session (a versioned write that ends it) and records its owner's outcome for the topic (the latest completion wins). */
export function completeSessionTx(table: string, w: SessionWrite, outcome: Outcome, now: number, usage?: TokenUsage): Transaction<CompletePart> {
  return transaction<CompletePart>({
    session: versionedSessionUpdate(table, w, sessionUsageDeltas(usage), now),
    hold: holdWrite(table, w.previous, w.next, now),
    outcome: { Put: { TableName: table, Item: outcomeItem(outcome) } },
    ...usageParts(table, spendOf(w.previous, usage, 0, now)),
  });
}

/**
 * Moves the session to `entry.to` and appends the hop to its history: an entry at the version
 * this write makes, which only ever gets added (ITEM_ABSENT), with the session in one
 * transaction, and a copy for each of the two owners' myTransfers. The users it names get a
 * mention (childTtl: the children's ttl for `next`).
 */
export function transferSessionTx(table: string, w: SessionWrite, entry: TransferEntry, childTtl: number, now: number): Transaction<TransferPart> {
  const ref = { sessionId: w.next.id, topicId: w.next.topicId };
  const tenant = w.next.tenantId;
  return transaction<TransferPart>({
    session: versionedSessionUpdate(table, w, {}, now),
    hold: holdWrite(table, w.previous, w.next, now),
    transfer: put(table, transferItem(tenant, entry, childTtl), ITEM_ABSENT),
    // The entry as each owner lists it (myTransfers); never the same user (a transfer to the owner writes nothing).
    listedFrom: put(table, userTransferItem(tenant, entry, entry.from, childTtl), ITEM_ABSENT),
    listedTo: put(table, userTransferItem(tenant, entry, entry.to, childTtl), ITEM_ABSENT),
    mentionFrom: mentionWrite(table, tenant, ref, entry.from, true, childTtl),
    mentionTo: mentionWrite(table, tenant, ref, entry.to, true, childTtl),
    // An admin moving their own session is its previous owner: one mention (a transaction names an item once).
    mentionBy: entry.by !== entry.from ? mentionWrite(table, tenant, ref, entry.by, false, childTtl) : undefined,
  });
}

/**
 * A versioned write of the session with a new message at `message.seq` (`messageTtl`: the
 * children's ttl for `next`), and with a client message id its idempotency record (see
 * clientMessageWrite). messageCount is added to, not set: replies add to it without a version.
 */
export function appendMessageTx(
  table: string,
  w: SessionWrite,
  message: Message,
  clientMessageId: string | null,
  messageTtl: number,
  now: number,
): Transaction<AppendPart> {
  return transaction<AppendPart>({
    session: versionedSessionUpdate(table, w, { messageCount: 1, ...sessionUsageDeltas(message.usage) }, now),
    hold: holdWrite(table, w.previous, w.next, now),
    message: put(table, messageItem(w.next.tenantId, message, messageTtl), ITEM_ABSENT, true),
    clientMessage: clientMessageId ? clientMessageWrite(table, w.next, message, clientMessageId, messageTtl) : undefined,
    // A welcome back in time, or a reply stored the older way (a turn).
    ...usageParts(table, spendOf(w.previous, message.usage, isTurnReply(message) ? 1 : 0, now)),
  });
}

/**
 * A coach reply at the seq its message reserved, counted on the session without a version:
 * it commutes with every other write, so it never makes the user's next message retry.
 * Conditions: the seq is free (ALL_OLD names what holds it), the session is live and
 * unexpired (nothing follows the end, nothing is revived), and the children's ttl floor is
 * not above the reply's ttl (else a refresh happened since: read again, see child-ttl.ts).
 * With `replacing` (regenerateReply) it replaces the reply at its seq instead, and writes the
 * regenerate's record, in the same transaction.
 */
export function appendReplyTx(table: string, session: Session, reply: Message, ttl: number, now: number, replacing?: ReplyReplacement): Transaction<ReplyPart> {
  const item = messageItem(session.tenantId, reply, ttl);
  const counted = { UpdateExpression: replyCounted(reply.createdAt, reply.usage), ConditionExpression: and(isLiveSession, unexpired(now), childTtlAtMost(ttl)) };
  return transaction<ReplyPart>({
    // regenerateReply: the same item, in place, only under this call's claim (items/regeneration.ts).
    reply: replacing ? put(table, item, claimHeld(replacing.token, now)) : put(table, item, ITEM_ABSENT, true),
    session: {
      Update: {
        TableName: table,
        Key: sessionKey(session.tenantId, session.id),
        ...params(replacing ? replacementCounted(reply.seq, ttl, reply.createdAt, now, reply.usage) : counted),
      },
    },
    record: replacing ? put(table, regenerationItem(session.tenantId, session.id, replacing.clientMessageId, { seq: reply.seq, revision: reply.revision ?? 0 }, ttl), ITEM_ABSENT) : undefined,
    // The counters join the reply's own transaction (no request of their own); a regenerate is not a turn.
    ...usageParts(table, spendOf(session, reply.usage, !replacing && isTurnReply(reply) ? 1 : 0, now)),
  });
}

/**
 * The coach's memory (a title or a fold) and what its model call cost, in one transaction:
 * the session's conditional memory write, and the usage counters.
 */
export function storeMemoryTx(table: string, session: Session, memory: MemoryWrite, usage: TokenUsage, now: number): Transaction<MemoryPart> {
  const update = memoryUpdate(session, memory, now, usage);
  return transaction<MemoryPart>({
    session: { Update: { TableName: table, Key: sessionKey(session.tenantId, session.id), ...update } },
    ...usageParts(table, spendOf(session, usage, 0, now)),
  });
}

/** rateReply's rating over the one read, and the topic's rating counter of the month. */
export function rateMessageTx(table: string, tenantId: string, sessionId: string, seq: number, rating: number, comment: string | null, now: number, c: RatingCounted) {
  return transaction<'message' | 'counter'>({
    message: { Update: { TableName: table, Key: messageKey(tenantId, sessionId, seq), ...params(messageRating(rating, comment, now, c.previous)) } },
    counter: { Update: { TableName: table, ...ratingCounted(tenantId, c.topicId, now, c.previous === null ? 1 : 0, rating - (c.previous ?? 0)) } },
  });
}

/**
 * Only the tenant's topic counter (a memory write that lost its condition: its model call was
 * spent all the same). Not the user's: the condition may have failed because the user was
 * erased, and their counter must not come back.
 */
export function usageOnlyTx(table: string, session: Session, usage: TokenUsage, now: number): Transaction<UsagePart> {
  return transaction<UsagePart>({ usage: usageParts(table, spendOf(session, usage, 0, now)).usage, userUsage: undefined });
}

/**
 * Raises the ttl of `children` (a session's messages and records) to `ttl`, in as many
 * transactions as it takes; each is guarded by the session still being the version that
 * was read and unexpired, so a write that is going to fail cannot revive an expired
 * session's children, nor undo the lower ttl an ending just gave them.
 */
export function raiseChildTtlTxs(table: string, previous: Session, children: readonly Key[], ttl: number, now: number): Transaction<RaisePart>[] {
  const key = sessionKey(previous.tenantId, previous.id);
  const guard: TransactItem = { ConditionCheck: { TableName: table, Key: key, ...params({ ConditionExpression: currentVersion(previous, now) }) } };
  const updates = children.map((c): [RaisePart, TransactItem] => ['child', { Update: childTtlUpdate(table, c, ttl) }]);
  const out: Transaction<RaisePart>[] = [];
  for (let i = 0; i < updates.length; i += TRANSACT_MAX - 1) out.push([['guard', guard], ...updates.slice(i, i + TRANSACT_MAX - 1)]);
  return out;
}

/** Sets one existing child's ttl (never creates an item). */
export function childTtlUpdate(table: string, key: Key, ttl: number) {
  return { TableName: table, Key: key, ...params({ UpdateExpression: set(assignTtl(ttl)), ConditionExpression: ITEM_PRESENT }) };
}

/** Notes that the coach failed for a client message, unless a reply got recorded on it meanwhile (older layout). */
export function markReplyFailedUpdate(key: Key, now: number) {
  return { Key: key, ...params(replyFailedNoted(now)) };
}

// ---- parts ------------------------------------------------------------------------

/** What a write for `session` adds to the usage counters (the owner's: they asked for it). */
const spendOf = (session: Session, usage: TokenUsage | undefined, turns: number, at: number): Spend | null =>
  usage || turns ? { tenantId: session.tenantId, topicId: session.topicId, userId: session.userId, usage: usage ?? NO_USAGE, turns, at } : null;

/** A coach reply to a user message completes a turn (openings and welcome backs answer none). */
const isTurnReply = (m: Message) => m.role === 'ASSISTANT' && m.replyTo !== undefined;

/** A new session's owner: erasure and export find the session through this, even after TTL removed its item. */
const ownerMention = (table: string, s: Session, childTtl: number) => mentionWrite(table, s.tenantId, { sessionId: s.id, topicId: s.topicId }, s.userId, true, childTtl);

function put(table: string, item: Item, condition: Expression, returnOld = false): TransactItem {
  return { Put: { TableName: table, Item: item, ...params({ ConditionExpression: condition }), ...(returnOld ? ALL_OLD : {}) } };
}

const ALL_OLD = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;

/**
 * The session item from `previous` to `next`: the changed attributes only, `counters` added.
 * The message count must be the one read too (replies add to it without a version) when
 * the children's ttl floor moves up (they were just raised to it: a reply stored since was
 * not, and must not sit below the new floor), and when the session ends (what ends it,
 * e.g. a result extracted from the conversation, saw all of it).
 */
function versionedSessionUpdate(table: string, w: SessionWrite, counters: Record<string, number>, now: number): TransactItem {
  const { previous, next, floor, indexedAt } = w;
  const before = sessionItemAttributes(previous, floor.before ?? floor.after, indexedAt.before ?? indexedAt.after);
  // Not known: written afresh (a SET of an unchanged value writes no index).
  if (floor.before === null) delete before[CHILD_TTL];
  if (indexedAt.before === null) for (const k of ADMIN_INDEX_ATTRIBUTES) delete before[k];
  const after = sessionItemAttributes(next, floor.after, indexedAt.after);
  const deltas = { messageCount: next.messageCount - previous.messageCount, ...counters };
  const activity = next.lastActivityAt !== previous.lastActivityAt ? IDLE_NOTICE_ATTRIBUTES : [];
  // A new owner: memory written since the read (it takes no version) must not stay unless `next` carries it.
  const memory = next.userId !== previous.userId ? MEMORY_ATTRIBUTES : [];
  // The version always moves, so there is always something to write.
  const update = diffUpdate(before, after, deltas, [...ADMIN_INDEX_ATTRIBUTES, ...activity, ...memory])!;
  const countMatters = (floor.before !== null && floor.after > floor.before) || !isLive(next.status);
  const condition = countMatters ? and(versionIs(previous.version), unexpired(now), messageCountIs(previous.messageCount)) : currentVersion(previous, now);
  return { Update: { TableName: table, Key: sessionKey(previous.tenantId, previous.id), ...params({ UpdateExpression: update, ConditionExpression: condition }) } };
}

/** Live: the hold takes what changed of what it shows. Ended: the hold goes, freeing the topic. */
function holdWrite(table: string, previous: Session, next: Session, now: number): TransactItem | undefined {
  const condition = and(holdNames(previous.id), unexpired(now));
  const key = holdKey(previous.tenantId, previous.topicId);
  if (!isLive(next.status)) return { Delete: { TableName: table, Key: key, ...params({ ConditionExpression: condition }) } };
  const update = diffUpdate(holdAttributes(previous), holdAttributes(next));
  if (!update) return undefined;
  return { Update: { TableName: table, Key: key, ...params({ UpdateExpression: update, ConditionExpression: condition }) } };
}

/**
 * A USER message creates the record (ALL_OLD: an existing one is a duplicate). An
 * ASSISTANT message (a reply that could not take its reserved seq: a message stored by
 * an earlier version took it) completes it with its seq, only while it has none.
 */
function clientMessageWrite(table: string, session: Session, message: Message, clientMessageId: string, ttl: number): TransactItem {
  if (message.role === 'USER') {
    return put(table, clientMessageItem(session.tenantId, session.id, clientMessageId, message.seq, ttl), ITEM_ABSENT, true);
  }
  return {
    Update: {
      TableName: table,
      Key: clientMessageKey(session.tenantId, session.id, clientMessageId),
      ...params(replySeqRecorded(message.seq, ttl)),
      ...ALL_OLD,
    },
  };
}


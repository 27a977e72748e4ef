import { isExpired, isLive, Message, Session } from '../../src/domain/session';
import { Outcome, TransferEntry } from '../../src/domain/user-data';
import { addUsage, NO_USAGE, TokenUsage, usageField } from '../../src/domain/usage';
import { AdminRepository } from '../../src/sessions/admin-repository';
import {
  ClientMessageRecord,
  DuplicateClientMessageError,
  DuplicateReplyError,
  Hold,
  MemoryWrite,
  RatingCounted,
  ReplyReplacement,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from '../../src/sessions/repository';
import { clientMessageKey, copy, holdKey, mentionKey, messageKey, outcomeKey, sessionKey, transferKey } from './memory-state';
import { MemoryListings } from './memory-listings';

export type { MemorySnapshot, RepositoryMethod } from './memory-state';
export { CHILD_SLACK_MS } from './memory-state';

/**
 * An in-memory SessionRepository and AdminRepository with the same semantics as
 * DynamoSessionRepository:
 *
 * - a hold per (tenant, topic) mirrors the live session holding it and goes when it ends;
 * - every write is atomic (all conditions are checked before anything changes) and
 *   versioned like the DynamoDB transactions;
 * - every read hides expired items (`expiresAt <= now`); children (messages, client
 *   message records) live until their session's expiry plus a day, like the ttl slack
 *   of the DynamoDB implementation;
 * - listings are in index order and page with the store's own cursors (src/store/cursor.ts);
 * - callers only ever get copies, so they cannot change stored state;
 * - outcomes, transfer histories, mentions, erasure and export: memory-user-data.ts;
 * - regenerateReply's claims and replacements: memory-replies.ts;
 * - the listings (a user's sessions, the admin views): memory-listings.ts.
 *
 * Each call yields to the event loop once before it acts (atomically), so concurrent
 * service calls interleave between repository calls as they would against a real store.
 * The test hooks (failNext, beforeNext, calls, snapshot, seed) are in memory-state.ts.
 */
export class MemorySessionRepository extends MemoryListings implements SessionRepository, AdminRepository {
  // ---- reads -----------------------------------------------------------------

  async findHolder(tenantId: string, topicId: string, now: number): Promise<Hold | null> {
    await this.enter('findHolder');
    const hold = this.liveHold(tenantId, topicId, now);
    return hold && isLive(hold.session.status) ? holdOf(hold.session) : null;
  }

  async getSession(tenantId: string, sessionId: string, now: number): Promise<Session | null> {
    await this.enter('getSession');
    const s = this.liveSession(tenantId, sessionId, now);
    return s ? copy(s) : null;
  }

  async getSessions(tenantId: string, sessionIds: readonly string[], now: number): Promise<(Session | null)[]> {
    await this.enter('getSessions');
    return sessionIds.map((id) => {
      const s = this.liveSession(tenantId, id, now);
      return s ? copy(s) : null;
    });
  }

  async getClientMessage(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<ClientMessageRecord | null> {
    await this.enter('getClientMessage');
    if (!this.childrenVisible(tenantId, sessionId, now)) return null;
    const r = this.clientMessages.get(clientMessageKey(tenantId, sessionId, clientMessageId));
    return r ? copy(r) : null;
  }

  async markReplyFailed(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<void> {
    await this.enter('markReplyFailed');
    if (!this.childrenVisible(tenantId, sessionId, now)) return;
    const key = clientMessageKey(tenantId, sessionId, clientMessageId);
    const r = this.clientMessages.get(key);
    if (r && r.replySeq === null) this.clientMessages.set(key, { ...r, replyFailed: true });
  }

  async getMessages(tenantId: string, sessionId: string, seqs: readonly number[], now: number): Promise<Message[]> {
    await this.enter('getMessages');
    if (!this.childrenVisible(tenantId, sessionId, now)) return [];
    const out: Message[] = [];
    for (const seq of new Set(seqs)) {
      const m = this.messages.get(messageKey(tenantId, sessionId, seq));
      if (m) out.push(copy(m));
    }
    return out;
  }

  async rateMessage(tenantId: string, sessionId: string, seq: number, rating: number, comment: string | null, now: number, counted?: RatingCounted): Promise<boolean> {
    await this.enter('rateMessage');
    const key = messageKey(tenantId, sessionId, seq);
    const m = this.messages.get(key);
    if (!m || m.role !== 'ASSISTANT' || !this.childrenVisible(tenantId, sessionId, now)) return false;
    // DynamoDB: only over the rating read (the counters are not kept here).
    if (counted && (m.rating ?? null) !== counted.previous) return false;
    this.messages.set(key, { ...m, rating, ratingComment: comment });
    return true;
  }

  async ping(): Promise<void> {
    await this.enter('ping');
  }

  // ---- writes ----------------------------------------------------------------

  async createSession(session: Session, first: Message, now: number): Promise<void> {
    await this.enter('createSession');
    const hk = holdKey(session.tenantId, session.topicId);
    const held = this.liveHold(session.tenantId, session.topicId, now);
    if (held) throw new TopicHeldError(holdOf(held.session));
    const sk = sessionKey(session.tenantId, session.id);
    const mk = messageKey(session.tenantId, first.sessionId, first.seq);
    if (this.sessions.has(sk) || this.messages.has(mk)) throw new StaleSessionError(session.id);
    this.holds.set(hk, { session: copy(session) });
    this.sessions.set(sk, copy(session));
    this.messages.set(mk, copy(first));
    this.mention(session, session.userId, true);
  }

  async replaceSession(previous: Session, ended: Session, session: Session, first: Message, now: number): Promise<void> {
    await this.enter('replaceSession');
    this.assertCurrent(previous, now);
    const sk = sessionKey(session.tenantId, session.id);
    const mk = messageKey(session.tenantId, first.sessionId, first.seq);
    if (this.sessions.has(sk) || this.messages.has(mk)) throw new StaleSessionError(previous.id);
    this.sessions.set(sessionKey(previous.tenantId, previous.id), copy(ended));
    this.holds.set(holdKey(session.tenantId, session.topicId), { session: copy(session) });
    this.sessions.set(sk, copy(session));
    this.messages.set(mk, copy(first));
    this.mention(session, session.userId, true);
  }

  async updateSession(previous: Session, next: Session, now: number): Promise<void> {
    await this.enter('updateSession');
    this.assertCurrent(previous, now);
    this.writeSession(previous, next);
  }

  async completeSession(previous: Session, next: Session, outcome: Outcome, now: number, usage?: TokenUsage): Promise<void> {
    await this.enter('completeSession');
    this.assertCurrent(previous, now);
    this.writeSession(previous, next, undefined, usage);
    this.outcomes.set(outcomeKey(outcome.tenantId, outcome.userId, outcome.topicId), copy(outcome));
  }

  async transferSession(previous: Session, next: Session, entry: TransferEntry, now: number): Promise<void> {
    await this.enter('transferSession');
    this.assertCurrent(previous, now);
    // DynamoDB: the entry is put only if absent (append-only), in the same transaction.
    const key = transferKey(next.tenantId, next.id, entry.seq);
    if (this.transfers.has(key)) throw new StaleSessionError(previous.id);
    this.writeSession(previous, next);
    this.transfers.set(key, copy(entry));
    this.mention(next, entry.from, true);
    this.mention(next, entry.to, true);
    this.mention(next, entry.by, entry.by === entry.from);
  }

  async appendMessage(previous: Session, next: Session, message: Message, clientMessageId: string | null, now: number): Promise<void> {
    await this.enter('appendMessage');
    this.assertCurrent(previous, now);
    const mk = messageKey(next.tenantId, message.sessionId, message.seq);
    if (this.messages.has(mk)) throw new StaleSessionError(previous.id);
    let record: ClientMessageRecord | null = null;
    const ck = clientMessageId ? clientMessageKey(next.tenantId, next.id, clientMessageId) : null;
    if (ck) {
      const existing = this.clientMessages.get(ck);
      if (message.role === 'USER') {
        if (existing) throw new DuplicateClientMessageError(copy(existing));
        record = { userSeq: message.seq, replySeq: null, replyFailed: false };
      } else {
        // DynamoDB: `attribute_exists(pk) AND attribute_not_exists(replySeq)`; a missing record
        // fails without an old item, which the DynamoDB repository reports as stale.
        if (!existing) throw new StaleSessionError(previous.id);
        if (existing.replySeq !== null) throw new DuplicateClientMessageError(copy(existing));
        record = { ...existing, replySeq: message.seq };
      }
    }
    this.writeSession(previous, next, 1, message.usage);
    this.messages.set(mk, copy(message));
    if (ck && record) this.clientMessages.set(ck, record);
  }

  async appendReply(session: Session, reply: Message, now: number, replacing?: ReplyReplacement): Promise<void> {
    await this.enter('appendReply');
    if (replacing) return this.replaceReply(session, reply, now, replacing);
    const stored = this.liveSession(session.tenantId, session.id, now);
    // DynamoDB: the session live and unexpired (no version: a reply commutes with other writes).
    if (!stored || !isLive(stored.status)) throw new StaleSessionError(session.id);
    const mk = messageKey(session.tenantId, reply.sessionId, reply.seq);
    const existing = this.messages.get(mk);
    if (existing) throw new DuplicateReplyError(copy(existing));
    this.messages.set(mk, copy(reply));
    const usage = usageField(addUsage(stored.usage ?? NO_USAGE, reply.usage ?? NO_USAGE));
    this.sessions.set(sessionKey(stored.tenantId, stored.id), { ...stored, messageCount: stored.messageCount + 1, updatedAt: reply.createdAt, ...usage });
  }

  async storeMemory(session: Session, memory: MemoryWrite, usage: TokenUsage | null, now: number): Promise<boolean> {
    await this.enter('storeMemory');
    const key = sessionKey(session.tenantId, session.id);
    const stored = this.sessions.get(key);
    // DynamoDB: no version; the owner read, unexpired, summaryThrough as read, no title yet.
    if (!stored || stored.userId !== session.userId || isExpired(stored.expiresAt, now)) return false;
    if ((stored.redactions ?? 0) !== (session.redactions ?? 0)) return false;
    if (memory.summary && (stored.summaryThrough ?? null) !== memory.summary.after) return false;
    if (memory.title && stored.title) return false;
    const next = { ...stored };
    if (memory.summary) {
      next.summaryThrough = memory.summary.through;
      if (memory.summary.text) next.summary = memory.summary.text;
    }
    if (memory.title) next.title = memory.title;
    Object.assign(next, usageField(addUsage(stored.usage ?? NO_USAGE, usage ?? NO_USAGE)));
    this.sessions.set(key, next);
    return true;
  }

  // ---- internals -------------------------------------------------------------

  /** As DynamoDB's mention items: an admin's mention never clears `owner`. */
  private mention(s: Session, userId: string, owner: boolean): void {
    const key = mentionKey(s.tenantId, s.id, userId);
    this.mentions.set(key, { tenantId: s.tenantId, userId, sessionId: s.id, owner: owner || this.mentions.get(key)?.owner === true });
  }

  /** The conditions of DynamoDB's versioned session put and hold write. */
  private assertCurrent(previous: Session, now: number): void {
    const stored = this.sessions.get(sessionKey(previous.tenantId, previous.id));
    if (!stored || stored.version !== previous.version || isExpired(stored.expiresAt, now)) {
      throw new StaleSessionError(previous.id);
    }
    const hold = this.liveHold(previous.tenantId, previous.topicId, now);
    if (!hold || hold.session.id !== previous.id) throw new StaleSessionError(previous.id);
  }

  /**
   * The session, and the hold in step: mirrored while live, removed when it ends. Like
   * DynamoDB's ADD, messageCount moves by `added` (default: next's change) from what is
   * stored: replies count themselves without a version.
   */
  private writeSession(previous: Session, next: Session, added = next.messageCount - previous.messageCount, spent?: TokenUsage): void {
    const stored = this.sessions.get(sessionKey(previous.tenantId, previous.id));
    const messageCount = (stored?.messageCount ?? previous.messageCount) + added;
    // DynamoDB: usage is only ever ADDed, never written from what was read.
    const usage = usageField(addUsage(stored?.usage ?? NO_USAGE, spent ?? NO_USAGE));
    const { usage: _read, ...rest } = next;
    this.sessions.set(sessionKey(next.tenantId, next.id), copy(withMemory({ ...rest, messageCount, ...usage }, stored, previous)));
    const hk = holdKey(previous.tenantId, previous.topicId);
    if (isLive(next.status)) this.holds.set(hk, { session: copy(next) });
    else this.holds.delete(hk);
  }
}

/**
 * As DynamoDB's diff update: memory written since `previous` was read stays unless this write
 * changes it, and a new owner keeps only what `next` carries.
 */
function withMemory(next: Session, stored: Session | undefined, previous: Session): Session {
  const out: Record<string, unknown> = next as unknown as Record<string, unknown>;
  for (const k of ['summary', 'summaryThrough', 'title'] as const) {
    const value = next.userId !== previous.userId || next[k] !== previous[k] ? next[k] : stored?.[k];
    if (value === undefined) delete out[k];
    else out[k] = value;
  }
  return next;
}

/** What the hold shows of its session (as DynamoDB's hold item carries it). */
const holdOf = (s: Session): Hold => ({
  sessionId: s.id,
  userId: s.userId,
  status: s.status as Hold['status'],
  lastActivityAt: s.lastActivityAt,
  expiresAt: s.expiresAt,
  turnCount: s.turnCount ?? 0,
});

// ---- positions and cursors ------------------------------------------------------

/** A session's position in byUser (the GSI sort key): most recent activity (to the minute) first, then session id descending. */

import { badInput } from '../../src/domain/errors';
import { isSessionId } from '../../src/domain/ids';
import { isExpired, isLive, Message, Session } from '../../src/domain/session';
import {
  ClientMessageRecord,
  DuplicateClientMessageError,
  MessagePageRequest,
  SessionPage,
  SessionPageRequest,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from '../../src/sessions/repository';
import type { AdminPageRequest, ErasureCounts } from '../../src/sessions/repository';

/**
 * An in-memory SessionRepository with the same semantics as DynamoSessionRepository:
 *
 * - a hold per (tenant, topic) mirrors the live session holding it and goes when it ends;
 * - every write is atomic (all conditions are checked before anything changes) and
 *   versioned like the DynamoDB transactions;
 * - every read hides expired items (`expiresAt <= now`); children (messages, client
 *   message records) live until their session's expiry plus a day, like the ttl slack
 *   of the DynamoDB implementation;
 * - callers only ever get copies, so they cannot change stored state.
 *
 * Each call yields to the event loop once before it acts (atomically), so concurrent
 * service calls interleave between repository calls as they would against a real store.
 *
 * Test hooks: `failNext(method, error)` makes the next call of a method throw (before it
 * does anything), `beforeNext(method, fn)` runs `fn` just before the next call acts (to
 * simulate a concurrent writer), `calls` counts calls per method, `snapshot()` returns a
 * deep copy of everything stored, for "nothing changed" assertions.
 */
export type RepositoryMethod = Exclude<keyof SessionRepository, never>;

/** Children outlive their session by at most this (DynamoDB's CHILD_SLACK_SECONDS). */
export const CHILD_SLACK_MS = 24 * 3600 * 1000;

const WRITES: readonly RepositoryMethod[] = ['createSession', 'replaceSession', 'updateSession', 'appendMessage'];

interface Hold {
  /** Mirror of the holding session, as DynamoDB's hold item copies its attributes. */
  session: Session;
}

export interface MemorySnapshot {
  sessions: Record<string, Session>;
  holds: Record<string, Session>;
  messages: Record<string, Message>;
  clientMessages: Record<string, ClientMessageRecord>;
}

export class MemorySessionRepository implements SessionRepository {
  private readonly sessions = new Map<string, Session>();
  private readonly holds = new Map<string, Hold>();
  private readonly messages = new Map<string, Message>();
  private readonly clientMessages = new Map<string, ClientMessageRecord>();

  private readonly faults = new Map<RepositoryMethod, Error[]>();
  private readonly hooks = new Map<RepositoryMethod, (() => unknown)[]>();
  readonly calls: Record<RepositoryMethod, number> = {
    findHolder: 0,
    getSession: 0,
    getSessions: 0,
    createSession: 0,
    replaceSession: 0,
    updateSession: 0,
    appendMessage: 0,
    getClientMessage: 0,
    markReplyFailed: 0,
    getMessages: 0,
    listMessages: 0,
    listUserSessions: 0,
    ping: 0,
    listIdleSessions: 0,
    listTenantSessions: 0,
    eraseUserSessions: 0,
  };

  // ---- test hooks ------------------------------------------------------------

  /** The next call of `method` throws `error` and changes nothing. Queues when called repeatedly. */
  failNext(method: RepositoryMethod, error: Error): this {
    const list = this.faults.get(method) ?? [];
    list.push(error);
    this.faults.set(method, list);
    return this;
  }

  /** Runs `fn` right before the next call of `method` acts (e.g. another writer getting in first). */
  beforeNext(method: RepositoryMethod, fn: () => unknown): this {
    const list = this.hooks.get(method) ?? [];
    list.push(fn);
    this.hooks.set(method, list);
    return this;
  }

  /** Total calls of the write methods so far. */
  writeCalls(): number {
    return WRITES.reduce((n, m) => n + this.calls[m], 0);
  }

  resetCalls(): void {
    for (const key of Object.keys(this.calls) as RepositoryMethod[]) this.calls[key] = 0;
  }

  /** A deep copy of everything stored, including expired items not yet "deleted". */
  snapshot(): MemorySnapshot {
    return structuredClone({
      sessions: Object.fromEntries(this.sessions),
      holds: Object.fromEntries([...this.holds].map(([k, h]) => [k, h.session])),
      messages: Object.fromEntries(this.messages),
      clientMessages: Object.fromEntries(this.clientMessages),
    });
  }

  /** Everything stored for one session (raw, including expired), for assertions. */
  storedMessages(tenantId: string, sessionId: string): Message[] {
    const prefix = `${sessionKey(tenantId, sessionId)}|`;
    return [...this.messages]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, m]) => structuredClone(m))
      .sort((a, b) => a.seq - b.seq);
  }

  /** Test setup: store a session (and its hold when live) directly, bypassing conditions. */
  seed(session: Session, messages: Message[] = []): void {
    this.sessions.set(sessionKey(session.tenantId, session.id), copy(session));
    if (isLive(session.status)) this.holds.set(holdKey(session.tenantId, session.topicId), { session: copy(session) });
    for (const m of messages) this.messages.set(messageKey(session.tenantId, m.sessionId, m.seq), copy(m));
  }

  private async enter(method: RepositoryMethod): Promise<void> {
    this.calls[method]++;
    // Yield once so that concurrent callers interleave between repository calls.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const hook = this.hooks.get(method)?.shift();
    if (hook) await hook();
    const fault = this.faults.get(method)?.shift();
    if (fault) throw fault;
  }

  // ---- reads -----------------------------------------------------------------

  async findHolder(tenantId: string, topicId: string, now: number): Promise<Session | null> {
    await this.enter('findHolder');
    const hold = this.liveHold(tenantId, topicId, now);
    return hold && isLive(hold.session.status) ? copy(hold.session) : null;
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

  async listMessages(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Promise<Message[]> {
    await this.enter('listMessages');
    if (!this.childrenVisible(tenantId, sessionId, now)) return [];
    const all = this.storedMessages(tenantId, sessionId);
    if (page.direction === 'forward') {
      const from = page.from ?? 0;
      return all.filter((m) => m.seq > from).slice(0, page.limit);
    }
    const before = page.from ?? Number.POSITIVE_INFINITY;
    const older = all.filter((m) => m.seq < before);
    return older.slice(Math.max(older.length - page.limit, 0));
  }

  async listUserSessions(tenantId: string, userId: string, page: SessionPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listUserSessions');
    let after: Position | null = null;
    if (page.cursor !== null) after = decodeCursor(page.cursor);
    const all = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && s.userId === userId)
      .sort(byRecentActivity);
    // Like the DynamoDB index: the cursor is a position, the filter applies after it.
    const startAt = after ? all.findIndex((s) => comparePosition(positionOf(s), after!) > 0) : 0;
    const found = (startAt < 0 ? [] : all.slice(startAt))
      .filter((s) => !isExpired(s.expiresAt, now))
      .filter((s) => !page.statuses || page.statuses.includes(s.status));
    const items = found.slice(0, page.limit);
    return {
      sessions: items.map(copy),
      cursors: items.map((s) => encodeCursor(positionOf(s))),
      hasNextPage: found.length > page.limit,
    };
  }

  async ping(): Promise<void> {
    await this.enter('ping');
  }

  // ---- admin (like DynamoDB's byTenantIdle / byTenantTopic indexes and erasure) ----

  async listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listIdleSessions');
    const after = page.cursor !== null ? decodeCursor(page.cursor) : null;
    // Oldest activity first: the reverse of index order.
    const all = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && isLive(s.status) && s.lastActivityAt < before)
      .sort((a, b) => byRecentActivity(b, a));
    const found = all.filter((s) => !after || comparePosition(positionOf(s), after) < 0).filter((s) => !isExpired(s.expiresAt, now));
    return this.adminPage(found, page.limit);
  }

  async listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listTenantSessions');
    const after = page.cursor !== null ? decodeCursor(page.cursor) : null;
    const found = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && topicIds.includes(s.topicId))
      .sort(byRecentActivity)
      .filter((s) => !after || comparePosition(positionOf(s), after) > 0)
      .filter((s) => !isExpired(s.expiresAt, now))
      .filter((s) => !page.statuses || page.statuses.includes(s.status));
    return this.adminPage(found, page.limit);
  }

  async eraseUserSessions(tenantId: string, userId: string, _topicIds: readonly string[], _now: number): Promise<ErasureCounts> {
    await this.enter('eraseUserSessions');
    const counts: ErasureCounts = { sessionsDeleted: 0, itemsDeleted: 0 };
    for (const [key, s] of [...this.sessions]) {
      if (s.tenantId !== tenantId || s.userId !== userId) continue;
      this.sessions.delete(key);
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
      const hk = holdKey(tenantId, s.topicId);
      if (this.holds.get(hk)?.session.id === s.id) {
        this.holds.delete(hk);
        counts.itemsDeleted++;
      }
      const prefix = `${key}|`;
      for (const children of [this.messages, this.clientMessages] as Map<string, unknown>[]) {
        for (const k of [...children.keys()]) {
          if (!k.startsWith(prefix)) continue;
          children.delete(k);
          counts.itemsDeleted++;
        }
      }
    }
    return counts;
  }

  private adminPage(found: Session[], limit: number): SessionPage {
    const items = found.slice(0, limit);
    return { sessions: items.map(copy), cursors: items.map((s) => encodeCursor(positionOf(s))), hasNextPage: found.length > limit };
  }

  // ---- writes ----------------------------------------------------------------

  async createSession(session: Session, first: Message, now: number): Promise<void> {
    await this.enter('createSession');
    const hk = holdKey(session.tenantId, session.topicId);
    const held = this.liveHold(session.tenantId, session.topicId, now);
    if (held) throw new TopicHeldError(copy(held.session));
    const sk = sessionKey(session.tenantId, session.id);
    const mk = messageKey(session.tenantId, first.sessionId, first.seq);
    if (this.sessions.has(sk) || this.messages.has(mk)) throw new StaleSessionError(session.id);
    this.holds.set(hk, { session: copy(session) });
    this.sessions.set(sk, copy(session));
    this.messages.set(mk, copy(first));
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
  }

  async updateSession(previous: Session, next: Session, now: number): Promise<void> {
    await this.enter('updateSession');
    this.assertCurrent(previous, now);
    this.writeSession(previous, next);
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
    this.writeSession(previous, next);
    this.messages.set(mk, copy(message));
    if (ck && record) this.clientMessages.set(ck, record);
  }

  // ---- internals -------------------------------------------------------------

  /** The conditions of DynamoDB's versioned session put and hold write. */
  private assertCurrent(previous: Session, now: number): void {
    const stored = this.sessions.get(sessionKey(previous.tenantId, previous.id));
    if (!stored || stored.version !== previous.version || isExpired(stored.expiresAt, now)) {
      throw new StaleSessionError(previous.id);
    }
    const hold = this.liveHold(previous.tenantId, previous.topicId, now);
    if (!hold || hold.session.id !== previous.id) throw new StaleSessionError(previous.id);
  }

  /** The session, and the hold in step: mirrored while live, removed when it ends. */
  private writeSession(previous: Session, next: Session): void {
    this.sessions.set(sessionKey(next.tenantId, next.id), copy(next));
    const hk = holdKey(previous.tenantId, previous.topicId);
    if (isLive(next.status)) this.holds.set(hk, { session: copy(next) });
    else this.holds.delete(hk);
  }

  private liveHold(tenantId: string, topicId: string, now: number): Hold | null {
    const hold = this.holds.get(holdKey(tenantId, topicId));
    return hold && !isExpired(hold.session.expiresAt, now) ? hold : null;
  }

  private liveSession(tenantId: string, sessionId: string, now: number): Session | null {
    const s = this.sessions.get(sessionKey(tenantId, sessionId));
    return s && !isExpired(s.expiresAt, now) ? s : null;
  }

  /** Children expire a day after their session (the DynamoDB slack), never before it. */
  private childrenVisible(tenantId: string, sessionId: string, now: number): boolean {
    const s = this.sessions.get(sessionKey(tenantId, sessionId));
    return !!s && !isExpired(s.expiresAt + CHILD_SLACK_MS, now);
  }
}

// ---- keys and cursors ----------------------------------------------------------

const sessionKey = (tenantId: string, sessionId: string) => `${JSON.stringify(tenantId)}|S|${sessionId}`;
const holdKey = (tenantId: string, topicId: string) => `${JSON.stringify(tenantId)}|T|${topicId}`;
const messageKey = (tenantId: string, sessionId: string, seq: number) => `${sessionKey(tenantId, sessionId)}|${seq}`;
const clientMessageKey = (tenantId: string, sessionId: string, clientMessageId: string) =>
  `${sessionKey(tenantId, sessionId)}|C|${clientMessageId}`;

const copy = <T>(value: T): T => structuredClone(value);

/** Index order: most recent activity first, then session id descending (as the GSI sort key). */
type Position = [lastActivityAt: number, sessionId: string];

const positionOf = (s: Session): Position => [s.lastActivityAt, s.id];

/** Negative when `a` comes before `b` in index order. */
function comparePosition(a: Position, b: Position): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  return a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0;
}

const byRecentActivity = (a: Session, b: Session) => comparePosition(positionOf(a), positionOf(b));

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const bad = () => badInput('Invalid cursor', { argumentName: 'after' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !isSessionId(id)) throw bad();
  return [at, id];
}

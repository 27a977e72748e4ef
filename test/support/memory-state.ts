import { childExpiresAt } from '../../src/domain/child-ttl';
import { isExpired, isLive, Message, Session } from '../../src/domain/session';
import type { ErasureCounts, Outcome, TransferEntry } from '../../src/domain/user-data';
import type { AdminRepository } from '../../src/sessions/admin-repository';
import type { ClientMessageRecord, RegenerationRecord, ReplyClaim, SessionRepository } from '../../src/sessions/repository';

/**
 * What MemorySessionRepository stores, and its test hooks (the repository semantics
 * are in memory-repository.ts):
 *
 * `failNext(method, error)` makes the next call of a method throw (before it does
 * anything), `beforeNext(method, fn)` runs `fn` just before the next call acts (to
 * simulate a concurrent writer), `calls` counts calls per method, `snapshot()` returns a
 * deep copy of everything stored, for "nothing changed" assertions.
 */
export type RepositoryMethod = keyof SessionRepository | Exclude<keyof AdminRepository, keyof SessionRepository>;

export { CHILD_SLACK_MS } from '../../src/domain/child-ttl';

const WRITES: readonly RepositoryMethod[] = ['createSession', 'replaceSession', 'updateSession', 'completeSession', 'transferSession', 'appendMessage', 'appendReply', 'claimReply', 'releaseReply', 'storeMemory'];

/** That a user owns, owned or transferred a session (DynamoDB's mention items). */
export interface Mention {
  tenantId: string;
  userId: string;
  sessionId: string;
  owner: boolean;
}

/** That an erasure happened (DynamoDB's audit item). */
export interface Audit {
  tenantId: string;
  userId: string;
  by: string;
  at: number;
  counts: ErasureCounts;
}

export interface Hold {
  /** Mirror of the holding session, as DynamoDB's hold item copies its attributes. */
  session: Session;
}

export interface MemorySnapshot {
  sessions: Record<string, Session>;
  holds: Record<string, Session>;
  messages: Record<string, Message>;
  clientMessages: Record<string, ClientMessageRecord>;
  regenerations: Record<string, RegenerationRecord>;
  claims: Record<string, ReplyClaim>;
  outcomes: Record<string, Outcome>;
  transfers: Record<string, TransferEntry>;
  mentions: Record<string, Mention>;
  audits: Audit[];
}

export class MemoryState {
  protected readonly sessions = new Map<string, Session>();
  protected readonly holds = new Map<string, Hold>();
  protected readonly messages = new Map<string, Message>();
  protected readonly clientMessages = new Map<string, ClientMessageRecord>();
  /** regenerateReply's records, and its claims on replies (by message key): DynamoDB keeps both in the session's partition. */
  protected readonly regenerations = new Map<string, RegenerationRecord>();
  protected readonly claims = new Map<string, ReplyClaim>();
  protected readonly outcomes = new Map<string, Outcome>();
  protected readonly transfers = new Map<string, TransferEntry>();
  protected readonly mentions = new Map<string, Mention>();
  protected readonly audits: Audit[] = [];

  private readonly faults = new Map<RepositoryMethod, Error[]>();
  private readonly hooks = new Map<RepositoryMethod, (() => unknown)[]>();
  readonly calls: Record<RepositoryMethod, number> = {
    findHolder: 0,
    getSession: 0,
    getSessions: 0,
    createSession: 0,
    replaceSession: 0,
    updateSession: 0,
    completeSession: 0,
    transferSession: 0,
    appendMessage: 0,
    appendReply: 0,
    claimReply: 0,
    releaseReply: 0,
    getRegeneration: 0,
    storeMemory: 0,
    getClientMessage: 0,
    markReplyFailed: 0,
    getMessages: 0,
    rateMessage: 0,
    listMessages: 0,
    listMessagePage: 0,
    listUserSessions: 0,
    listOutcomes: 0,
    ping: 0,
    listIdleSessions: 0,
    listTenantSessions: 0,
    listTransfers: 0,
    listUserTransfers: 0,
    isKnownUser: 0,
    eraseUserData: 0,
    exportUserData: 0,
  };

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
      regenerations: Object.fromEntries(this.regenerations),
      claims: Object.fromEntries(this.claims),
      outcomes: Object.fromEntries(this.outcomes),
      transfers: Object.fromEntries(this.transfers),
      mentions: Object.fromEntries(this.mentions),
      audits: this.audits,
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

  /** Every call starts here: counted, then one yield so concurrent callers interleave, then hooks and faults. */
  protected async enter(method: RepositoryMethod): Promise<void> {
    this.calls[method]++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    const hook = this.hooks.get(method)?.shift();
    if (hook) await hook();
    const fault = this.faults.get(method)?.shift();
    if (fault) throw fault;
  }

  protected liveHold(tenantId: string, topicId: string, now: number): Hold | null {
    const hold = this.holds.get(holdKey(tenantId, topicId));
    return hold && !isExpired(hold.session.expiresAt, now) ? hold : null;
  }

  protected liveSession(tenantId: string, sessionId: string, now: number): Session | null {
    const s = this.sessions.get(sessionKey(tenantId, sessionId));
    return s && !isExpired(s.expiresAt, now) ? s : null;
  }

  /** Children expire after their session by the domain's slack (domain/child-ttl.ts), never before it. */
  protected childrenVisible(tenantId: string, sessionId: string, now: number): boolean {
    const s = this.sessions.get(sessionKey(tenantId, sessionId));
    return !!s && !isExpired(childExpiresAt(s), now);
  }
}

export const sessionKey = (tenantId: string, sessionId: string) => `${JSON.stringify(tenantId)}|S|${sessionId}`;
export const holdKey = (tenantId: string, topicId: string) => `${JSON.stringify(tenantId)}|T|${topicId}`;
export const messageKey = (tenantId: string, sessionId: string, seq: number) => `${sessionKey(tenantId, sessionId)}|${seq}`;
export const clientMessageKey = (tenantId: string, sessionId: string, clientMessageId: string) =>
  `${sessionKey(tenantId, sessionId)}|C|${clientMessageId}`;
export const regenerationKey = (tenantId: string, sessionId: string, clientMessageId: string) => `${sessionKey(tenantId, sessionId)}|R|${clientMessageId}`;
export const transferKey = (tenantId: string, sessionId: string, seq: number) => `${sessionKey(tenantId, sessionId)}|X|${String(seq).padStart(8, '0')}`;
export const mentionKey = (tenantId: string, sessionId: string, userId: string) => `${sessionKey(tenantId, sessionId)}|M|${JSON.stringify(userId)}`;
export const outcomeKey = (tenantId: string, userId: string, topicId: string) => `${JSON.stringify(tenantId)}|U|${JSON.stringify(userId)}|${topicId}`;

export const copy = <T>(value: T): T => structuredClone(value);

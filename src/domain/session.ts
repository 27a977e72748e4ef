import type { TokenUsage } from './usage';
import { DomainError, sessionNotActive, sessionNotLive } from './errors';

export const SESSION_STATUSES = ['ACTIVE', 'PAUSED', 'COMPLETED', 'CANCELLED', 'ABANDONED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export type LiveStatus = Extract<SessionStatus, 'ACTIVE' | 'PAUSED'>;
export type TerminalStatus = Exclude<SessionStatus, LiveStatus>;

export const isLive = (status: SessionStatus): status is LiveStatus =>
  status === 'ACTIVE' || status === 'PAUSED';

export type MessageRole = 'USER' | 'ASSISTANT';

/** A coaching session as stored. Times are epoch milliseconds. */
export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  topicId: string;
  status: SessionStatus;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  endedAt: number | null;
  /** When the session and everything it owns stop existing (the item's `ttl`, in ms). */
  expiresAt: number;
  /** Messages stored (a coach reply still on its way is not counted). */
  messageCount: number;
  /**
   * The highest seq handed out: a user's message takes the next seq and keeps the one after it
   * for its reply, so a reply always follows the message it answers. Absent on sessions stored
   * before it existed (then it equals messageCount).
   */
  lastSeq?: number;
  /** Optimistic-concurrency counter: every write of the session (but a coach reply's) increments it. */
  version: number;
  /** Set when a tenant admin moved the session to another user (the latest transfer). */
  transfer?: SessionTransfer | null;
  /** User messages so far (a turn is one user message); absent on sessions stored before it existed: 0. */
  turnCount?: number;
  /** What completeSession extracted (valid against the topic's resultSchema), when it succeeded. */
  result?: Record<string, unknown> | null;
  /** Why no result was stored (extraction failed, timed out or did not validate). */
  resultError?: string | null;
  /**
   * How many times an erasure removed another user's messages from this session; absent: 0.
   * A completion whose extraction read the messages before such a change extracts again.
   */
  redactions?: number;
  /**
   * Coach replies replaced by regenerateReply so far (absent: 0): like `redactions`, a change
   * of the conversation that leaves messageCount as it was.
   */
  revisions?: number;
  /**
   * Who owned which part of the conversation (visibility.ts): each owner since the first
   * transfer made under this rule, with the first seq of their ownership, oldest first.
   * Absent: never transferred since (or transferred before the rule existed: `transfer` set).
   */
  owners?: Ownership[];
  /** Authors who let their part of the conversation move with a transfer (setAllowTransferWithContent). */
  sharedBy?: string[];
  /**
   * The coach's memory (src/sessions/memory.ts), written beside the user's writes without a
   * version: the rolling summary of the visible messages up to `summaryThrough`, and a title.
   */
  summary?: string;
  /** The last seq the summary covers (a transfer that drops the memory sets it to where the new ownership starts). */
  summaryThrough?: number;
  title?: string;
  /** Tokens of every model call stored for the session (replies, memory, welcome backs, result), added up by its writes; absent: none. */
  usage?: TokenUsage;
  /**
   * What the store knows of the stored item that a write from this session needs, so the
   * write reads nothing more: set by the store's single reads and its writes, carried by
   * spreads. Absent (a listing, a fake): the store reads what it lacks.
   */
  stored?: StoredState;
}

/** The store's own attributes of a session item: its children's ttl floor and its admin index time (null: not stored). */
export interface StoredState {
  childTtl: number | null;
  indexedAt: number | null;
}

/** One ownership of a session: `userId` owned the messages from seq `fromSeq` on (until the next one's). */
export interface Ownership {
  userId: string;
  fromSeq: number;
}

/** Audit of an admin transfer: when, by which admin, from which user. */
export interface SessionTransfer {
  at: number;
  by: string;
  from: string;
}

export interface Message {
  sessionId: string;
  /** 1-based position in the conversation; also the message's ordering key. */
  seq: number;
  role: MessageRole;
  content: string;
  createdAt: number;
  /** The user's idempotency key (USER), or the one of the message a reply answers (ASSISTANT). */
  clientMessageId?: string;
  /** A coach reply: the seq of the user message it answers (openings and welcome backs have none). */
  replyTo?: number;
  /** A user message: the user who wrote it (the session's owner at the time). */
  authorId?: string;
  /** A coach reply regenerated this many times (regenerateReply; absent: 0): part of its id. */
  revision?: number;
  /** A coach message: its owner's rating (1-5) and comment, the latest given. */
  rating?: number;
  ratingComment?: string | null;
  /** A coach message: what the model calls that wrote it consumed (absent: none recorded). */
  usage?: TokenUsage;
}

/** The highest seq handed out so far (see Session.lastSeq). */
export const lastSeqOf = (s: Session) => Math.max(s.lastSeq ?? 0, s.messageCount);

/** Per-topic session settings (the spec's `TopicSessionSettings`). */
export interface SessionSettings {
  inactivityTimeoutMinutes: number;
  activeTtlSeconds: number;
  terminalTtlSeconds: number;
  /** At most this many user messages per session; null or absent: unlimited. */
  maxTurns?: number | null;
  /** The coach is told the user's outcomes of the tenant's other topics; absent: true. */
  remembersOutcomes?: boolean;
}

/**
 * TTL policy. Expiry is kept at whole seconds because DynamoDB's `ttl` is epoch
 * seconds; `expiresAt` and the stored `ttl` then always agree exactly.
 */
export function expiryFor(
  status: SessionStatus,
  lastActivityAt: number,
  endedAt: number | null,
  settings: SessionSettings,
): number {
  const base = isLive(status) ? lastActivityAt : (endedAt ?? lastActivityAt);
  const seconds = isLive(status) ? settings.activeTtlSeconds : settings.terminalTtlSeconds;
  return (Math.floor(base / 1000) + seconds) * 1000;
}

export const isExpired = (expiresAt: number, now: number) => expiresAt <= now;

/** Idle is information only: it never blocks or closes anything. */
export function idleSince(session: Pick<Session, 'status' | 'lastActivityAt'>, settings: SessionSettings, now: number): number | null {
  if (!isLive(session.status)) return null;
  const threshold = session.lastActivityAt + settings.inactivityTimeoutMinutes * 60_000;
  return now >= threshold ? session.lastActivityAt : null;
}

/** A live session after some write at `now`: activity and expiry move forward together. */
export function touched(session: Session, status: LiveStatus, now: number, settings: SessionSettings): Session {
  return {
    ...session,
    status,
    updatedAt: now,
    lastActivityAt: now,
    expiresAt: expiryFor(status, now, null, settings),
    version: session.version + 1,
  };
}

export function ended(session: Session, status: TerminalStatus, now: number, settings: SessionSettings): Session {
  return {
    ...session,
    status,
    updatedAt: now,
    endedAt: now,
    expiresAt: expiryFor(status, session.lastActivityAt, now, settings),
    version: session.version + 1,
  };
}

export function assertLive(session: Session): void {
  if (!isLive(session.status)) throw sessionNotLive(session.status);
}

export function assertActive(session: Session): void {
  assertLive(session);
  if (session.status !== 'ACTIVE') throw sessionNotActive(session.status);
}

/** Transitions allowed by id (the lifecycle table); anything else is refused before any write. */
export function assertTransition(session: Session, to: SessionStatus): void {
  assertLive(session);
  if (to === 'PAUSED' && session.status !== 'ACTIVE') {
    throw new DomainError('SESSION_NOT_ACTIVE', `Only an active session can be paused; this one is ${session.status}`);
  }
}

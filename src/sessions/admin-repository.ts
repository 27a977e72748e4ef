import { Session } from '../domain/session';
import { ErasureCounts, ExportPage, TransferEntry } from '../domain/user-data';
import { SessionPage, SessionPageRequest, SessionRepository } from './repository';

export type { ErasureCounts } from '../domain/user-data';

/**
 * The persistence port of tenant administration and of a user's data rights
 * (docs/administration.md): always within one tenant, never a scan.
 */
export interface AdminRepository extends Pick<SessionRepository, 'getSession' | 'updateSession'> {
  /**
   * Moves `previous` to `next` (its new owner) in one versioned write that also appends
   * `entry` to the session's transfer history (never rewriting an entry) and keeps the hold
   * in step. StaleSessionError when the session moved on since it was read.
   */
  transferSession(previous: Session, next: Session, entry: TransferEntry, now: number): Promise<void>;
  /** The session's transfer history, oldest first, after `page.afterSeq`. */
  listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage>;
  /**
   * The transfers that moved a session from or to the user (myTransfers), newest first, before
   * `page.before`; kept as long as their session's other children (until its TTL).
   */
  listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage>;
  /**
   * Whether the tenant holds data of the user: a session of theirs (any status, until its
   * TTL), a session they owned before a transfer, or a kept outcome.
   */
  isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean>;
  /** The tenant's live sessions with last activity before `before`, oldest activity first. */
  listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage>;
  /** The tenant's sessions of these topics (optionally of these statuses), most recent activity first. */
  listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage>;
  /**
   * Erases the user's data (docs/administration.md, "Right to erasure"): every session of
   * theirs (live, ended, expired-but-undeleted, and the messages of one whose item TTL
   * already removed) with everything it owns and its hold; their outcomes; and, in sessions
   * transferred away from them, what they wrote and what answered it, and their name in
   * transfer histories and audits. Then records that the erasure happened (by `actorId`).
   * `topicIds` lets the store find a live session through its hold (a consistent read) that
   * a just-written, eventually consistent index does not list yet.
   */
  eraseUserData(tenantId: string, userId: string, actorId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts>;
  /** One page of everything stored about the user (exportMyData); `cursor` is opaque and store-made. */
  exportUserData(tenantId: string, userId: string, page: AdminPageRequest, now: number): Promise<ExportPage>;
}

export interface AdminPageRequest {
  limit: number;
  cursor: string | null;
}

export interface TransferPageRequest {
  limit: number;
  afterSeq: number | null;
}

export interface TransferPage {
  transfers: TransferEntry[];
  hasNextPage: boolean;
}

/** Where a user's transfer listing stands: the last entry shown (newest first). */
export interface UserTransferPosition {
  at: number;
  sessionId: string;
  seq: number;
}

export interface UserTransferPageRequest {
  limit: number;
  before: UserTransferPosition | null;
}

import { Session } from '../domain/session';
import { ErasureCounts, ExportPage, TransferEntry } from '../domain/user-data';
import { SessionPage, SessionPageRequest, SessionRepository } from './repository';

export type { ErasureCounts } from '../domain/user-data';

/** The port of tenant administration and data rights: always within one tenant, never a scan. */
export interface AdminRepository extends Pick<SessionRepository, 'getSession' | 'updateSession'> {
  /** One versioned write with the appended history entry and the hold; StaleSessionError if it moved on. */
  transferSession(previous: Session, next: Session, entry: TransferEntry, now: number): Promise<void>;
  /** The session's transfer history, oldest first, after `page.afterSeq`. */
  listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage>;
  listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage>;
  /** A session of theirs, one they owned before a transfer, or a kept outcome. */
  isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean>;
  /** The tenant's live sessions with last activity before `before`, oldest activity first. */
  listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage>;
  /** The tenant's sessions of these topics (optionally of these statuses), most recent activity first. */
  listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage>;
  /**
   * docs/administration.md, "Right to erasure". `topicIds` finds a live session through its
   * hold (consistent) when the index does not list it yet.
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

import { SessionPage, SessionPageRequest, SessionRepository } from './repository';

/**
 * The persistence port of tenant administration (docs/administration.md): always within one
 * tenant, never a scan. A transfer is an ordinary versioned session write, so the port
 * includes the two session operations it needs.
 */
export interface AdminRepository extends Pick<SessionRepository, 'getSession' | 'updateSession'> {
  /** The tenant's live sessions with last activity before `before`, oldest activity first. */
  listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage>;
  /** The tenant's sessions of these topics (optionally of these statuses), most recent activity first. */
  listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage>;
  /**
   * Deletes every session of the user (live, ended and expired-but-undeleted), each with
   * its children and its hold (only a hold naming that session). `topicIds` lets the store
   * also find a live session through its hold (a consistent read) that a just-written,
   * eventually consistent index does not list yet.
   */
  eraseUserSessions(tenantId: string, userId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts>;
}

export interface AdminPageRequest {
  limit: number;
  cursor: string | null;
}

export interface ErasureCounts {
  sessionsDeleted: number;
  /** Every item deleted: sessions, holds, messages, records. */
  itemsDeleted: number;
}

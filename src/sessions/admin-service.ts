import { Clock } from '../domain/clock';
import { badInput, forbidden, notFound, sessionNotLive } from '../domain/errors';
import { isSessionId, isTopicId } from '../domain/ids';
import { DEFAULT_SETTINGS, idleSince, isLive, LiveStatus, Session, SessionStatus, touched } from '../domain/session';
import { ExportPage, TransferEntry } from '../domain/user-data';
import { Viewer } from '../domain/viewer';
import { ownershipsAfterTransfer, sharedBy } from '../domain/visibility';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import { AdminRepository, ErasureCounts, TransferPage, UserTransferPosition } from './admin-repository';
import { SessionPage } from './repository';
import { retryOnStale } from './retry';
import type { SessionView } from './session-service';

export interface AdminLimits {
  maxPageSize: number;
  defaultPageSize: number;
}

/** exportMyData's pages: as many records as the largest page of anything else, by default. */
export const EXPORT_PAGE = { max: 100, default: 100 };

export type AdminSessionPage = Omit<SessionPage, 'sessions'> & { sessions: SessionView[] };

const MAX_USER_ID = 256;
/** Ten years: a larger idle threshold is a typo. */
const MAX_IDLE_MINUTES = 10 * 366 * 24 * 60;

/**
 * Tenant administration (docs/administration.md): transfer and its history, idle and
 * per-topic listings, erasure; and a user's own data rights (eraseMyData, exportMyData).
 * Another tenant's ids behave like unknown ones because every read and write is keyed by
 * the caller's own tenant. Who may call what is decided before: the GraphQL layer lets only
 * admins reach everything but eraseMyData and exportMyData (`@Authorized(ADMIN_ROLE)`,
 * src/graphql/auth.ts). Admins manage sessions but never read their content: every session
 * shown here is metadata (no result, see `metadata`), and messages stay the owner's.
 */
export class AdminService {
  constructor(
    private readonly repo: AdminRepository,
    /** A fixed catalogue or TenantTopics: the caller's tenant's, read once per operation. */
    private readonly topics: TopicSource,
    private readonly clock: Clock,
    /** How a session is shown (the session service's view, so isIdle/idleSince are as usual). */
    private readonly view: (session: Session, now: number, catalog: TopicCatalog) => SessionView = defaultView,
    private readonly limits: AdminLimits = { maxPageSize: 100, defaultPageSize: 20 },
  ) {}

  /**
   * Moves a live session, and its hold on the topic, to another user of the tenant in one
   * versioned write that appends the hop to the session's history. Never to the acting admin
   * (they would read and write the conversation as its owner: FORBIDDEN), and only to a user
   * the tenant knows (has or had a session, or keeps an outcome: BAD_USER_INPUT otherwise).
   * The transfer counts as activity: the new owner starts with a fresh idle clock and a full
   * active TTL, and a new idle period begins. Messages keep their author. A new ownership
   * starts after every seq handed out so far: what came before stays readable only to its
   * authors, or to the next owners of an author who consented (src/domain/visibility.ts).
   */
  async transfer(viewer: Viewer, sessionId: string, toUserId: string): Promise<SessionView> {
    validateUserId(toUserId, 'toUserId');
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    if (toUserId === viewer.userId) throw forbidden('An admin cannot transfer a session to themselves');
    const catalog = await this.topics.catalogFor(viewer.tenantId);
    let known = false;
    return retryOnStale(async () => {
      const now = this.clock.now();
      const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
      if (!session) throw notFound('Session');
      if (!isLive(session.status)) throw sessionNotLive(session.status);
      if (session.userId === toUserId) return this.metadata(session, now, catalog);
      known ||= await this.repo.isKnownUser(viewer.tenantId, toUserId, now);
      if (!known) {
        throw badInput('"toUserId" is not a user of your tenant: a session can only go to someone who has or had a session here', {
          argumentName: 'toUserId',
        });
      }
      const next: Session = {
        ...touched(session, session.status as LiveStatus, now, settingsOf(catalog, session)),
        userId: toUserId,
        transfer: { at: now, by: viewer.userId, from: session.userId },
        owners: ownershipsAfterTransfer(session, toUserId),
      };
      const entry: TransferEntry = {
        sessionId,
        seq: next.version,
        at: now,
        from: session.userId,
        to: toUserId,
        by: viewer.userId,
        topicId: session.topicId,
        withContent: sharedBy(session, session.userId),
      };
      await this.repo.transferSession(session, next, entry, now);
      return this.metadata(next, now, catalog);
    });
  }

  /** A session's transfer history, oldest first (any status, until the session's TTL). */
  async sessionTransfers(viewer: Viewer, sessionId: string, first: number | null, afterSeq: number | null): Promise<TransferPage> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const limit = this.pageSize(first);
    const now = this.clock.now();
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    if (!session) throw notFound('Session');
    const page = await this.repo.listTransfers(viewer.tenantId, sessionId, { limit, afterSeq }, now);
    // Entries stored before they recorded the topic: the session's (it never changes topic).
    return { ...page, transfers: page.transfers.map((t) => ({ ...t, topicId: t.topicId ?? session.topicId })) };
  }

  /**
   * The owner's consent that their part of the conversation (what they wrote, and the coach's
   * messages to them) moves with a later transfer, or its withdrawal. Covers only the caller's
   * own part, whatever the session's history; a live session only (only those move).
   * NOT_FOUND for an unknown session or someone else's.
   */
  async setAllowTransferWithContent(viewer: Viewer, sessionId: string, allow: boolean): Promise<SessionView> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const catalog = await this.topics.catalogFor(viewer.tenantId);
    return retryOnStale(async () => {
      const now = this.clock.now();
      const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
      if (!session || session.userId !== viewer.userId) throw notFound('Session');
      if (sharedBy(session, viewer.userId) === allow) return this.view(session, now, catalog);
      if (!isLive(session.status)) throw sessionNotLive(session.status);
      const others = (session.sharedBy ?? []).filter((u) => u !== viewer.userId);
      const next: Session = { ...session, sharedBy: allow ? [...others, viewer.userId] : others, updatedAt: now, version: session.version + 1 };
      await this.repo.updateSession(session, next, now);
      return this.view(next, now, catalog);
    });
  }

  /** The transfers of the caller's sessions, from or to them, newest first (`before`: the last one shown). */
  async myTransfers(viewer: Viewer, first: number | null, before: UserTransferPosition | null): Promise<TransferPage> {
    const limit = this.pageSize(first);
    return this.repo.listUserTransfers(viewer.tenantId, viewer.userId, { limit, before }, this.clock.now());
  }

  /** The tenant's live sessions idle for at least `minIdleMinutes`, oldest activity first. */
  async idleSessions(viewer: Viewer, minIdleMinutes: number, first: number | null, after: string | null): Promise<AdminSessionPage> {
    if (!Number.isInteger(minIdleMinutes) || minIdleMinutes < 0 || minIdleMinutes > MAX_IDLE_MINUTES) {
      throw badInput(`"minIdleMinutes" must be between 0 and ${MAX_IDLE_MINUTES}`, { argumentName: 'minIdleMinutes' });
    }
    const limit = this.pageSize(first);
    const catalog = await this.topics.catalogFor(viewer.tenantId);
    const now = this.clock.now();
    const page = await this.repo.listIdleSessions(viewer.tenantId, now - minIdleMinutes * 60_000, { limit, cursor: after }, now);
    return { ...page, sessions: page.sessions.map((s) => this.metadata(s, now, catalog)) };
  }

  /**
   * Who holds what: the tenant's sessions of one topic (or of every catalogue topic when
   * `topicId` is null), optionally of some statuses, most recent activity first.
   */
  async tenantSessions(
    viewer: Viewer,
    topicId: string | null,
    statuses: readonly SessionStatus[] | null,
    first: number | null,
    after: string | null,
  ): Promise<AdminSessionPage> {
    if (topicId !== null && !isTopicId(topicId)) throw badInput('Malformed topic id', { argumentName: 'topicId' });
    const limit = this.pageSize(first);
    const catalog = await this.topics.catalogFor(viewer.tenantId);
    // Archived topics included: their live sessions continue.
    const topicIds = topicId !== null ? [topicId] : catalog.all.map((t) => t.id);
    const now = this.clock.now();
    const page = await this.repo.listTenantSessions(
      viewer.tenantId,
      topicIds,
      { statuses: statuses && statuses.length ? statuses : null, limit, cursor: after },
      now,
    );
    return { ...page, sessions: page.sessions.map((s) => this.metadata(s, now, catalog)) };
  }

  /** Right to erasure, for the caller: everything of theirs, now (docs/administration.md). */
  async eraseMyData(viewer: Viewer): Promise<ErasureCounts> {
    return this.erase(viewer.tenantId, viewer.userId, viewer.userId);
  }

  /** Right to erasure, by a tenant admin, for a user of the same tenant. */
  async eraseUserData(viewer: Viewer, userId: string): Promise<ErasureCounts> {
    validateUserId(userId, 'userId');
    return this.erase(viewer.tenantId, userId, viewer.userId);
  }

  /** Right of access: one page of everything stored about the caller (`after`: the previous page's cursor). */
  async exportMyData(viewer: Viewer, first: number | null, after: string | null): Promise<ExportPage> {
    const limit = this.pageSize(first, EXPORT_PAGE);
    return this.repo.exportUserData(viewer.tenantId, viewer.userId, { limit, cursor: after }, this.clock.now());
  }

  private async erase(tenantId: string, userId: string, actorId: string): Promise<ErasureCounts> {
    // Every topic of the tenant, archived ones included: a live session of one still holds it.
    const catalog = await this.topics.catalogFor(tenantId);
    return this.repo.eraseUserData(tenantId, userId, actorId, catalog.all.map((t) => t.id), this.clock.now());
  }

  /** What an admin sees of a session: its metadata. Its result quotes the conversation, so it is the owner's only. */
  private metadata(session: Session, now: number, catalog: TopicCatalog): SessionView {
    return { ...this.view(session, now, catalog), result: null, resultError: null };
  }

  private pageSize(value: number | null, range = { max: this.limits.maxPageSize, default: this.limits.defaultPageSize }): number {
    if (value === null) return range.default;
    if (!Number.isInteger(value) || value < 1 || value > range.max) {
      throw badInput(`"first" must be between 1 and ${range.max}`, { argumentName: 'first' });
    }
    return value;
  }
}

/** User ids come from tokens elsewhere; an admin names one here, so bound its shape. */
function validateUserId(userId: string, argumentName: string): void {
  if (!userId.trim() || userId.length > MAX_USER_ID) {
    throw badInput(`"${argumentName}" must be 1 to ${MAX_USER_ID} characters`, { argumentName });
  }
  if (/[\u0000-\u001F\u007F-\u009F]/.test(userId) || !userId.isWellFormed()) {
    throw badInput(`"${argumentName}" contains control characters or invalid Unicode`, { argumentName });
  }
}

const settingsOf = (catalog: TopicCatalog, session: Session) => catalog.get(session.topicId)?.settings ?? DEFAULT_SETTINGS;

function defaultView(session: Session, now: number, topics: TopicCatalog): SessionView {
  const since = idleSince(session, settingsOf(topics, session), now);
  return { ...session, isIdle: since !== null, idleSince: since } as SessionView;
}


import { Clock } from '../domain/clock';
import { badInput, forbidden, notFound, sessionNotLive } from '../domain/errors';
import { assertUserId, isSessionId } from '../domain/ids';
import { isLive, LiveStatus, Session, touched } from '../domain/session';
import { TransferEntry } from '../domain/user-data';
import { Viewer } from '../domain/viewer';
import { ownershipsAfterTransfer, sharedBy } from '../domain/visibility';
import { memoryAfterTransfer } from '../domain/memory';
import type { SessionLimits } from '../defaults';
import { TopicSource } from '../topics/catalog';
import { AdminRepository, TransferPage, UserTransferPosition } from '../sessions/admin-repository';
import { pageSize } from '../sessions/input-checks';
import { retryOnStale } from '../sessions/concurrency';
import { adminView, SessionView, sessionView, topicOf } from '../sessions/session-view';

export interface TransferDeps {
  repo: AdminRepository;
  topics: TopicSource;
  clock: Clock;
  limits: Pick<SessionLimits, 'maxPageSize' | 'defaultPageSize'>;
}

/** Transfers (docs/administration.md#transfers-and-consent); admins see metadata only. */
export class Transfers {
  constructor(private readonly deps: TransferDeps) {}

  /**
   * Never to the acting admin; counts as activity. The new ownership starts after every seq
   * handed out, so the earlier part stays with its authors (and consenters' successors).
   */
  async transfer(viewer: Viewer, sessionId: string, toUserId: string): Promise<SessionView> {
    assertUserId(toUserId, 'toUserId');
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    if (toUserId === viewer.userId) throw forbidden('An admin cannot transfer a session to themselves');
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    let known = false;
    return retryOnStale(async () => {
      const now = this.deps.clock.now();
      const session = await this.deps.repo.getSession(viewer.tenantId, sessionId, now);
      if (!session) throw notFound('Session');
      if (!isLive(session.status)) throw sessionNotLive(session.status);
      if (session.userId === toUserId) return adminView(session, now, catalog);
      known ||= await this.deps.repo.isKnownUser(viewer.tenantId, toUserId, now);
      if (!known) {
        throw badInput('"toUserId" is not a user of your tenant: a session can only go to someone who has or had a session here', {
          argumentName: 'toUserId',
        });
      }
      const next: Session = memoryAfterTransfer(session, {
        ...touched(session, session.status as LiveStatus, now, topicOf(catalog, session).settings),
        userId: toUserId,
        transfer: { at: now, by: viewer.userId, from: session.userId },
        owners: ownershipsAfterTransfer(session, toUserId),
      });
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
      await this.deps.repo.transferSession(session, next, entry, now);
      return adminView(next, now, catalog);
    });
  }

  /** A session's transfer history, oldest first (any status, until the session's TTL). */
  async sessionTransfers(viewer: Viewer, sessionId: string, first: number | null, afterSeq: number | null): Promise<TransferPage> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const limit = pageSize(this.deps.limits, first, 'first');
    const now = this.deps.clock.now();
    const session = await this.deps.repo.getSession(viewer.tenantId, sessionId, now);
    if (!session) throw notFound('Session');
    const page = await this.deps.repo.listTransfers(viewer.tenantId, sessionId, { limit, afterSeq }, now);
    // Entries stored before they recorded the topic: the session's (it never changes topic).
    return { ...page, transfers: page.transfers.map((t) => ({ ...t, topicId: t.topicId ?? session.topicId })) };
  }

  /** Consent that their part moves with a later transfer (or its withdrawal); live sessions only. */
  async setAllowTransferWithContent(viewer: Viewer, sessionId: string, allow: boolean): Promise<SessionView> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    return retryOnStale(async () => {
      const now = this.deps.clock.now();
      const session = await this.deps.repo.getSession(viewer.tenantId, sessionId, now);
      if (!session || session.userId !== viewer.userId) throw notFound('Session');
      if (sharedBy(session, viewer.userId) === allow) return sessionView(session, now, catalog);
      if (!isLive(session.status)) throw sessionNotLive(session.status);
      const others = (session.sharedBy ?? []).filter((u) => u !== viewer.userId);
      const next: Session = { ...session, sharedBy: allow ? [...others, viewer.userId] : others, updatedAt: now, version: session.version + 1 };
      await this.deps.repo.updateSession(session, next, now);
      return sessionView(next, now, catalog);
    });
  }

  /** The transfers of the caller's sessions, from or to them, newest first (`before`: the last one shown). */
  async myTransfers(viewer: Viewer, first: number | null, before: UserTransferPosition | null): Promise<TransferPage> {
    const limit = pageSize(this.deps.limits, first, 'first');
    return this.deps.repo.listUserTransfers(viewer.tenantId, viewer.userId, { limit, before }, this.deps.clock.now());
  }
}

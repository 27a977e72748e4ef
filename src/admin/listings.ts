import { Clock } from '../domain/clock';
import { badInput } from '../domain/errors';
import { isTopicId } from '../domain/ids';
import { SessionStatus } from '../domain/session';
import { Viewer } from '../domain/viewer';
import type { SessionLimits } from '../defaults';
import { TopicSource } from '../topics/catalog';
import { AdminRepository } from '../sessions/admin-repository';
import { pageSize } from '../sessions/input-checks';
import { SessionPage } from '../sessions/repository';
import { adminView, SessionView } from '../sessions/session-view';

export type AdminSessionPage = Omit<SessionPage, 'sessions'> & { sessions: SessionView[] };

/** Ten years: a larger idle threshold is a typo. */
const MAX_IDLE_MINUTES = 10 * 366 * 24 * 60;

export interface ListingDeps {
  repo: AdminRepository;
  topics: TopicSource;
  clock: Clock;
  limits: Pick<SessionLimits, 'maxPageSize' | 'defaultPageSize'>;
}

/** A tenant admin's listings (docs/administration.md): the caller's own tenant only, metadata only. */
export class AdminListings {
  constructor(private readonly deps: ListingDeps) {}

  /** The tenant's live sessions idle for at least `minIdleMinutes`, oldest activity first. */
  async idleSessions(viewer: Viewer, minIdleMinutes: number, first: number | null, after: string | null): Promise<AdminSessionPage> {
    if (!Number.isInteger(minIdleMinutes) || minIdleMinutes < 0 || minIdleMinutes > MAX_IDLE_MINUTES) {
      throw badInput(`"minIdleMinutes" must be between 0 and ${MAX_IDLE_MINUTES}`, { argumentName: 'minIdleMinutes' });
    }
    const limit = pageSize(this.deps.limits, first, 'first');
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const now = this.deps.clock.now();
    const page = await this.deps.repo.listIdleSessions(viewer.tenantId, now - minIdleMinutes * 60_000, { limit, cursor: after }, now);
    return { ...page, sessions: page.sessions.map((s) => adminView(s, now, catalog)) };
  }

  /** The tenant's sessions of one topic (every catalogue topic when null), optionally of some statuses, most recent first. */
  async tenantSessions(
    viewer: Viewer,
    topicId: string | null,
    statuses: readonly SessionStatus[] | null,
    first: number | null,
    after: string | null,
  ): Promise<AdminSessionPage> {
    if (topicId !== null && !isTopicId(topicId)) throw badInput('Malformed topic id', { argumentName: 'topicId' });
    const limit = pageSize(this.deps.limits, first, 'first');
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    // Archived topics included: their live sessions continue.
    const topicIds = topicId !== null ? [topicId] : catalog.all.map((t) => t.id);
    const now = this.deps.clock.now();
    const page = await this.deps.repo.listTenantSessions(
      viewer.tenantId,
      topicIds,
      { statuses: statuses && statuses.length ? statuses : null, limit, cursor: after },
      now,
    );
    return { ...page, sessions: page.sessions.map((s) => adminView(s, now, catalog)) };
  }
}

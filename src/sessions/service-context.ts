import { Clock } from '../domain/clock';
import { badInput, notFound } from '../domain/errors';
import { isSessionId } from '../domain/ids';
import { LiveStatus, Session, touched } from '../domain/session';
import { Viewer } from '../domain/viewer';
import { DEFAULT_COACH_TIMEOUT_MS } from '../coach/timeout';
import { Logger } from '../logger';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import { BackgroundWork } from './background';
import { SessionRepository } from './repository';
import type { SessionQueueLimits } from './session-queue';
import { SessionView, sessionView, topicOf } from './session-view';

export interface ServiceLimits {
  maxMessageChars: number;
  maxPageSize: number;
  defaultPageSize: number;
  /** Longest wait for one coach call; a hung coach then gives COACH_UNAVAILABLE (default 30 s). */
  coachTimeoutMs?: number;
  /** Bounds of the per-session write queue (session-queue.ts); the defaults when absent. */
  sessionQueue?: SessionQueueLimits;
  /** Longest a resume waits for the welcome back before answering without it (welcome-back.ts; default 2 s). */
  welcomeBackWaitMs?: number;
  /** How long a user's outcome of a topic is kept after its completion; null or absent: kept (OUTCOME_RETENTION_DAYS). */
  outcomeRetentionSeconds?: number | null;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxMessageChars: 4000,
  maxPageSize: 100,
  defaultPageSize: 20,
  coachTimeoutMs: DEFAULT_COACH_TIMEOUT_MS,
};

/**
 * What the session service's role modules (queries, lifecycle, conversation, coach gateway)
 * share: their dependencies and limits, and the reads they all make the same way.
 */
export class ServiceContext {
  /** What this process still writes after answering (background replies, late welcome backs). */
  readonly background: BackgroundWork;

  constructor(
    readonly repo: SessionRepository,
    /** A fixed catalogue, or TenantTopics (each tenant's, cached): read once per operation. */
    readonly topics: TopicSource,
    readonly clock: Clock,
    readonly log: Logger,
    readonly limits: ServiceLimits,
  ) {
    this.background = new BackgroundWork(log);
  }

  get coachTimeoutMs(): number {
    return this.limits.coachTimeoutMs ?? DEFAULT_COACH_TIMEOUT_MS;
  }

  /** The caller's tenant's catalogue: read once per operation (cached by TenantTopics). */
  catalog(viewer: Viewer): Promise<TopicCatalog> {
    return this.topics.catalogFor(viewer.tenantId);
  }

  /** The caller's own session, for a write or a read by id: BAD_USER_INPUT when malformed, else NOT_FOUND. */
  async owned(viewer: Viewer, sessionId: string, now: number): Promise<Session> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    // Another user's or tenant's session is indistinguishable from an unknown one.
    if (!session || session.userId !== viewer.userId) throw notFound('Session');
    return session;
  }

  /** The view (see sessionView); `catalog`: the operation's, by default the tenant's last loaded one. */
  view(session: Session, now: number, catalog: TopicCatalog = this.topics.peek(session.tenantId)): SessionView {
    return sessionView(session, now, catalog);
  }
}

/** The session after one more message (user's, reply or welcome back): activity, expiry and count move on. */
export function withMessage(session: Session, status: LiveStatus, now: number, catalog: TopicCatalog): Session {
  return { ...touched(session, status, now, topicOf(catalog, session).settings), messageCount: session.messageCount + 1 };
}

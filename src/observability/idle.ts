import type { Clock } from '../domain/clock';
import { idleSince, Session } from '../domain/session';
import type { SessionRepository } from '../sessions/repository';
import type { SessionService, SessionView } from '../sessions/session-service';
import type { TopicCatalog } from '../topics/catalog';

/** Called once per session resumed after being idle, with how long it had been inactive. */
export type ResumedAfterIdle = (e: { topicId: string; idleMs: number }) => void;

/**
 * "Resumed after being idle", seen from outside the service without an extra read:
 *
 * - A PAUSED session made ACTIVE again (startSession or resumeSession) is one versioned
 *   write over the session as it was: the repository decorator sees `previous` and
 *   compares its last activity with the topic's inactivity timeout.
 * - An ACTIVE session is returned as is (nothing written): the service decorator sees a
 *   result whose activity predates the call and that is idle.
 *
 * Both are decorators made in src/app.ts; the service itself is unchanged.
 */
export function trackIdleResumes(
  repo: SessionRepository,
  topics: TopicCatalog,
  clock: Clock,
  onResumed: ResumedAfterIdle,
): { repo: SessionRepository; wrapService(service: SessionService): SessionService } {
  const wrappedRepo = new Proxy(repo, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'updateSession' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (previous: Session, next: Session, now: number) => {
        await (value as SessionRepository['updateSession']).call(target, previous, next, now);
        if (previous.status === 'PAUSED' && next.status === 'ACTIVE') {
          const topic = topics.get(previous.topicId);
          if (topic && idleSince(previous, topic.settings, now) !== null) {
            onResumed({ topicId: previous.topicId, idleMs: now - previous.lastActivityAt });
          }
        }
      };
    },
  });

  const wrapService = (service: SessionService) =>
    new Proxy(service, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop !== 'start' && prop !== 'resume') return value.bind(target);
        return async (...args: unknown[]) => {
          const before = clock.now();
          const result = (await value.apply(target, args)) as SessionView;
          // Untouched (activity before this call) and idle: an ACTIVE session returned as is.
          if (result.status === 'ACTIVE' && result.isIdle && result.lastActivityAt < before && result.createdAt < before) {
            onResumed({ topicId: result.topicId, idleMs: clock.now() - result.lastActivityAt });
          }
          return result;
        };
      },
    });

  return { repo: wrappedRepo, wrapService };
}

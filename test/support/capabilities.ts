import { Clock } from '../../src/domain/clock';
import { Coach } from '../../src/coach/port';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { composeCapabilities, CapabilityDeps, SessionCapabilities } from '../../src/compose';
import { DEFAULT_SESSION_LIMITS, SessionLimits } from '../../src/defaults';
import { Logger, silentLogger } from '../../src/logger';
import { AdminRepository } from '../../src/sessions/admin-repository';
import { SessionRepository } from '../../src/sessions/repository';
import { TopicSource } from '../../src/topics/catalog';

/** The session capabilities over `repo`, as app.ts composes them, without HTTP (unit and store tests). */
export function capabilities(
  repo: SessionRepository & AdminRepository,
  topics: TopicSource,
  opts: { coach?: Coach; clock?: Clock; log?: Logger; limits?: Partial<SessionLimits>; events?: CapabilityDeps['events'] } = {},
): SessionCapabilities {
  return composeCapabilities({
    repo,
    topics,
    coach: opts.coach ?? new EmbeddedCoach(),
    clock: opts.clock ?? { now: () => Date.now() },
    log: opts.log ?? silentLogger,
    limits: { ...DEFAULT_SESSION_LIMITS, ...opts.limits },
    events: opts.events,
  });
}

import { expiryFor, Session, SessionSettings } from '../../src/domain/session';

/** The `n`th test session id (valid, distinct, ordered). */
export const sessionIdOf = (n: number) => `ses_01KDWCJ2M0${String(n).padStart(16, '0')}`;

/** A session of user alice in tenant t1 and topic focus, started (and last active) at `at`: for repository tests. */
export function liveSession(n: number, at: number, settings: SessionSettings, over: Partial<Session> = {}): Session {
  return {
    id: sessionIdOf(n),
    tenantId: 't1',
    userId: 'alice',
    topicId: 'focus',
    status: 'ACTIVE',
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
    endedAt: null,
    expiresAt: expiryFor('ACTIVE', at, null, settings),
    messageCount: 1,
    version: 1,
    ...over,
  };
}

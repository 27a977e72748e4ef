import { isLive, Session } from './session';

/**
 * A session's children expire CHILD_SLACK after it, and the session keeps their lowest expiry
 * (the floor), so a refresh raises them at most once a day (docs/data-model.md, TTL).
 */
export const CHILD_SLACK_MS = 24 * 3600 * 1000;

/** When a child of `session`, written now, expires. */
export const childExpiresAt = (session: Session) => session.expiresAt + CHILD_SLACK_MS;

/** The floor after writing `next`, and whether children must be raised first so none expires before it. */
export function nextChildFloor(floor: number, next: Session): { floor: number; raise: boolean } {
  if (!isLive(next.status)) return { floor: childExpiresAt(next), raise: false };
  if (floor >= next.expiresAt) return { floor, raise: false };
  return { floor: childExpiresAt(next), raise: true };
}

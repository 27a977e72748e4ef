import { isLive, Session } from './session';

/**
 * The rule for a session's children (messages, sendMessage records, transfer entries,
 * mentions): they carry an expiry of their own, which must not come before their session's
 * nor more than a day after it, while the session's slides forward with every write. So a
 * child is written to expire CHILD_SLACK after its session, and the session keeps the
 * lowest expiry of its children (the floor). When the session's expiry passes the floor
 * (after a day of activity) the children are raised to the new one; when it ends, they
 * follow its (usually shorter) terminal expiry. A refresh thus costs O(messages) at most
 * once a day per live session. Times in ms; the store keeps them in seconds.
 */
export const CHILD_SLACK_MS = 24 * 3600 * 1000;

/** When a child of `session`, written now, expires. */
export const childExpiresAt = (session: Session) => session.expiresAt + CHILD_SLACK_MS;

/**
 * The children's floor after a write of `next` over children expiring at `floor`, and
 * whether they must be raised to it first (so that none expires before the session). An
 * ended session's children follow it (the store settles them after the write).
 */
export function nextChildFloor(floor: number, next: Session): { floor: number; raise: boolean } {
  if (!isLive(next.status)) return { floor: childExpiresAt(next), raise: false };
  if (floor >= next.expiresAt) return { floor, raise: false };
  return { floor: childExpiresAt(next), raise: true };
}

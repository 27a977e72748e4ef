/** The stable `extensions.code` values a client can act on (see the spec's "Errors"). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'SESSION_CONFLICT'
  | 'SESSION_NOT_LIVE'
  | 'SESSION_NOT_ACTIVE'
  | 'COACH_UNAVAILABLE'
  | 'SERVICE_UNAVAILABLE'
  /** sendMessage/postMessage when the session has used its topic's maxTurns; completeSession still works. */
  | 'MAX_TURNS_REACHED'
  /** A write refused under contention (the session was too busy): retry after `retryAfterMs`. */
  | 'SESSION_BUSY'
  /** Too many requests from this caller or tenant (HTTP 429, `Retry-After`); `retryAfterSeconds`. */
  | 'RATE_LIMITED'
  /** sendMessageStream when the caller already has SUBSCRIPTIONS_PER_USER streams open. */
  | 'TOO_MANY_SUBSCRIPTIONS'
  /** A new turn, regenerate or session over the tenant's or the user's monthly token cap; `scope`, `resetAt`. */
  | 'BUDGET_EXCEEDED';

/** An error the client caused or can act on; anything else is masked as INTERNAL_SERVER_ERROR. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details: Record<string, unknown> = {}) =>
  new DomainError('BAD_USER_INPUT', message, details);

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);

export const sessionConflict = (conflictUserId: string) =>
  new DomainError('SESSION_CONFLICT', 'Another user of your tenant holds a live session for this topic', {
    conflictUserId,
  });

export const sessionNotLive = (status: string) =>
  new DomainError('SESSION_NOT_LIVE', `The session is ${status} and can no longer change`);

export const sessionNotActive = (status: string) =>
  new DomainError('SESSION_NOT_ACTIVE', `The session is ${status}; resume it first`);

export const serviceUnavailable = () =>
  new DomainError('SERVICE_UNAVAILABLE', 'The session store cannot be reached; try again shortly');

export const coachUnavailable = () =>
  new DomainError(
    'COACH_UNAVAILABLE',
    'The coach could not answer right now. Your message was saved; send another message or retry later',
  );

export const maxTurnsReached = (maxTurns: number) =>
  new DomainError('MAX_TURNS_REACHED', `This session has reached its limit of ${maxTurns} turns; complete it or start a new one`, {
    maxTurns,
  });

/** The caller is authenticated but lacks the role (e.g. `admin`) an operation needs. */
export const forbidden = (message = 'This operation needs the admin role') => new DomainError('FORBIDDEN', message);

/** Contention. `messageStored`: only the reply failed; resending the clientMessageId completes the turn. */
export function sessionBusy(retryAfterMs: number, messageStored = false) {
  const message = messageStored
    ? 'Your message was saved, but the session was too busy to store the reply; retry with the same clientMessageId to get it'
    : 'The session is busy with other writes; nothing was stored. Retry after retryAfterMs';
  return new DomainError('SESSION_BUSY', message, { retryAfterMs: Math.round(retryAfterMs), messageStored });
}
/** A request over the caller's (or their tenant's) rate limit: wait `retryAfterSeconds`, then retry. */
export const rateLimited = (retryAfterSeconds: number) =>
  new DomainError('RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });

/** One more concurrent subscription than a user may hold (SUBSCRIPTIONS_PER_USER); nothing was started. */
export const tooManySubscriptions = (maxSubscriptions: number) =>
  new DomainError(
    'TOO_MANY_SUBSCRIPTIONS',
    `You already have ${maxSubscriptions} streams open; wait for one to complete (or unsubscribe one) and subscribe again`,
    { maxSubscriptions },
  );

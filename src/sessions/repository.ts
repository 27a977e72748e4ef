import { LiveStatus, Message, Session, SessionStatus } from '../domain/session';
import { Outcome } from '../domain/user-data';
import type { TokenUsage } from '../coach/port';

/**
 * The persistence port the session service needs (its admin half is admin-repository.ts).
 * The DynamoDB implementation lives in src/store; unit tests use an in-memory one. Every
 * read hides expired items (`now` decides), and no write revives one.
 */
export interface SessionRepository {
  /** The live session holding (tenant, topic), if any, as its hold shows it: one read. */
  findHolder(tenantId: string, topicId: string, now: number): Promise<Hold | null>;
  getSession(tenantId: string, sessionId: string, now: number): Promise<Session | null>;
  /** Batch read; results in the order of `sessionIds`, null where absent or expired. */
  getSessions(tenantId: string, sessionIds: readonly string[], now: number): Promise<(Session | null)[]>;

  /**
   * Creates a live session with its first message and takes the topic's hold, atomically.
   * Throws TopicHeldError when a live session already holds the topic.
   */
  createSession(session: Session, first: Message, now: number): Promise<void>;
  /**
   * Ends `previous` (already transitioned in `ended`) and creates `session` holding the
   * same topic, atomically. Throws StaleSessionError if `previous` moved on.
   */
  replaceSession(previous: Session, ended: Session, session: Session, first: Message, now: number): Promise<void>;
  /** Versioned write of `next` over `previous` (status, activity, expiry); keeps the hold in step. */
  updateSession(previous: Session, next: Session, now: number): Promise<void>;
  /**
   * Completes `previous` as `next` (a versioned write, like updateSession) and records
   * `outcome` as its owner's outcome for the topic, replacing an earlier one, atomically.
   * `usage`: what extracting the result cost, added to the session and the usage counters.
   */
  completeSession(previous: Session, next: Session, outcome: Outcome, now: number, usage?: TokenUsage): Promise<void>;
  /**
   * Appends `message` at `message.seq` and writes `next` (messageCount, lastSeq, activity,
   * expiry, turns) over `previous`'s version, atomically. A USER message with a
   * clientMessageId records it (DuplicateClientMessageError when already recorded); an
   * ASSISTANT message with one (a reply that could not take its reserved seq) completes
   * that record with its seq.
   */
  appendMessage(previous: Session, next: Session, message: Message, clientMessageId: string | null, now: number): Promise<void>;
  /**
   * Stores a coach reply at the seq its user message reserved (`reply.seq`, the message's
   * seq + 1) and counts it, without moving the session's version, activity or expiry: a
   * reply is not the user's activity, and so never races the user's next message.
   * DuplicateReplyError when that seq is taken; StaleSessionError when the session ended,
   * expired, or its children's ttl moved on since `session` was read (read again, retry).
   *
   * With `replacing` (regenerateReply) the reply replaces the one at `reply.seq` instead, only
   * while `replacing.token` holds its claim (else ReplyClaimLostError) and while it is the
   * session's last seq (else StaleSessionError); it writes the regenerate's record, moves
   * the session's version and `revisions` on, and leaves messageCount and turnCount.
   */
  appendReply(session: Session, reply: Message, now: number, replacing?: ReplyReplacement): Promise<void>;
  /**
   * regenerateReply: holds the coach reply at `seq` (while it is at `claim.revision`, unexpired,
   * and not held by an unexpired claim) for one regenerate, before its model call.
   * The result: 'claimed'; `{ heldBy }` the clientMessageId of the regenerate holding it;
   * 'changed' when it is gone, not a coach message, redacted, or at another revision.
   */
  claimReply(tenantId: string, sessionId: string, seq: number, claim: ReplyClaim, now: number): Promise<ReplyClaimResult>;
  /** Lets go of a claim (the model or the write failed); a claim held by another token is left alone. */
  releaseReply(tenantId: string, sessionId: string, seq: number, token: string): Promise<void>;
  /** A regenerate's idempotency record (written with its reply), by its clientMessageId. */
  getRegeneration(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<RegenerationRecord | null>;

  /**
   * Writes the coach's memory on the session without a version (like a reply): the summary only
   * over the `summaryThrough` that was read, the title only where there is none, and only while
   * `session.userId` owns it and it has not expired. False: a condition failed, nothing written.
   * `usage`: what the model call that made it cost, added to the session and the usage counters
   * in the same write; counted also when the memory is not written (the call was made).
   */
  storeMemory(session: Session, memory: MemoryWrite, usage: TokenUsage | null, now: number): Promise<boolean>;

  getClientMessage(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<ClientMessageRecord | null>;
  /** Notes that the coach failed for this client message, so a retry need not wait for a reply. */
  markReplyFailed(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<void>;
  getMessages(tenantId: string, sessionId: string, seqs: readonly number[], now: number): Promise<Message[]>;
  /**
   * Sets a coach message's rating (replacing an earlier one); false when no unexpired coach message
   * has that seq. With `counted`, only over the rating read (`previous`), and the topic's rating
   * counter of the month moves with it in the same transaction (a new rating adds one to the
   * count; a replaced one only moves the sum).
   */
  rateMessage(tenantId: string, sessionId: string, seq: number, rating: number, comment: string | null, now: number, counted?: RatingCounted): Promise<boolean>;
  /** A page of messages strictly after/before a seq, ascending in the result. */
  listMessages(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Promise<Message[]>;
  /** listMessages that stops once the items read would pass `budget` (cut: stopped so, more may follow; bytes: what it read). */
  listMessagePage(tenantId: string, sessionId: string, page: MessagePageRequest, budget: ByteBudget, now: number): Promise<MessagePage>;

  /** The user's sessions, most recent activity first; `cursor` is opaque and store-made. */
  listUserSessions(tenantId: string, userId: string, page: SessionPageRequest, now: number): Promise<SessionPage>;

  /** The user's outcomes (kept, or within their retention), in topic id order, after `page.afterTopicId`. */
  listOutcomes(tenantId: string, userId: string, page: OutcomePageRequest, now: number): Promise<OutcomePage>;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
}

/** The topic a rated message's session is of, and the rating it had when read (null: none). */
export interface RatingCounted {
  topicId: string;
  previous: number | null;
}

/** What a memory write sets (memory.ts). */
export interface MemoryWrite {
  /** The new summary (empty: the summary stays, only `through` moves), the seq it covers, and the `summaryThrough` it was built on (null: none). */
  summary?: { text: string; through: number; after: number | null };
  title?: string;
}

/** What sessionCheck needs of the live session holding a topic, from the topic's hold item. */
export interface Hold {
  sessionId: string;
  userId: string;
  status: LiveStatus;
  lastActivityAt: number;
  expiresAt: number;
  /** User messages so far. */
  turnCount: number;
}

export interface ClientMessageRecord {
  userSeq: number;
  /** Records written before replies had reserved seqs name their reply's seq; newer ones leave it null. */
  replySeq: number | null;
  /** The first call's coach failed: no reply is on its way. */
  replyFailed: boolean;
}

/** A regenerate's hold on a coach reply while the model writes its replacement (docs/data-model.md#regenerated-replies). */
export interface ReplyClaim {
  /** The revision held (the one to be replaced). */
  revision: number;
  /** The regenerate's clientMessageId: a retry with the same id waits for it instead of calling the model again. */
  clientMessageId: string;
  /** This call's own token: only it may store the replacement or let go. */
  token: string;
  /** Epoch ms until which the claim keeps other regenerates out (past it, one may take over). */
  until: number;
}

export type ReplyClaimResult = 'claimed' | 'changed' | { heldBy: string };

/** What appendReply needs to replace a reply rather than fill a free seq. */
export interface ReplyReplacement {
  token: string;
  clientMessageId: string;
}

/** A regenerate's record: the reply it stored (seq and revision). */
export interface RegenerationRecord {
  seq: number;
  revision: number;
}

/** A read's byte budget: at most `bytes` in all, items of at most `itemBytes` each (src/domain/page-budget.ts). */
export interface ByteBudget {
  bytes: number;
  itemBytes: number;
}

/** A byte-budgeted page of messages, ascending. */
export interface MessagePage {
  messages: Message[];
  cut: boolean;
  bytes: number;
}

export interface MessagePageRequest {
  direction: 'forward' | 'backward';
  /** Exclusive bound: after this seq (forward) or before it (backward). */
  from: number | null;
  limit: number;
  /** Inclusive bound on the far side: up to this seq (forward) or down to it (backward); absent: none. */
  until?: number | null;
}

export interface SessionPageRequest {
  statuses: readonly SessionStatus[] | null;
  limit: number;
  cursor: string | null;
}

export interface SessionPage {
  sessions: Session[];
  /** Cursor of each session, for Relay edges. */
  cursors: string[];
  hasNextPage: boolean;
}

export interface OutcomePageRequest {
  limit: number;
  /** Exclusive: the page starts after this topic id. */
  afterTopicId: string | null;
}

export interface OutcomePage {
  outcomes: Outcome[];
  hasNextPage: boolean;
}

/** A live session already holds the topic. */
export class TopicHeldError extends Error {
  constructor(readonly holder: Hold) {
    super(`the topic is held by session ${holder.sessionId}`);
    this.name = 'TopicHeldError';
  }
}

/** The session was written by someone else since it was read (version moved on, or it ended/expired). */
export class StaleSessionError extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} changed since it was read`);
    this.name = 'StaleSessionError';
  }
}

export class DuplicateClientMessageError extends Error {
  constructor(readonly record: ClientMessageRecord) {
    super('client message id already accepted');
    this.name = 'DuplicateClientMessageError';
  }
}

/** A regenerated reply could not be stored: its claim was lost (expired and taken over, or the reply changed). */
export class ReplyClaimLostError extends Error {
  constructor() {
    super('the claim on the reply was lost');
    this.name = 'ReplyClaimLostError';
  }
}

/** The seq a reply was to take already holds a message (the reply, stored by a racing call; or an older layout's next message). */
export class DuplicateReplyError extends Error {
  constructor(readonly existing: Message | null) {
    super('the reply seq is taken');
    this.name = 'DuplicateReplyError';
  }
}

import { badInput, DomainError, maxTurnsReached, sessionBusy, sessionNotActive, sessionNotLive } from '../domain/errors';
import { assertActive, isLive, lastSeqOf, Message, Session } from '../domain/session';
import { Viewer } from '../domain/viewer';
import type { Budgets } from '../usage/budgets';
import { addUsage, NO_USAGE, TokenUsage, usageField } from '../domain/usage';
import { TopicCatalog } from '../topics/catalog';
import type { Clock } from '../domain/clock';
import { busyRetryAfterMs, retryOnStale, SessionQueue } from '../sessions/concurrency';
import { ClientMessageRecord, DuplicateClientMessageError, DuplicateReplyError, ReplyClaimLostError, ReplyReplacement, SessionRepository } from '../sessions/repository';
import { ownSession, SessionView, topicOf, withMessage } from '../sessions/session-view';

export type Appended = { session: Session; message: Message } | { duplicate: { session: Session; record: ClientMessageRecord } };

/** A turn as sendMessage answers it: the session as shown, the user's message and the reply. */
export interface SendMessageResult {
  session: SessionView;
  message: Message;
  reply: Message;
}

/** A stored reply and the session as this call last knew it. */
export interface StoredReply {
  session: Session;
  reply: Message;
}

/** A coach reply to `message`: the message right after it, answering it. */
export const isReplyTo = (reply: Message, message: Pick<Message, 'seq'>) => reply.role === 'ASSISTANT' && reply.seq > message.seq && reply.replyTo === message.seq;

/**
 * The two writes of a turn. The user's message is a versioned write, serialised per
 * session in this process (SessionQueue) and retried against other processes (retry.ts);
 * it takes the next seq and keeps the one after it for its reply. The reply is written
 * into that seq without a version, so it never races the user's next message and always
 * follows the message it answers. Lost races end in SESSION_BUSY, never in an internal error.
 */
export class TurnWrites {
  constructor(
    private readonly deps: { repo: SessionRepository; clock: Clock; budgets?: Budgets },
    private readonly queue: SessionQueue,
  ) {}

  /** The user's message (and the record, with an id), or the record of the id's first message. */
  appendUserMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null, catalog: TopicCatalog): Promise<Appended> {
    return this.queue.run(queueKey(viewer, sessionId), () =>
      retryOnStale(async () => {
        const now = this.deps.clock.now();
        const session = await ownSession(this.deps.repo, viewer, sessionId, now);
        const maxTurns = topicOf(catalog, session).settings.maxTurns ?? null;
        const turns = session.turnCount ?? 0;
        const exhausted = maxTurns !== null && turns >= maxTurns;
        if (clientMessageId && (session.status !== 'ACTIVE' || exhausted)) {
          const record = await this.deps.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, now);
          if (record) return { duplicate: { session, record } };
        }
        assertActive(session);
        if (exhausted) throw maxTurnsReached(maxTurns);
        const refused = await this.overBudget(viewer, sessionId, clientMessageId, session, now);
        if (refused) return refused;
        const seq = lastSeqOf(session) + 1;
        const message: Message = { sessionId, seq, role: 'USER', content, createdAt: now, authorId: viewer.userId };
        if (clientMessageId) message.clientMessageId = clientMessageId;
        // seq + 1 is the reply's.
        const next: Session = { ...withMessage(session, 'ACTIVE', now, catalog), turnCount: turns + 1, lastSeq: seq + 1 };
        try {
          await this.deps.repo.appendMessage(session, next, message, clientMessageId, now);
          return { session: next, message };
        } catch (e) {
          if (e instanceof DuplicateClientMessageError) return { duplicate: { session, record: e.record } };
          throw e;
        }
      }),
    );
  }

  /**
   * BUDGET_EXCEEDED before the message is stored; a retry of a message already stored (its
   * clientMessageId recorded) is its turn, already begun, and is never refused.
   */
  private async overBudget(viewer: Viewer, sessionId: string, clientMessageId: string | null, session: Session, now: number): Promise<Appended | null> {
    try {
      await this.deps.budgets?.assertWithin(viewer);
      return null;
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'BUDGET_EXCEEDED' || !clientMessageId) throw e;
      const record = await this.deps.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, now);
      if (!record) throw e;
      return { duplicate: { session, record } };
    }
  }

  /**
   * Stores the coach's reply to `message` (stored in `afterUser`) at its reserved seq. When a
   * racing call stored it first, that one is returned. Exhausted retries: SESSION_BUSY with
   * messageStored, since the user's message is stored.
   */
  storeReply(viewer: Viewer, afterUser: Session, message: Message, content: string, usage: TokenUsage): Promise<StoredReply> {
    let session = afterUser;
    return retryOnStale(
      async (attempt) => {
        const now = this.deps.clock.now();
        if (attempt > 0) {
          session = await ownSession(this.deps.repo, viewer, session.id, now);
          // Ended between the user's message and the reply: nothing may follow the end.
          if (!isLive(session.status)) throw sessionNotLive(session.status);
        }
        const reply = replyMessage(message, content, usage, message.seq + 1, now);
        try {
          await this.deps.repo.appendReply(session, reply, now);
          return { session: { ...session, messageCount: session.messageCount + 1, updatedAt: now, ...usageField(addUsage(session.usage ?? NO_USAGE, usage)) }, reply };
        } catch (e) {
          if (!(e instanceof DuplicateReplyError)) throw e;
          if (e.existing && isReplyTo(e.existing, message)) return { session, reply: e.existing };
          // The seq holds another message: `message` was stored before replies had seqs of their own.
          return this.appendLateReply(viewer, message, content, usage);
        }
      },
      () => sessionBusy(busyRetryAfterMs(), true),
    );
  }

  /**
   * regenerateReply's write: `content` replaces the reply at `seq` (revision `revision`) under
   * the caller's claim, through the same repository write as a reply (appendReply). A message
   * sent since, or the session ended: the reply stays as it was (not the latest reply /
   * SESSION_NOT_ACTIVE); lost races: SESSION_BUSY.
   */
  storeReplacement(viewer: Viewer, read: Session, message: Message, content: string, usage: TokenUsage, at: { seq: number; revision: number }, replacing: ReplyReplacement): Promise<StoredReply> {
    let session = read;
    return retryOnStale(async (attempt) => {
      const now = this.deps.clock.now();
      if (attempt > 0) {
        session = await ownSession(this.deps.repo, viewer, session.id, now);
        if (!isLive(session.status)) throw sessionNotActive(session.status);
        if (lastSeqOf(session) !== at.seq) throw notLatestReply();
      }
      const reply: Message = { ...replyMessage(message, content, usage, at.seq, now), revision: at.revision };
      try {
        await this.deps.repo.appendReply(session, reply, now, replacing);
      } catch (e) {
        if (e instanceof ReplyClaimLostError) throw sessionBusy(busyRetryAfterMs());
        throw e;
      }
      const spent = usageField(addUsage(session.usage ?? NO_USAGE, usage));
      return { session: { ...session, version: session.version + 1, revisions: (session.revisions ?? 0) + 1, updatedAt: now, ...spent }, reply };
    });
  }

  /** A reply to a message stored by an earlier version (no seq kept for it): a versioned write at the end. */
  private appendLateReply(viewer: Viewer, message: Message, content: string, usage: TokenUsage): Promise<StoredReply> {
    return this.queue.run(queueKey(viewer, message.sessionId), () =>
      retryOnStale(async () => {
        const now = this.deps.clock.now();
        const session = await ownSession(this.deps.repo, viewer, message.sessionId, now);
        if (!isLive(session.status)) throw sessionNotLive(session.status);
        const reply = replyMessage(message, content, usage, lastSeqOf(session) + 1, now);
        const next: Session = { ...session, messageCount: session.messageCount + 1, lastSeq: reply.seq, updatedAt: now, version: session.version + 1 };
        try {
          await this.deps.repo.appendMessage(session, next, reply, message.clientMessageId ?? null, now);
          return { session: next, reply };
        } catch (e) {
          // Recorded meanwhile by a racing call: its reply is the one.
          if (!(e instanceof DuplicateClientMessageError) || e.record.replySeq === null) throw e;
          const [stored] = await this.deps.repo.getMessages(viewer.tenantId, session.id, [e.record.replySeq], now);
          if (!stored) throw e;
          return { session, reply: stored };
        }
      }, () => sessionBusy(busyRetryAfterMs(), true)),
    );
  }
}

function replyMessage(message: Message, content: string, usage: TokenUsage, seq: number, now: number): Message {
  const reply: Message = { sessionId: message.sessionId, seq, role: 'ASSISTANT', content, createdAt: now, replyTo: message.seq, ...usageField(usage) };
  if (message.clientMessageId) reply.clientMessageId = message.clientMessageId;
  return reply;
}

/** regenerateReply of a reply that is not (or no longer) the session's latest. */
export const notLatestReply = () =>
  badInput('Only the latest coach reply can be regenerated: this one was regenerated, or a message was sent, since', { argumentName: 'messageId' });

const queueKey = (viewer: Viewer, sessionId: string) => `${viewer.tenantId}\u0000${sessionId}`;

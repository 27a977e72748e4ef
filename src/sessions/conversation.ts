/**
 * The conversation: a user's message in, the coach's reply out (sendMessage waits for the
 * reply, postMessage leaves it to the background, messageReply says where it stands).
 *
 * Seqs and threading: a user's message takes the next seq and keeps the one after it for
 * its reply (turn-writes.ts), so a reply always directly follows the message it answers,
 * names it (`replyTo`, shown as `inReplyTo`), and carries its clientMessageId. The coach
 * sees the conversation up to and including the message it answers, never later ones
 * (coach-gateway.ts). A seq stays empty while its reply is on its way (or failed).
 *
 * Client message records, the one place their rules are written:
 * - A clientMessageId names one user message of one session (in another session it is
 *   unrelated). sendMessage records it when the client passes one; postMessage always does,
 *   making a `srv-<uuid>` id when the client gives none and returning it as `clientMessageId`.
 * - The record is written in the user message's transaction: `userSeq` is its seq,
 *   `replyFailed` false. If the record exists, the write fails with
 *   DuplicateClientMessageError carrying it, and nothing new is written.
 * - The reply is the message at `userSeq + 1` answering it; one reply per message, whoever
 *   races to write it (a retry, a background task): the seq can be written once, and the
 *   loser replays the winner's. (Records of an earlier version name it as `replySeq`.)
 * - `replyFailed`: the coach failed for it (or its reply could not be stored under
 *   contention), so no reply is on its way: a retry need not wait, a poll says FAILED. A
 *   reply stored later wins.
 * - The record lives and expires with its session's other items.
 *
 * A retry (the same id, same session) writes no new user message, even when the session was
 * paused, ended or used its last turn since (the record is looked up before those checks).
 * Its content must be the first message's: other content is BAD_USER_INPUT, storing nothing
 * (an idempotency key names one request):
 * - sendMessage returns the first message and reply. With neither a reply nor a failure
 *   recorded (the first call is still waiting for the coach) it polls for about 3 s; still
 *   no reply (the coach failed, or the first call's process died), it asks the coach now and
 *   stores the reply, which only a live session takes.
 * - postMessage returns the first message at once, and if that reply failed and the session
 *   is ACTIVE, tries again in the background. `replyPending`: no reply yet, and one can come.
 * - messageReply: READY with the stored reply; FAILED with no record, a failed reply, a
 *   session no longer live, or no reply within the coach timeout and a minute (retry with
 *   sendMessage and the same id); else PENDING. A message sent without an id has no record:
 *   its reply, if any, is the next message.
 * - sendMessageStream (streamMessage) always has an id. A retry reports the first message,
 *   then the reply: the stored one's text as one piece; or, while it is still being written,
 *   its pieces as this process streams them (live-replies.ts), or the stored text once
 *   another process has stored it (polled until the coach timeout and a margin have passed
 *   since the message was stored); with no reply by then, or a failed one, it asks the coach
 *   now, as sendMessage does. A stream runs to its end whether or not anyone still listens.
 */
import { randomUUID } from 'node:crypto';
import { assertActive, isLive, Message, Session } from '../domain/session';
import { badInput, DomainError, notFound } from '../domain/errors';
import { parseMessageId } from '../domain/ids';
import { visibleToOwner } from '../domain/visibility';
import { Viewer } from '../domain/viewer';
import { TopicCatalog } from '../topics/catalog';
import { CoachGateway } from './coach-gateway';
import { validateMessage } from './input-checks';
import { ListenerGone, LiveReplies, TurnListener } from './live-replies';
import { liveKey, RetriedSends } from './replay';
import { ServiceContext } from './service-context';
import { SessionQueue } from './session-queue';
import { SessionView, topicOf } from './session-view';
import { StoredReply, TurnWrites } from './turn-writes';

export type { TurnListener } from './live-replies';
export { ListenerGone } from './live-replies';

export interface SendMessageResult {
  session: SessionView;
  message: Message;
  reply: Message;
}

/** postMessage: the user's message is stored; the reply follows in the background. */
export interface PostMessageResult {
  session: SessionView;
  message: Message;
  /** The id to poll with (messageReply) or to retry with (sendMessage / postMessage). */
  clientMessageId: string;
  /** True until the reply is stored (or its production failed). */
  replyPending: boolean;
}

export type MessageReplyStatus = 'PENDING' | 'READY' | 'FAILED';

export interface MessageReplyResult {
  status: MessageReplyStatus;
  reply: Message | null;
}

export class Conversation {
  private readonly writes: TurnWrites;

  /** Replies this process is producing, for a stream re-subscribed here. */
  private readonly live = new LiveReplies<SendMessageResult>();
  private readonly retried: RetriedSends;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly coach: CoachGateway,
    queue = new SessionQueue(ctx.limits.sessionQueue),
  ) {
    this.writes = new TurnWrites(ctx, queue);
    this.retried = new RetriedSends(ctx, this.live, (...args) => this.answer(...args));
  }


  /** Store the user's message, ask the coach, store the reply. Idle never blocks it. */
  async sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.writes.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
    if ('duplicate' in sent) return this.retried.replay(viewer, sessionId, sent.duplicate.record, clientMessageId!, content, catalog);
    return this.answer(viewer, sent.session, sent.message, catalog);
  }

  /**
   * sendMessage, streamed to `listener`: the stored message, the reply's pieces as the coach
   * writes them, then the stored reply (returned). A retried id replays (see the top comment).
   * It runs to its end (the reply stored) even when the listener has gone, and shutdown waits for it.
   */
  streamMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string, listener: TurnListener): Promise<SendMessageResult> {
    const run = (async () => {
      validateMessage(this.ctx.limits, content, clientMessageId);
      const catalog = await this.ctx.catalog(viewer);
      const sent = await this.writes.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
      if ('duplicate' in sent) return this.retried.replay(viewer, sessionId, sent.duplicate.record, clientMessageId, content, catalog, listener);
      listener.message(sent.message, this.ctx.view(sent.session, this.ctx.clock.now(), catalog));
      return this.answer(viewer, sent.session, sent.message, catalog, listener);
    })();
    this.ctx.background.track(run);
    void run
      .catch((e) => {
        // With nobody listening any more, an unexpected failure would go unseen: log it.
        if (listener.gone?.() && !(e instanceof DomainError) && !(e instanceof ListenerGone)) {
          this.ctx.log.error('streamed reply failed', { sessionId, error: String(e) });
        }
      });
    return run;
  }

  /** Stores the user's message and returns at once; this process produces the reply in the background. */
  async postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const id = clientMessageId ?? `srv-${randomUUID()}`;
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.writes.appendUserMessage(viewer, sessionId, content, id, catalog);
    if ('duplicate' in sent) {
      const { record } = sent.duplicate;
      const { now, latest, message, reply } = await this.retried.recorded(viewer, sessionId, record, content);
      const canReply = latest.status === 'ACTIVE';
      if (!reply && record.replyFailed && canReply) this.replyInBackground(viewer, latest, message, catalog);
      return { session: this.ctx.view(latest, now, catalog), message, clientMessageId: id, replyPending: !reply && (!record.replyFailed || canReply) };
    }
    this.replyInBackground(viewer, sent.session, sent.message, catalog);
    return { session: this.ctx.view(sent.session, this.ctx.clock.now()), message: sent.message, clientMessageId: id, replyPending: true };
  }

  /** Where the reply to one of the caller's messages stands (READY, PENDING or FAILED): a few reads. */
  async messageReply(viewer: Viewer, sessionId: string, messageId: string): Promise<MessageReplyResult> {
    const seq = parseMessageId(sessionId, messageId);
    const now = this.ctx.clock.now();
    const [session, found] = await Promise.all([
      this.ctx.owned(viewer, sessionId, now),
      this.ctx.repo.getMessages(viewer.tenantId, sessionId, [seq, seq + 1], now),
    ]);
    const message = found.find((m) => m.seq === seq);
    // A message from before a transfer its owner may not read (visibility.ts) is not there for them.
    if (!message || message.role !== 'USER' || !visibleToOwner(session, message)) throw notFound('Message');
    const next = found.find((m) => m.seq === seq + 1);
    // An earlier version stored replies without replyTo, right after their message.
    if (next?.role === 'ASSISTANT' && (next.replyTo ?? seq) === seq && visibleToOwner(session, next)) return { status: 'READY', reply: next };
    const overdue = now - message.createdAt > this.ctx.coachTimeoutMs + 60_000;
    // The next seq holds another message: stored by an earlier version, which kept no seq for the reply.
    const displaced = next !== undefined;
    const record = message.clientMessageId ? await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, message.clientMessageId, now) : null;
    if (record?.replySeq != null) {
      const [reply] = await this.ctx.repo.getMessages(viewer.tenantId, sessionId, [record.replySeq], now);
      if (reply && visibleToOwner(session, reply)) return { status: 'READY', reply };
    }
    const failed = message.clientMessageId ? !record || record.replyFailed : displaced;
    if (failed || overdue || !isLive(session.status)) return { status: 'FAILED', reply: null };
    return { status: 'PENDING', reply: null };
  }

  /**
   * The coach's reply to a stored user message, stored; a coach failure is noted on the record.
   * With a listener, the reply streams to it (and to streams following this one here).
   */
  private async answer(viewer: Viewer, session: Session, message: Message, catalog: TopicCatalog, listener?: TurnListener): Promise<SendMessageResult> {
    const feed = message.clientMessageId ? this.live.open(liveKey(viewer, session.id, message.clientMessageId)) : null;
    const noteFailure = async (e: unknown) => {
      if (message.clientMessageId) await this.noteReplyFailed(viewer, session.id, message.clientMessageId);
      throw e;
    };
    const onPiece = listener
      ? (text: string) => {
          feed?.piece(text);
          listener.delta(text);
        }
      : undefined;
    try {
      const text = await this.coach.askCoach(topicOf(catalog, session), session, message, onPiece).catch(noteFailure);
      const stored: StoredReply = await this.writes.storeReply(viewer, session, message, text).catch(noteFailure);
      const result = { session: this.ctx.view(stored.session, this.ctx.clock.now(), catalog), message, reply: stored.reply };
      feed?.end({ ok: true, result });
      return result;
    } catch (error) {
      feed?.end({ ok: false, error });
      throw error;
    }
  }

  /** postMessage's reply: coach, then the usual reply write; a failure is noted on the record for pollers. */
  private replyInBackground(viewer: Viewer, session: Session, message: Message, catalog: TopicCatalog): void {
    this.ctx.background.run('background reply', { sessionId: session.id }, async () => {
      await this.answer(viewer, session, message, catalog);
    });
  }

  /** Sets `replyFailed` on the record; a store error here is only logged (the caller's own outcome stands). */
  private noteReplyFailed(viewer: Viewer, sessionId: string, clientMessageId: string): Promise<void> {
    return this.ctx.repo
      .markReplyFailed(viewer.tenantId, sessionId, clientMessageId, this.ctx.clock.now())
      .catch((err) => this.ctx.log.warn('could not note a failed reply', { sessionId, error: String(err) }));
  }
}

/**
 * The conversation: a user's message in, the coach's reply out (sendMessage waits for the
 * reply, postMessage leaves it to the background, messageReply says where it stands).
 *
 * Client message records, the one place their rules are written:
 * - A clientMessageId names one user message of one session (in another session it is
 *   unrelated). sendMessage records it when the client passes one; postMessage always does,
 *   making a `srv-<uuid>` id when the client gives none and returning it as `clientMessageId`.
 * - The record is written in the user message's transaction: `userSeq` is its seq, `replySeq`
 *   null, `replyFailed` false. If the record exists, the write fails with
 *   DuplicateClientMessageError carrying it, and nothing new is written.
 * - `replySeq` is set in the reply's transaction, only while null: one reply per message,
 *   whoever races to write it (a retry, a background task); the loser replays the winner's.
 * - `replyFailed`: the coach failed for it (noted while no reply is recorded), so no reply is
 *   on its way: a retry need not wait, a poll says FAILED. A later reply's `replySeq` wins.
 * - The record lives and expires with its session's other items.
 *
 * A retry (the same id, same session) writes no new user message, even when the session was
 * paused, ended or used its last turn since (the record is looked up before those checks):
 * - sendMessage returns the first message and reply. With neither a reply nor a failure
 *   recorded (the first call is still waiting for the coach) it polls the record for about
 *   3 s; still no reply (the coach failed, or the first call's process died), it asks the
 *   coach now and stores the reply, which only an ACTIVE session takes.
 * - postMessage returns the first message at once, and if that reply failed and the session
 *   is ACTIVE, tries again in the background. `replyPending`: no reply yet, and one can come.
 * - messageReply: READY with the recorded reply; FAILED with no record, a failed reply, a
 *   session no longer live, or no reply within the coach timeout and a minute (retry with
 *   sendMessage and the same id); else PENDING. A message sent without an id has no record:
 *   its reply, if any, is the next message.
 */
import { randomUUID } from 'node:crypto';
import { DomainError, maxTurnsReached, notFound, sessionNotLive } from '../domain/errors';
import { parseMessageId } from '../domain/ids';
import { assertActive, isLive, LiveStatus, Message, Session } from '../domain/session';
import { Viewer } from '../domain/viewer';
import { TopicCatalog } from '../topics/catalog';
import { CoachGateway } from './coach-gateway';
import { validateMessage } from './input-checks';
import { ClientMessageRecord, DuplicateClientMessageError } from './repository';
import { retryOnStale, sleep } from './retry';
import { ServiceContext, withMessage } from './service-context';
import { SessionView, topicOf } from './session-view';

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

type Appended = { session: Session; message: Message } | { duplicate: { session: Session; record: ClientMessageRecord } };

export class Conversation {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly coach: CoachGateway,
  ) {}

  /** Replies being produced in the background (postMessage). */
  private readonly background = new Set<Promise<void>>();

  /** Resolves once every background reply started so far has been stored or has failed (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Store the user's message, ask the coach, store the reply. Idle never blocks it. */
  async sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
    if ('duplicate' in sent) return this.replay(viewer, sessionId, sent.duplicate.record, clientMessageId!, catalog);
    const { session, message } = sent;
    const text = await this.coach.askCoach(topicOf(catalog, session), session, message).catch(async (e) => {
      if (clientMessageId) await this.noteReplyFailed(viewer, session.id, clientMessageId, 'could not note a coach failure');
      throw e;
    });
    return this.appendReply(viewer, session, message, text, clientMessageId, catalog);
  }

  /** Stores the user's message and returns at once; this process produces the reply in the background. */
  async postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const id = clientMessageId ?? `srv-${randomUUID()}`;
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.appendUserMessage(viewer, sessionId, content, id, catalog);
    if ('duplicate' in sent) {
      const { record } = sent.duplicate;
      const { now, latest, message } = await this.recorded(viewer, sessionId, record, false);
      if (record.replySeq === null && record.replyFailed && latest.status === 'ACTIVE') this.replyInBackground(viewer, latest, message, id, catalog);
      return { session: this.ctx.view(latest, now, catalog), message, clientMessageId: id, replyPending: record.replySeq === null && (!record.replyFailed || latest.status === 'ACTIVE') };
    }
    this.replyInBackground(viewer, sent.session, sent.message, id, catalog);
    return { session: this.ctx.view(sent.session, this.ctx.clock.now()), message: sent.message, clientMessageId: id, replyPending: true };
  }

  /** Where the reply to one of the caller's messages stands (READY, PENDING or FAILED): a few reads. */
  async messageReply(viewer: Viewer, sessionId: string, messageId: string): Promise<MessageReplyResult> {
    const seq = parseMessageId(sessionId, messageId);
    const now = this.ctx.clock.now();
    const [session, found] = await Promise.all([
      this.ctx.owned(viewer, sessionId, now),
      this.ctx.repo.getMessages(viewer.tenantId, sessionId, [seq], now),
    ]);
    const message = found.find((m) => m.seq === seq);
    if (!message || message.role !== 'USER') throw notFound('Message');
    const overdue = now - message.createdAt > this.ctx.coachTimeoutMs + 60_000;
    if (!message.clientMessageId) {
      const [next] = await this.ctx.repo.getMessages(viewer.tenantId, sessionId, [seq + 1], now);
      if (next?.role === 'ASSISTANT') return { status: 'READY', reply: next };
      return { status: session.messageCount > seq || overdue ? 'FAILED' : 'PENDING', reply: null };
    }
    const record = await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, message.clientMessageId, now);
    if (record?.replySeq != null) {
      const [reply] = await this.ctx.repo.getMessages(viewer.tenantId, sessionId, [record.replySeq], now);
      if (reply) return { status: 'READY', reply };
    }
    if (!record || record.replyFailed || overdue || !isLive(session.status)) return { status: 'FAILED', reply: null };
    return { status: 'PENDING', reply: null };
  }

  /** The user's message (and the record, with an id), or the record of the id's first message. */
  private async appendUserMessage(
    viewer: Viewer,
    sessionId: string,
    content: string,
    clientMessageId: string | null,
    catalog: TopicCatalog,
  ): Promise<Appended> {
    return retryOnStale(`sendMessage to ${sessionId}`, async () => {
      const now = this.ctx.clock.now();
      const session = await this.ctx.owned(viewer, sessionId, now);
      const maxTurns = topicOf(catalog, session).settings.maxTurns ?? null;
      const turns = session.turnCount ?? 0;
      const exhausted = maxTurns !== null && turns >= maxTurns;
      if (clientMessageId && (session.status !== 'ACTIVE' || exhausted)) {
        const record = await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, now);
        if (record) return { duplicate: { session, record } };
      }
      assertActive(session);
      if (exhausted) throw maxTurnsReached(maxTurns);
      const message: Message = { sessionId, seq: session.messageCount + 1, role: 'USER', content, createdAt: now };
      if (clientMessageId) message.clientMessageId = clientMessageId;
      const next: Session = { ...withMessage(session, 'ACTIVE', now, catalog), turnCount: turns + 1 };
      try {
        await this.ctx.repo.appendMessage(session, next, message, clientMessageId, now);
        return { session: next, message };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return { duplicate: { session, record: e.record } };
        throw e;
      }
    });
  }

  /** Stores the coach's reply after the user's message (and in its record, with an id). */
  private async appendReply(
    viewer: Viewer,
    afterUser: Session,
    userMessage: Message,
    content: string,
    clientMessageId: string | null,
    catalog: TopicCatalog,
  ): Promise<SendMessageResult> {
    let session = afterUser;
    return retryOnStale(`reply to ${afterUser.id}`, async (attempt) => {
      const now = this.ctx.clock.now();
      if (attempt > 0) {
        session = await this.ctx.owned(viewer, session.id, now);
        // Ended between the user's message and the reply: nothing may follow the end.
        if (!isLive(session.status)) throw sessionNotLive(session.status);
      }
      const reply: Message = { sessionId: session.id, seq: session.messageCount + 1, role: 'ASSISTANT', content, createdAt: now };
      const next = withMessage(session, session.status as LiveStatus, now, catalog);
      try {
        await this.ctx.repo.appendMessage(session, next, reply, clientMessageId, now);
        return { session: this.ctx.view(next, now, catalog), message: userMessage, reply };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return this.replay(viewer, session.id, e.record, clientMessageId!, catalog);
        throw e;
      }
    });
  }

  /** sendMessage's answer to a retried id: the first result, waited for or produced now (see above). */
  private async replay(
    viewer: Viewer,
    sessionId: string,
    record: ClientMessageRecord,
    clientMessageId: string,
    catalog: TopicCatalog,
  ): Promise<SendMessageResult> {
    let current = record;
    for (let i = 0; i < 10 && current.replySeq === null && !current.replyFailed; i++) {
      await sleep(50 * (i + 1));
      current = (await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, this.ctx.clock.now())) ?? current;
    }
    const { now, latest, message, reply } = await this.recorded(viewer, sessionId, current, true);
    if (reply) return { session: this.ctx.view(latest, now, catalog), message, reply };
    assertActive(latest);
    const text = await this.coach.askCoach(topicOf(catalog, latest), latest, message);
    return this.appendReply(viewer, latest, message, text, clientMessageId, catalog);
  }

  /** A record's user message (and its reply, when `withReply` and recorded), with the session as it is now. */
  private async recorded(viewer: Viewer, sessionId: string, record: ClientMessageRecord, withReply: boolean) {
    const now = this.ctx.clock.now();
    const seqs = withReply && record.replySeq !== null ? [record.userSeq, record.replySeq] : [record.userSeq];
    const [messages, latest] = await Promise.all([
      this.ctx.repo.getMessages(viewer.tenantId, sessionId, seqs, now),
      this.ctx.owned(viewer, sessionId, now),
    ]);
    const message = messages.find((m) => m.seq === record.userSeq);
    if (!message) throw notFound('Message');
    return { now, latest, message, reply: messages.find((m) => m.seq === record.replySeq) };
  }

  /** postMessage's reply: coach, then the usual reply write; a failure is noted on the record for pollers. */
  private replyInBackground(viewer: Viewer, session: Session, message: Message, clientMessageId: string, catalog: TopicCatalog): void {
    const task = (async () => {
      try {
        const text = await this.coach.askCoach(topicOf(catalog, session), session, message);
        await this.appendReply(viewer, session, message, text, clientMessageId, catalog);
      } catch (e) {
        if (!(e instanceof DomainError)) this.ctx.log.error('background reply failed', { sessionId: session.id, error: String(e) });
        await this.noteReplyFailed(viewer, session.id, clientMessageId, 'could not note a background reply failure');
      }
    })();
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Sets `replyFailed` on the record; a store error here is only logged (the caller's own outcome stands). */
  private noteReplyFailed(viewer: Viewer, sessionId: string, clientMessageId: string, warning: string): Promise<void> {
    return this.ctx.repo
      .markReplyFailed(viewer.tenantId, sessionId, clientMessageId, this.ctx.clock.now())
      .catch((err) => this.ctx.log.warn(warning, { sessionId, error: String(err) }));
  }
}

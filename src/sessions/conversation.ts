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
 */
import { randomUUID } from 'node:crypto';
import { assertActive, isLive, Message, Session } from '../domain/session';
import { badInput, notFound } from '../domain/errors';
import { parseMessageId } from '../domain/ids';
import { Viewer } from '../domain/viewer';
import { TopicCatalog } from '../topics/catalog';
import { CoachGateway } from './coach-gateway';
import { validateMessage } from './input-checks';
import { ClientMessageRecord } from './repository';
import { sleep } from './retry';
import { ServiceContext } from './service-context';
import { SessionQueue } from './session-queue';
import { SessionView, topicOf } from './session-view';
import { isReplyTo, StoredReply, TurnWrites } from './turn-writes';

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

  constructor(
    private readonly ctx: ServiceContext,
    private readonly coach: CoachGateway,
    queue = new SessionQueue(ctx.limits.sessionQueue),
  ) {
    this.writes = new TurnWrites(ctx, queue);
  }


  /** Store the user's message, ask the coach, store the reply. Idle never blocks it. */
  async sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.writes.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
    if ('duplicate' in sent) return this.replay(viewer, sessionId, sent.duplicate.record, clientMessageId!, content, catalog);
    return this.answer(viewer, sent.session, sent.message, catalog);
  }

  /** Stores the user's message and returns at once; this process produces the reply in the background. */
  async postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    validateMessage(this.ctx.limits, content, clientMessageId);
    const id = clientMessageId ?? `srv-${randomUUID()}`;
    const catalog = await this.ctx.catalog(viewer);
    const sent = await this.writes.appendUserMessage(viewer, sessionId, content, id, catalog);
    if ('duplicate' in sent) {
      const { record } = sent.duplicate;
      const { now, latest, message, reply } = await this.recorded(viewer, sessionId, record, content);
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
    if (!message || message.role !== 'USER') throw notFound('Message');
    const next = found.find((m) => m.seq === seq + 1);
    // An earlier version stored replies without replyTo, right after their message.
    if (next?.role === 'ASSISTANT' && (next.replyTo ?? seq) === seq) return { status: 'READY', reply: next };
    const overdue = now - message.createdAt > this.ctx.coachTimeoutMs + 60_000;
    // The next seq holds another message: stored by an earlier version, which kept no seq for the reply.
    const displaced = next !== undefined;
    const record = message.clientMessageId ? await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, message.clientMessageId, now) : null;
    if (record?.replySeq != null) {
      const [reply] = await this.ctx.repo.getMessages(viewer.tenantId, sessionId, [record.replySeq], now);
      if (reply) return { status: 'READY', reply };
    }
    const failed = message.clientMessageId ? !record || record.replyFailed : displaced;
    if (failed || overdue || !isLive(session.status)) return { status: 'FAILED', reply: null };
    return { status: 'PENDING', reply: null };
  }

  /** The coach's reply to a stored user message, stored; a coach failure is noted on the record. */
  private async answer(viewer: Viewer, session: Session, message: Message, catalog: TopicCatalog): Promise<SendMessageResult> {
    const noteFailure = async (e: unknown) => {
      if (message.clientMessageId) await this.noteReplyFailed(viewer, session.id, message.clientMessageId);
      throw e;
    };
    const text = await this.coach.askCoach(topicOf(catalog, session), session, message).catch(noteFailure);
    const stored: StoredReply = await this.writes.storeReply(viewer, session, message, text).catch(noteFailure);
    return { session: this.ctx.view(stored.session, this.ctx.clock.now(), catalog), message, reply: stored.reply };
  }

  /** sendMessage's answer to a retried id: the first result, waited for or produced now (see above). */
  private async replay(
    viewer: Viewer,
    sessionId: string,
    record: ClientMessageRecord,
    clientMessageId: string,
    content: string,
    catalog: TopicCatalog,
  ): Promise<SendMessageResult> {
    let found = await this.recorded(viewer, sessionId, record, content);
    let current = record;
    for (let i = 0; i < 10 && !found.reply && !current.replyFailed; i++) {
      await sleep(50 * (i + 1));
      current = (await this.ctx.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, this.ctx.clock.now())) ?? current;
      found = await this.recorded(viewer, sessionId, current, content);
    }
    const { now, latest, message, reply } = found;
    if (reply) return { session: this.ctx.view(latest, now, catalog), message, reply };
    assertActive(latest);
    return this.answer(viewer, latest, message, catalog);
  }

  /**
   * A record's user message and its reply (if stored), with the session as it is now. The
   * message must be the one retried: other content under the same id is refused.
   */
  private async recorded(viewer: Viewer, sessionId: string, record: ClientMessageRecord, content: string) {
    const now = this.ctx.clock.now();
    const replySeq = record.replySeq ?? record.userSeq + 1;
    const [messages, latest] = await Promise.all([
      this.ctx.repo.getMessages(viewer.tenantId, sessionId, [record.userSeq, replySeq], now),
      this.ctx.owned(viewer, sessionId, now),
    ]);
    const message = messages.find((m) => m.seq === record.userSeq);
    if (!message) throw notFound('Message');
    if (message.content !== content) {
      throw badInput('This clientMessageId was already used for a message with other content; use a new id for a new message', {
        argumentName: 'clientMessageId',
      });
    }
    const candidate = messages.find((m) => m.seq === replySeq);
    const reply = candidate && (record.replySeq !== null || isReplyTo(candidate, message)) ? candidate : undefined;
    return { now, latest, message, reply };
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

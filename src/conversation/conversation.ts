/**
 * The conversation's use cases: sendMessage (waits for the reply), sendMessageStream (streams
 * it), postMessage (leaves it to the background) and messageReply (where a reply stands).
 * A user's message takes the next seq and keeps the one after it for its reply, so a reply
 * directly follows the message it answers. A clientMessageId makes a send idempotent: the
 * record rules and what each retry returns are in docs/reliability.md#client-message-records.
 */
import { randomUUID } from 'node:crypto';
import { isLive, Message, Session } from '../domain/session';
import { DomainError, notFound } from '../domain/errors';
import { parseMessageRef } from '../domain/ids';
import { visibleToOwner } from '../domain/visibility';
import { Viewer } from '../domain/viewer';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import type { BackgroundWork } from '../sessions/background';
import type { SessionMemory } from '../sessions/memory';
import type { SessionRepository } from '../sessions/repository';
import { CoachGateway } from '../coach/gateway';
import type { Budgets } from '../usage/budgets';
import { validateMessage } from '../sessions/input-checks';
import { ListenerGone, LiveReplies, TurnListener } from './live-replies';
import { liveKey, RetriedSends } from './replay';
import { SessionQueue } from '../sessions/concurrency';
import { ownSession, SessionView, sessionView, topicOf } from '../sessions/session-view';
import { SendMessageResult, StoredReply, TurnWrites } from './turn-writes';

export type { TurnListener } from './live-replies';
export { ListenerGone } from './live-replies';

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

export interface ConversationDeps {
  repo: SessionRepository;
  topics: TopicSource;
  coach: CoachGateway;
  clock: Clock;
  log: Logger;
  background: BackgroundWork;
  memory: SessionMemory;
  /** The token caps, checked before a user's message is stored (absent: none). */
  budgets?: Budgets;
  limits: Pick<SessionLimits, 'maxMessageChars' | 'coachTimeoutMs' | 'sessionQueue'>;
}

export class Conversation {
  private readonly writes: TurnWrites;
  /** Replies this process is producing, for a stream re-subscribed here. */
  private readonly live = new LiveReplies<SendMessageResult>();
  private readonly retried: RetriedSends;

  constructor(private readonly deps: ConversationDeps) {
    this.writes = new TurnWrites(deps, new SessionQueue(deps.limits.sessionQueue));
    this.retried = new RetriedSends(deps, this.live, (...args) => this.answer(...args));
  }

  /** Store the user's message, ask the coach, store the reply. Idle never blocks it. */
  async sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    validateMessage(this.deps.limits, content, clientMessageId);
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
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
      validateMessage(this.deps.limits, content, clientMessageId);
      const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
      const sent = await this.writes.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
      if ('duplicate' in sent) return this.retried.replay(viewer, sessionId, sent.duplicate.record, clientMessageId, content, catalog, listener);
      listener.message(sent.message, sessionView(sent.session, this.deps.clock.now(), catalog));
      return this.answer(viewer, sent.session, sent.message, catalog, listener);
    })();
    this.deps.background.track(run);
    void run
      .catch((e) => {
        // With nobody listening any more, an unexpected failure would go unseen: log it.
        if (listener.gone?.() && !(e instanceof DomainError) && !(e instanceof ListenerGone)) {
          this.deps.log.error('streamed reply failed', { sessionId, error: String(e) });
        }
      });
    return run;
  }

  /** Stores the user's message and returns at once; this process produces the reply in the background. */
  async postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    validateMessage(this.deps.limits, content, clientMessageId);
    const id = clientMessageId ?? `srv-${randomUUID()}`;
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const sent = await this.writes.appendUserMessage(viewer, sessionId, content, id, catalog);
    if ('duplicate' in sent) {
      const { record } = sent.duplicate;
      const { now, latest, message, reply } = await this.retried.recorded(viewer, sessionId, record, content);
      const canReply = latest.status === 'ACTIVE';
      if (!reply && record.replyFailed && canReply) this.replyInBackground(viewer, latest, message, catalog);
      return { session: sessionView(latest, now, catalog), message, clientMessageId: id, replyPending: !reply && (!record.replyFailed || canReply) };
    }
    this.replyInBackground(viewer, sent.session, sent.message, catalog);
    return { session: sessionView(sent.session, this.deps.clock.now(), catalog), message: sent.message, clientMessageId: id, replyPending: true };
  }

  /** Where the reply to one of the caller's messages stands (READY, PENDING or FAILED): a few reads. */
  async messageReply(viewer: Viewer, sessionId: string, messageId: string): Promise<MessageReplyResult> {
    const { seq, revision } = parseMessageRef(sessionId, messageId);
    const now = this.deps.clock.now();
    const [session, found] = await Promise.all([
      ownSession(this.deps.repo, viewer, sessionId, now),
      this.deps.repo.getMessages(viewer.tenantId, sessionId, [seq, seq + 1], now),
    ]);
    const message = found.find((m) => m.seq === seq);
    // A message from before a transfer its owner may not read (visibility.ts) is not there for them.
    if (!message || message.role !== 'USER' || revision > 0 || !visibleToOwner(session, message)) throw notFound('Message');
    const next = found.find((m) => m.seq === seq + 1);
    // An earlier version stored replies without replyTo, right after their message.
    if (next?.role === 'ASSISTANT' && (next.replyTo ?? seq) === seq && visibleToOwner(session, next)) return { status: 'READY', reply: next };
    const overdue = now - message.createdAt > this.deps.limits.coachTimeoutMs + 60_000;
    // The next seq holds another message: stored by an earlier version, which kept no seq for the reply.
    const displaced = next !== undefined;
    const record = message.clientMessageId ? await this.deps.repo.getClientMessage(viewer.tenantId, sessionId, message.clientMessageId, now) : null;
    if (record?.replySeq != null) {
      const [reply] = await this.deps.repo.getMessages(viewer.tenantId, sessionId, [record.replySeq], now);
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
      const topic = topicOf(catalog, session);
      const { text, usage } = await this.deps.coach.askCoach(topic, session, message, onPiece).catch(noteFailure);
      const stored: StoredReply = await this.writes.storeReply(viewer, session, message, text, usage).catch(noteFailure);
      this.deps.memory.afterReply(topic, session, message, stored.reply);
      const result = { session: sessionView(stored.session, this.deps.clock.now(), catalog), message, reply: stored.reply };
      feed?.end({ ok: true, result });
      return result;
    } catch (error) {
      feed?.end({ ok: false, error });
      throw error;
    }
  }

  /** postMessage's reply: coach, then the usual reply write; a failure is noted on the record for pollers. */
  private replyInBackground(viewer: Viewer, session: Session, message: Message, catalog: TopicCatalog): void {
    this.deps.background.run('background reply', { sessionId: session.id }, async () => {
      await this.answer(viewer, session, message, catalog);
    });
  }

  /** Sets `replyFailed` on the record; a store error here is only logged (the caller's own outcome stands). */
  private noteReplyFailed(viewer: Viewer, sessionId: string, clientMessageId: string): Promise<void> {
    return this.deps.repo
      .markReplyFailed(viewer.tenantId, sessionId, clientMessageId, this.deps.clock.now())
      .catch((err) => this.deps.log.warn('could not note a failed reply', { sessionId, error: String(err) }));
  }
}

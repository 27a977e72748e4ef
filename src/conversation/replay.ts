import { assertActive, Message, Session } from '../domain/session';
import { badInput, notFound } from '../domain/errors';
import { visibleToOwner } from '../domain/visibility';
import { Viewer } from '../domain/viewer';
import { TopicCatalog } from '../topics/catalog';
import type { SendMessageResult } from './turn-writes';
import { ListenerGone, LiveReplies, TurnListener } from './live-replies';
import { ClientMessageRecord, SessionRepository } from '../sessions/repository';
import { ownSession, sessionView } from '../sessions/session-view';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import { sleep } from '../sessions/concurrency';
import { isReplyTo } from './turn-writes';

/** sendMessage's retry waits this long for the first call's reply before asking the coach itself. */
const RETRY_WAIT_MS = 2750;
/** A stream's retry waits for another process's reply until the coach timeout and this margin (the reply's writes) have passed. */
const STREAM_WAIT_MARGIN_MS = 5000;

/** The conversation's own reply production (Conversation.answer), which a retry falls back on. */
export type Answer = (viewer: Viewer, session: Session, message: Message, catalog: TopicCatalog, listener?: TurnListener) => Promise<SendMessageResult>;

/** The key of a reply in progress: one user message, by its clientMessageId. */
export const liveKey = (viewer: Viewer, sessionId: string, clientMessageId: string) => `${viewer.tenantId}\u0000${sessionId}\u0000${clientMessageId}`;

/**
 * Retried sends (the same clientMessageId again), by the record rules at the top of
 * conversation.ts: the first message, checked against the retry's content, and its reply,
 * stored, followed, waited for or produced now.
 */
export class RetriedSends {
  constructor(
    private readonly deps: { repo: SessionRepository; clock: Clock; limits: Pick<SessionLimits, 'coachTimeoutMs'> },
    private readonly live: LiveReplies<SendMessageResult>,
    private readonly answer: Answer,
  ) {}

  /** The answer to a retried id: the first result, waited for or produced now (see the top comment). */
  async replay(
    viewer: Viewer,
    sessionId: string,
    record: ClientMessageRecord,
    clientMessageId: string,
    content: string,
    catalog: TopicCatalog,
    listener?: TurnListener,
  ): Promise<SendMessageResult> {
    let found = await this.recorded(viewer, sessionId, record, content);
    listener?.message(found.message, sessionView(found.latest, found.now, catalog));
    if (listener && !found.reply) {
      const followed = this.follow(viewer, sessionId, clientMessageId, listener);
      if (followed) return followed;
    }
    const waitMs = listener ? found.message.createdAt + this.deps.limits.coachTimeoutMs + STREAM_WAIT_MARGIN_MS - found.now : RETRY_WAIT_MS;
    const started = Date.now();
    let current = record;
    for (let i = 0; !found.reply && !current.replyFailed && Date.now() - started < waitMs; i++) {
      if (listener?.gone?.()) throw new ListenerGone();
      await sleep(Math.min(50 * (i + 1), 1000));
      current = (await this.deps.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, this.deps.clock.now())) ?? current;
      found = await this.recorded(viewer, sessionId, current, content);
    }
    const { now, latest, message, reply } = found;
    if (reply) {
      listener?.delta(reply.content);
      return { session: sessionView(latest, now, catalog), message, reply };
    }
    assertActive(latest);
    return this.answer(viewer, latest, message, catalog, listener);
  }

  /** A stream's retry following the reply this process is still producing: its pieces, then its outcome. */
  private follow(viewer: Viewer, sessionId: string, clientMessageId: string, listener: TurnListener): Promise<SendMessageResult> | null {
    let streamed = '';
    const ended = this.live.follow(liveKey(viewer, sessionId, clientMessageId), (text) => {
      streamed += text;
      listener.delta(text);
    });
    return (
      ended?.then((outcome) => {
        if (!outcome.ok) throw outcome.error;
        // A reply produced without streaming (sendMessage) arrives whole.
        if (!streamed) listener.delta(outcome.result.reply.content);
        return outcome.result;
      }) ?? null
    );
  }

  /**
   * A record's user message and its reply (if stored), with the session as it is now. The
   * message must be the one retried: other content under the same id is refused.
   */
  async recorded(viewer: Viewer, sessionId: string, record: ClientMessageRecord, content: string) {
    const now = this.deps.clock.now();
    const replySeq = record.replySeq ?? record.userSeq + 1;
    const [messages, latest] = await Promise.all([
      this.deps.repo.getMessages(viewer.tenantId, sessionId, [record.userSeq, replySeq], now),
      ownSession(this.deps.repo, viewer, sessionId, now),
    ]);
    const message = messages.find((m) => m.seq === record.userSeq);
    if (!message) throw notFound('Message');
    // Another owner's message (before a transfer): its id is taken, but nothing of it is told, not even whether the content matches.
    if (!visibleToOwner(latest, message)) {
      throw badInput('This clientMessageId was already used in this session; use a new id for a new message', { argumentName: 'clientMessageId' });
    }
    if (message.content !== content) {
      throw badInput('This clientMessageId was already used for a message with other content; use a new id for a new message', {
        argumentName: 'clientMessageId',
      });
    }
    const candidate = messages.find((m) => m.seq === replySeq);
    const reply = candidate && (record.replySeq !== null || isReplyTo(candidate, message)) && visibleToOwner(latest, candidate) ? candidate : undefined;
    return { now, latest, message, reply };
  }
}

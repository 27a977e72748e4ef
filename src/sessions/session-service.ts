import { Clock } from '../domain/clock';
import { Message, Session, SessionStatus } from '../domain/session';
import { TopicStatus } from '../domain/topic';
import { Viewer } from '../domain/viewer';
import { Coach } from '../coach/port';
import { Logger } from '../logger';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import { CoachGateway } from './coach-gateway';
import { Conversation, MessageReplyResult, PostMessageResult, SendMessageResult, TurnListener } from './conversation';
import { SessionLifecycle, SessionServiceOptions } from './lifecycle';
import { SessionCheck, SessionQueries, TopicProgress } from './queries';
import { OutcomePage, SessionRepository } from './repository';
import { DEFAULT_LIMITS, ServiceContext, ServiceLimits } from './service-context';
import { SessionView } from './session-view';

export { RESULT_MESSAGES } from './coach-gateway';
export type { MessageReplyResult, MessageReplyStatus, PostMessageResult, SendMessageResult, TurnListener } from './conversation';
export { ListenerGone } from './conversation';
export type { ResumedEvent, SessionServiceOptions } from './lifecycle';
export type { SessionCheck, TopicProgress } from './queries';
export { DEFAULT_LIMITS } from './service-context';
export type { ServiceLimits } from './service-context';
export type { SessionView } from './session-view';

/**
 * The sessions API the GraphQL layer uses: one face over the role modules, which do the work.
 * queries.ts reads, lifecycle.ts changes a session's status, conversation.ts carries messages
 * and replies (and their clientMessageId records; turn-writes.ts writes them, one session at a
 * time per process through session-queue.ts), coach-gateway.ts calls the coach,
 * session-view.ts shapes what is returned, input-checks.ts refuses bad arguments, and
 * service-context.ts holds what they share.
 */
export class SessionService {
  private readonly context: ServiceContext;
  private readonly queries: SessionQueries;
  private readonly lifecycle: SessionLifecycle;
  private readonly conversation: Conversation;

  constructor(
    repo: SessionRepository,
    /** A fixed catalogue, or TenantTopics (each tenant's, cached): read once per operation. */
    topics: TopicSource,
    coach: Coach,
    clock: Clock,
    log: Logger,
    limits: ServiceLimits = DEFAULT_LIMITS,
    options: SessionServiceOptions = {},
  ) {
    this.context = new ServiceContext(repo, topics, clock, log, limits);
    const gateway = new CoachGateway(this.context, coach);
    this.queries = new SessionQueries(this.context);
    this.lifecycle = new SessionLifecycle(this.context, gateway, options);
    this.conversation = new Conversation(this.context, gateway);
  }

  // ---- reads (queries.ts) ------------------------------------------------------

  check(viewer: Viewer, topicId: string): Promise<SessionCheck> {
    return this.queries.check(viewer, topicId);
  }

  get(viewer: Viewer, sessionId: string): Promise<SessionView | null> {
    return this.queries.get(viewer, sessionId);
  }

  getMany(viewer: Viewer, ids: readonly string[]): Promise<(SessionView | null)[]> {
    return this.queries.getMany(viewer, ids);
  }

  mySessions(viewer: Viewer, statuses: readonly SessionStatus[] | null, first: number | null, after: string | null) {
    return this.queries.mySessions(viewer, statuses, first, after);
  }

  messages(
    viewer: Viewer,
    session: SessionView,
    args: { first: number | null; after: number | null; last: number | null; before: number | null },
  ): Promise<{ messages: Message[]; hasNextPage: boolean; hasPreviousPage: boolean }> {
    return this.queries.messages(viewer, session, args);
  }

  topicStatuses(viewer: Viewer): Promise<Map<string, TopicStatus>> {
    return this.queries.topicStatuses(viewer);
  }

  /** Status and outcome per topic (`topics { myStatus myResult }`): two queries whatever the number of topics. */
  topicProgress(viewer: Viewer): Promise<Map<string, TopicProgress>> {
    return this.queries.topicProgress(viewer);
  }

  myResults(viewer: Viewer, first: number | null, afterTopicId: string | null): Promise<OutcomePage> {
    return this.queries.myResults(viewer, first, afterTopicId);
  }

  // ---- status changes (lifecycle.ts) -------------------------------------------

  start(viewer: Viewer, topicId: string, restart: boolean): Promise<SessionView> {
    return this.lifecycle.start(viewer, topicId, restart);
  }

  pause(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.lifecycle.pause(viewer, sessionId);
  }

  resume(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.lifecycle.resume(viewer, sessionId);
  }

  complete(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.lifecycle.complete(viewer, sessionId);
  }

  cancel(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.lifecycle.cancel(viewer, sessionId);
  }

  // ---- messages (conversation.ts) ----------------------------------------------

  sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    return this.conversation.sendMessage(viewer, sessionId, content, clientMessageId);
  }

  /** sendMessage as a stream (sendMessageStream): the stored message, the reply's pieces, then the stored reply. */
  sendMessageStream(viewer: Viewer, sessionId: string, content: string, clientMessageId: string, listener: TurnListener): Promise<SendMessageResult> {
    return this.conversation.streamMessage(viewer, sessionId, content, clientMessageId, listener);
  }

  postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    return this.conversation.postMessage(viewer, sessionId, content, clientMessageId);
  }

  messageReply(viewer: Viewer, sessionId: string, messageId: string): Promise<MessageReplyResult> {
    return this.conversation.messageReply(viewer, sessionId, messageId);
  }

  /** Resolves once every background write started so far (postMessage's replies, late welcome backs) has been stored or has failed (tests, shutdown). */
  settled(): Promise<void> {
    return this.context.background.settled();
  }

  // ---- the view (session-view.ts) ----------------------------------------------

  /** How a session is shown; `catalog`: the operation's, by default the tenant's last loaded one. */
  view(session: Session, now: number, catalog?: TopicCatalog): SessionView {
    return this.context.view(session, now, catalog);
  }
}

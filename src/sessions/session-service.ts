import { Clock } from '../domain/clock';
import {
  badInput,
  coachUnavailable,
  DomainError,
  notFound,
  sessionConflict,
  sessionNotLive,
} from '../domain/errors';
import { isClientMessageId, isSessionId, isTopicId, newSessionId } from '../domain/ids';
import {
  assertActive,
  DEFAULT_SETTINGS,
  assertTransition,
  ended,
  expiryFor,
  idleSince,
  isLive,
  LiveStatus,
  Message,
  Session,
  SessionStatus,
  TerminalStatus,
  touched,
} from '../domain/session';
import { Topic, TopicStatus } from '../domain/topic';
import { Viewer } from '../domain/viewer';
import { Coach } from '../coach/port';
import { withCoachTimeout } from '../coach/timeout';
import { DEFAULT_COACH_TIMEOUT_MS } from '../config';
import { TopicCatalog } from '../topics/catalog';
import {
  ClientMessageRecord,
  DuplicateClientMessageError,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from './repository';
import { Logger } from '../logger';

/** A session as the API shows it: stored fields plus what is derived at read time. */
export interface SessionView extends Session {
  isIdle: boolean;
  idleSince: number | null;
}

export interface SessionCheck {
  hasSession: boolean;
  sessionId: string | null;
  status: SessionStatus | null;
  isIdle: boolean;
  conflict: boolean;
  conflictUserId: string | null;
}

export interface SendMessageResult {
  session: SessionView;
  message: Message;
  reply: Message;
}

export interface ServiceLimits {
  maxMessageChars: number;
  maxPageSize: number;
  defaultPageSize: number;
  /** Longest wait for one coach call; a hung coach then gives COACH_UNAVAILABLE (default 30 s). */
  coachTimeoutMs?: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxMessageChars: 4000,
  maxPageSize: 100,
  defaultPageSize: 20,
  coachTimeoutMs: DEFAULT_COACH_TIMEOUT_MS,
};

/** Bounded optimistic-concurrency retries (another tab or process wrote in between). */
const MAX_ATTEMPTS = 12;

export class SessionService {
  constructor(
    private readonly repo: SessionRepository,
    private readonly topics: TopicCatalog,
    private readonly coach: Coach,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: ServiceLimits = DEFAULT_LIMITS,
  ) {}

  // ---- reads ---------------------------------------------------------------

  /** One read, no side effects: does the caller hold the topic, or does someone else? */
  async check(viewer: Viewer, topicId: string): Promise<SessionCheck> {
    const topic = this.topic(topicId);
    const now = this.clock.now();
    const holder = await this.repo.findHolder(viewer.tenantId, topic.id, now);
    if (!holder) return { hasSession: false, sessionId: null, status: null, isIdle: false, conflict: false, conflictUserId: null };
    if (holder.userId !== viewer.userId) {
      return { hasSession: false, sessionId: null, status: null, isIdle: false, conflict: true, conflictUserId: holder.userId };
    }
    return {
      hasSession: true,
      sessionId: holder.id,
      status: holder.status,
      isIdle: idleSince(holder, topic.settings, now) !== null,
      conflict: false,
      conflictUserId: null,
    };
  }

  /** The caller's session, or null when unknown, expired, malformed or someone else's. */
  async get(viewer: Viewer, sessionId: string): Promise<SessionView | null> {
    if (!isSessionId(sessionId)) return null;
    const now = this.clock.now();
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    return session && session.userId === viewer.userId ? this.view(session, now) : null;
  }

  /** Batch form of `get`, for DataLoader: results in the order of `ids`. */
  async getMany(viewer: Viewer, ids: readonly string[]): Promise<(SessionView | null)[]> {
    const now = this.clock.now();
    const valid = ids.filter(isSessionId);
    const found = valid.length ? await this.repo.getSessions(viewer.tenantId, valid, now) : [];
    const byId = new Map(found.filter((s): s is Session => s !== null).map((s) => [s.id, s]));
    return ids.map((id) => {
      const s = byId.get(id);
      return s && s.userId === viewer.userId ? this.view(s, now) : null;
    });
  }

  async mySessions(viewer: Viewer, statuses: readonly SessionStatus[] | null, first: number | null, after: string | null) {
    const limit = this.pageSize(first, 'first');
    const now = this.clock.now();
    const page = await this.repo.listUserSessions(
      viewer.tenantId,
      viewer.userId,
      { statuses: statuses && statuses.length ? statuses : null, limit, cursor: after },
      now,
    );
    return { ...page, sessions: page.sessions.map((s) => this.view(s, now)) };
  }

  /**
   * A page of a session's messages, Relay-style: `first`/`after` forward, `last`/`before`
   * backward (the newest messages). Reads only the page.
   */
  async messages(
    viewer: Viewer,
    session: SessionView,
    args: { first: number | null; after: number | null; last: number | null; before: number | null },
  ): Promise<{ messages: Message[]; hasNextPage: boolean; hasPreviousPage: boolean }> {
    if (session.userId !== viewer.userId || session.tenantId !== viewer.tenantId) throw notFound('Session');
    if (args.first !== null && args.last !== null) throw badInput('Pass either "first" or "last", not both');
    const backward = args.last !== null || (args.before !== null && args.first === null);
    const limit = this.pageSize(backward ? args.last : args.first, backward ? 'last' : 'first', 50);
    const from = backward ? args.before : args.after;
    const now = this.clock.now();
    const rows = await this.repo.listMessages(
      viewer.tenantId,
      session.id,
      { direction: backward ? 'backward' : 'forward', from, limit: limit + 1 },
      now,
    );
    const more = rows.length > limit;
    const messages = backward ? rows.slice(rows.length > limit ? 1 : 0) : rows.slice(0, limit);
    // The other side of the page: messages exist before `after` / after `before` when the bound is inside the conversation.
    const lastSeq = session.messageCount;
    return backward
      ? { messages, hasPreviousPage: more, hasNextPage: from !== null && from <= lastSeq }
      : { messages, hasNextPage: more, hasPreviousPage: from !== null && from >= 1 };
  }

  /** The caller's progress per topic, for `topics { myStatus }`: one query whatever the number of topics. */
  async topicStatuses(viewer: Viewer): Promise<Map<string, TopicStatus>> {
    const now = this.clock.now();
    const statuses = new Map<string, TopicStatus>();
    let cursor: string | null = null;
    do {
      const page = await this.repo.listUserSessions(
        viewer.tenantId,
        viewer.userId,
        { statuses: ['ACTIVE', 'PAUSED', 'COMPLETED'], limit: 1000, cursor },
        now,
      );
      for (const s of page.sessions) statuses.set(s.topicId, strongest(statuses.get(s.topicId), topicStatusOf(s.status)));
      cursor = page.hasNextPage ? page.cursors[page.cursors.length - 1] : null;
    } while (cursor);
    return statuses;
  }

  // ---- writes --------------------------------------------------------------

  /**
   * Resume the caller's live session for the topic or create one, atomically across
   * processes: the store's conditional hold decides who wins, never a read here.
   */
  async start(viewer: Viewer, topicId: string, restart: boolean): Promise<SessionView> {
    const topic = this.topic(topicId);
    let opening: string | null = null;
    let abandoning: string | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const holder = await this.repo.findHolder(viewer.tenantId, topic.id, now);
      if (holder && holder.userId !== viewer.userId) throw sessionConflict(holder.userId);
      if (restart && holder) {
        // A restart abandons the session the caller saw; if a simultaneous restart of
        // theirs already replaced it, the fresh session is the one to return, not abandon.
        abandoning ??= holder.id;
        if (holder.id !== abandoning) restart = false;
      }
      try {
        if (holder && !restart) return await this.resumeHeld(holder, topic, now);
        opening ??= await this.openingMessage(topic);
        const { session, first } = this.newSession(viewer, topic, opening, now);
        if (holder) {
          await this.repo.replaceSession(holder, ended(holder, 'ABANDONED', now, topic.settings), session, first, now);
        } else {
          await this.repo.createSession(session, first, now);
        }
        return this.view(session, now);
      } catch (e) {
        if (e instanceof TopicHeldError && e.holder.userId !== viewer.userId) throw sessionConflict(e.holder.userId);
        // Lost a race (our own other tab, or the holder moved on): look again.
        if (e instanceof TopicHeldError || e instanceof StaleSessionError) {
          await backoff(attempt);
          continue;
        }
        throw e;
      }
    }
    throw new Error(`startSession did not settle after ${MAX_ATTEMPTS} attempts`);
  }

  pause(viewer: Viewer, sessionId: string) {
    return this.transition(viewer, sessionId, (s, now, settings) => {
      assertTransition(s, 'PAUSED');
      return touched(s, 'PAUSED', now, settings);
    });
  }

  resume(viewer: Viewer, sessionId: string) {
    return this.transition(viewer, sessionId, (s, now, settings) => {
      assertTransition(s, 'ACTIVE');
      return s.status === 'ACTIVE' ? null : touched(s, 'ACTIVE', now, settings);
    });
  }

  complete(viewer: Viewer, sessionId: string) {
    return this.end(viewer, sessionId, 'COMPLETED');
  }

  cancel(viewer: Viewer, sessionId: string) {
    return this.end(viewer, sessionId, 'CANCELLED');
  }

  /**
   * Store the user's message, ask the coach, store the reply. Idle never blocks it. A
   * repeated `clientMessageId` returns the first result and writes nothing new.
   */
  async sendMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<SendMessageResult> {
    this.validateMessage(content, clientMessageId);
    const sent = await this.appendUserMessage(viewer, sessionId, content, clientMessageId);
    if ('replay' in sent) return sent.replay;
    const { session, message } = sent;
    const text = await this.askCoach(this.topicOf(session), session, message).catch(async (e) => {
      if (clientMessageId) {
        await this.repo
          .markReplyFailed(viewer.tenantId, session.id, clientMessageId, this.clock.now())
          .catch((err) => this.log.warn('could not note a coach failure', { sessionId: session.id, error: String(err) }));
      }
      throw e;
    });
    return this.appendReply(viewer, session, message, text, clientMessageId);
  }

  // ---- internals -----------------------------------------------------------

  private get coachTimeoutMs(): number {
    return this.limits.coachTimeoutMs ?? DEFAULT_COACH_TIMEOUT_MS;
  }

  private async resumeHeld(holder: Session, topic: Topic, now: number): Promise<SessionView> {
    if (holder.status === 'ACTIVE') return this.view(holder, now);
    const next = touched(holder, 'ACTIVE', now, topic.settings);
    await this.repo.updateSession(holder, next, now);
    return this.view(next, now);
  }

  private async end(viewer: Viewer, sessionId: string, status: TerminalStatus) {
    return this.transition(viewer, sessionId, (s, now, settings) => {
      assertTransition(s, status);
      return ended(s, status, now, settings);
    });
  }

  /** Read, decide, write with the version read; on a lost race read again. */
  private async transition(
    viewer: Viewer,
    sessionId: string,
    decide: (s: Session, now: number, settings: Topic['settings']) => Session | null,
  ): Promise<SessionView> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      const next = decide(session, now, this.topicOf(session).settings);
      if (!next) return this.view(session, now);
      try {
        await this.repo.updateSession(session, next, now);
        return this.view(next, now);
      } catch (e) {
        if (!(e instanceof StaleSessionError)) throw e;
        await backoff(attempt);
      }
    }
    throw new Error(`transition of ${sessionId} did not settle after ${MAX_ATTEMPTS} attempts`);
  }

  private async appendUserMessage(
    viewer: Viewer,
    sessionId: string,
    content: string,
    clientMessageId: string | null,
  ): Promise<{ session: Session; message: Message } | { replay: SendMessageResult }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      if (clientMessageId && session.status !== 'ACTIVE') {
        // A retry of a message accepted before the session was paused or ended still gets its first result.
        const record = await this.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, now);
        if (record) return { replay: await this.replay(viewer, session, record, clientMessageId) };
      }
      assertActive(session);
      const message: Message = { sessionId, seq: session.messageCount + 1, role: 'USER', content, createdAt: now };
      if (clientMessageId) message.clientMessageId = clientMessageId;
      const next = this.withMessage(session, 'ACTIVE', now);
      try {
        await this.repo.appendMessage(session, next, message, clientMessageId, now);
        return { session: next, message };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return { replay: await this.replay(viewer, session, e.record, clientMessageId!) };
        if (!(e instanceof StaleSessionError)) throw e;
        await backoff(attempt);
      }
    }
    throw new Error(`sendMessage to ${sessionId} did not settle after ${MAX_ATTEMPTS} attempts`);
  }

  private async appendReply(
    viewer: Viewer,
    afterUser: Session,
    userMessage: Message,
    content: string,
    clientMessageId: string | null,
  ): Promise<SendMessageResult> {
    let session = afterUser;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      if (attempt > 0) {
        session = await this.owned(viewer, session.id, now);
        // Ended between the user's message and the reply: nothing may follow the end.
        if (!isLive(session.status)) throw sessionNotLive(session.status);
      }
      const reply: Message = { sessionId: session.id, seq: session.messageCount + 1, role: 'ASSISTANT', content, createdAt: now };
      const next = this.withMessage(session, session.status as LiveStatus, now);
      try {
        await this.repo.appendMessage(session, next, reply, clientMessageId, now);
        return { session: this.view(next, now), message: userMessage, reply };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return this.replay(viewer, session, e.record, clientMessageId!);
        if (!(e instanceof StaleSessionError)) throw e;
        await backoff(attempt);
      }
    }
    throw new Error(`reply to ${session.id} did not settle after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * A retried clientMessageId: return what the first call produced. If that call is still
   * waiting for the coach, wait briefly for its reply; if its coach failed (or it never
   * came back), produce the reply now. The store lets only one reply be recorded.
   */
  private async replay(viewer: Viewer, session: Session, record: ClientMessageRecord, clientMessageId: string): Promise<SendMessageResult> {
    let current = record;
    for (let i = 0; i < 10 && current.replySeq === null && !current.replyFailed; i++) {
      await sleep(50 * (i + 1));
      current = (await this.repo.getClientMessage(viewer.tenantId, session.id, clientMessageId, this.clock.now())) ?? current;
    }
    const now = this.clock.now();
    const seqs = current.replySeq === null ? [current.userSeq] : [current.userSeq, current.replySeq];
    const [messages, latest] = await Promise.all([
      this.repo.getMessages(viewer.tenantId, session.id, seqs, now),
      this.owned(viewer, session.id, now),
    ]);
    const message = messages.find((m) => m.seq === current.userSeq);
    if (!message) throw notFound('Message');
    const reply = messages.find((m) => m.seq === current.replySeq);
    if (reply) return { session: this.view(latest, now), message, reply };
    // The first call stored no reply (the coach failed): a new one only for an active session.
    assertActive(latest);
    const text = await this.askCoach(this.topicOf(latest), latest, message);
    return this.appendReply(viewer, latest, message, text, clientMessageId);
  }

  private async askCoach(topic: Topic, session: Session, userMessage: Message): Promise<string> {
    try {
      const text = await withCoachTimeout(this.coachTimeoutMs, (signal) =>
        this.coach.reply({
          topic,
          session,
          userMessage,
          recentMessages: (limit) =>
            this.repo.listMessages(session.tenantId, session.id, { direction: 'backward', from: null, limit }, this.clock.now()),
          signal,
        }),
      );
      if (typeof text !== 'string') throw new Error('the coach returned no text');
      if (!text.trim()) throw new Error('empty reply');
      return text;
    } catch (e) {
      if (e instanceof DomainError && e.code !== 'COACH_UNAVAILABLE') throw e;
      this.log.warn('coach failed', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      throw coachUnavailable();
    }
  }

  private async openingMessage(topic: Topic): Promise<string> {
    try {
      const text = await withCoachTimeout(this.coachTimeoutMs, (signal) => this.coach.opening(topic, signal));
      return typeof text === 'string' && text.trim() ? text : topic.openingMessage;
    } catch (e) {
      // A new session must not fail because a model is down: the topic's own opening serves.
      this.log.warn('coach opening failed, using the topic opening', { coach: this.coach.name, error: String(e) });
      return topic.openingMessage;
    }
  }

  private newSession(viewer: Viewer, topic: Topic, opening: string, now: number): { session: Session; first: Message } {
    const id = newSessionId(now);
    const session: Session = {
      id,
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      topicId: topic.id,
      status: 'ACTIVE',
      createdAt: now,
      updatedAt: now,
      lastActivityAt: now,
      endedAt: null,
      expiresAt: expiryFor('ACTIVE', now, null, topic.settings),
      messageCount: 1,
      version: 1,
    };
    return { session, first: { sessionId: id, seq: 1, role: 'ASSISTANT', content: opening, createdAt: now } };
  }

  private withMessage(session: Session, status: LiveStatus, now: number): Session {
    return { ...touched(session, status, now, this.topicOf(session).settings), messageCount: session.messageCount + 1 };
  }

  private async owned(viewer: Viewer, sessionId: string, now: number): Promise<Session> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    // Another user's or tenant's session is indistinguishable from an unknown one.
    if (!session || session.userId !== viewer.userId) throw notFound('Session');
    return session;
  }

  private topic(topicId: string): Topic {
    const topic = isTopicId(topicId) ? this.topics.get(topicId) : undefined;
    if (!topic) throw badInput(`Unknown topic "${topicId.slice(0, 64)}"`, { argumentName: 'topicId' });
    return topic;
  }

  /** A stored session's topic; one removed from the catalogue since keeps the default settings. */
  private topicOf(session: Session): Topic {
    return (
      this.topics.get(session.topicId) ?? {
        id: session.topicId,
        name: session.topicId,
        description: null,
        instructions: '',
        openingMessage: '',
        settings: DEFAULT_SETTINGS,
      }
    );
  }

  view(session: Session, now: number): SessionView {
    const since = idleSince(session, this.topicOf(session).settings, now);
    return { ...session, isIdle: since !== null, idleSince: since };
  }

  private validateMessage(content: string, clientMessageId: string | null) {
    if (!content.trim()) throw badInput('The message is empty', { argumentName: 'content' });
    if (content.length > this.limits.maxMessageChars) {
      throw badInput(`The message is longer than ${this.limits.maxMessageChars} characters`, { argumentName: 'content' });
    }
    // Unpaired surrogates and control characters other than tab/newline are refused, not stored.
    if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(content) || !content.isWellFormed()) {
      throw badInput('The message contains control characters or invalid Unicode', { argumentName: 'content' });
    }
    if (clientMessageId !== null && !isClientMessageId(clientMessageId)) {
      throw badInput('clientMessageId must be 1-64 characters of letters, digits, ".", "_", ":" or "-"', {
        argumentName: 'clientMessageId',
      });
    }
  }

  private pageSize(value: number | null, name: string, fallback = this.limits.defaultPageSize): number {
    if (value === null) return fallback;
    if (!Number.isInteger(value) || value < 1 || value > this.limits.maxPageSize) {
      throw badInput(`"${name}" must be between 1 and ${this.limits.maxPageSize}`, { argumentName: name });
    }
    return value;
  }
}

const TOPIC_STATUS_RANK: Record<TopicStatus, number> = { NOT_STARTED: 0, COMPLETED: 1, PAUSED: 2, IN_PROGRESS: 3 };

function topicStatusOf(status: SessionStatus): TopicStatus {
  if (status === 'ACTIVE') return 'IN_PROGRESS';
  if (status === 'PAUSED') return 'PAUSED';
  return status === 'COMPLETED' ? 'COMPLETED' : 'NOT_STARTED';
}

/** A live session says more about the caller's progress than a completed one. */
const strongest = (a: TopicStatus | undefined, b: TopicStatus): TopicStatus =>
  a === undefined || TOPIC_STATUS_RANK[b] > TOPIC_STATUS_RANK[a] ? b : a;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jittered, so racing processes do not collide again in lockstep. */
const backoff = (attempt: number) => sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));

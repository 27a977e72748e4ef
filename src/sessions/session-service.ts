import { Clock } from '../domain/clock';
import { randomUUID } from 'node:crypto';
import {
  badInput,
  coachUnavailable,
  DomainError,
  maxTurnsReached,
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
import { CoachTimeoutError, withCoachTimeout } from '../coach/timeout';
import { validateResult } from '../domain/result-schema';
import { DEFAULT_COACH_TIMEOUT_MS } from '../config';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import {
  ClientMessageRecord,
  DuplicateClientMessageError,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from './repository';
import { Logger } from '../logger';
import { backoff, MAX_ATTEMPTS, retryOnStale } from './retry';

/** A session as the API shows it: stored fields plus what is derived at read time. */
export interface SessionView extends Session {
  isIdle: boolean;
  idleSince: number | null;
  /** User messages so far. */
  turnCount: number;
  /** The topic's limit on user messages; null: unlimited. */
  maxTurns: number | null;
}

export interface SessionCheck {
  hasSession: boolean;
  sessionId: string | null;
  status: SessionStatus | null;
  isIdle: boolean;
  conflict: boolean;
  conflictUserId: string | null;
  /** User messages in the caller's session so far (0 without one). */
  turnCount: number;
  /** The topic's limit on user messages; null: unlimited. */
  maxTurns: number | null;
}

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

/** A live session resumed (startSession or resumeSession) after being idle. */
export interface ResumedEvent {
  tenantId: string;
  sessionId: string;
  topicId: string;
  /** How long it had been inactive, in ms. */
  idleMs: number;
  via: 'start' | 'resume';
}

export interface SessionServiceOptions {
  /** Observers (metrics); a throwing observer is logged and never fails the operation. */
  events?: { resumed?(e: ResumedEvent): void };
}

/** The conversation completeSession hands the coach for extraction: at most this many newest messages. */
export const RESULT_MESSAGES = 200;
/** A result larger than this (as JSON) is not stored: `resultError` says so. */
const MAX_RESULT_CHARS = 100_000;
/** The longest a resume waits for a welcome back (bounded further by the coach timeout). */
const WELCOME_BACK_TIMEOUT_MS = 10_000;

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


export class SessionService {
  constructor(
    private readonly repo: SessionRepository,
    /** A fixed catalogue, or TenantTopics (each tenant's, cached): read once per operation. */
    private readonly topics: TopicSource,
    private readonly coach: Coach,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: ServiceLimits = DEFAULT_LIMITS,
    private readonly options: SessionServiceOptions = {},
  ) {}

  /** Replies being produced in the background (postMessage). */
  private readonly background = new Set<Promise<void>>();

  /** Resolves once every background reply started so far has been stored or has failed (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  // ---- reads ---------------------------------------------------------------

  /** One read, no side effects: does the caller hold the topic, or does someone else? */
  async check(viewer: Viewer, topicId: string): Promise<SessionCheck> {
    const topic = this.topic(await this.catalog(viewer), topicId);
    const now = this.clock.now();
    const holder = await this.repo.findHolder(viewer.tenantId, topic.id, now);
    const maxTurns = topic.settings.maxTurns ?? null;
    const none = { hasSession: false, sessionId: null, status: null, isIdle: false, turnCount: 0, maxTurns };
    if (!holder) return { ...none, conflict: false, conflictUserId: null };
    if (holder.userId !== viewer.userId) return { ...none, conflict: true, conflictUserId: holder.userId };
    return {
      hasSession: true,
      sessionId: holder.id,
      status: holder.status,
      isIdle: idleSince(holder, topic.settings, now) !== null,
      conflict: false,
      conflictUserId: null,
      turnCount: holder.turnCount ?? 0,
      maxTurns,
    };
  }

  /** The caller's session, or null when unknown, expired, malformed or someone else's. */
  async get(viewer: Viewer, sessionId: string): Promise<SessionView | null> {
    if (!isSessionId(sessionId)) return null;
    const now = this.clock.now();
    const catalog = await this.catalog(viewer);
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    return session && session.userId === viewer.userId ? this.view(session, now, catalog) : null;
  }

  /** Batch form of `get`, for DataLoader: results in the order of `ids`. */
  async getMany(viewer: Viewer, ids: readonly string[]): Promise<(SessionView | null)[]> {
    const catalog = await this.catalog(viewer);
    const now = this.clock.now();
    const valid = ids.filter(isSessionId);
    const found = valid.length ? await this.repo.getSessions(viewer.tenantId, valid, now) : [];
    const byId = new Map(found.filter((s): s is Session => s !== null).map((s) => [s.id, s]));
    return ids.map((id) => {
      const s = byId.get(id);
      return s && s.userId === viewer.userId ? this.view(s, now, catalog) : null;
    });
  }

  async mySessions(viewer: Viewer, statuses: readonly SessionStatus[] | null, first: number | null, after: string | null) {
    const limit = this.pageSize(first, 'first');
    const catalog = await this.catalog(viewer);
    const now = this.clock.now();
    const page = await this.repo.listUserSessions(
      viewer.tenantId,
      viewer.userId,
      { statuses: statuses && statuses.length ? statuses : null, limit, cursor: after },
      now,
    );
    return { ...page, sessions: page.sessions.map((s) => this.view(s, now, catalog)) };
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
    const catalog = await this.catalog(viewer);
    const topic = this.topic(catalog, topicId);
    // Archived: no new sessions, but the caller's live one (if any) is still resumed below.
    let opening: string | null = null;
    let abandoning: string | null = null;
    const resuming: ResumeState = { seenActivity: null, welcome: undefined };
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
        if (holder && !restart) return await this.resumeOnce(catalog, holder, topic, now, 'start', resuming);
        if (topic.archived) throw badInput(`Topic "${topic.id}" is archived: it takes no new sessions`, { argumentName: 'topicId' });
        opening ??= await this.openingMessage(topic);
        const { session, first } = this.newSession(viewer, topic, opening, now);
        if (holder) {
          await this.repo.replaceSession(holder, ended(holder, 'ABANDONED', now, topic.settings), session, first, now);
        } else {
          await this.repo.createSession(session, first, now);
        }
        return this.view(session, now, catalog);
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

  /**
   * ACTIVE: returned as is; PAUSED: made ACTIVE. After being idle, the coach's welcome back
   * is stored with the resume in one write (see resumeOnce).
   */
  async resume(viewer: Viewer, sessionId: string): Promise<SessionView> {
    const resuming: ResumeState = { seenActivity: null, welcome: undefined };
    const catalog = await this.catalog(viewer);
    return retryOnStale(`resume of ${sessionId}`, async () => {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      assertTransition(session, 'ACTIVE');
      return this.resumeOnce(catalog, session, topicOf(catalog, session), now, 'resume', resuming);
    });
  }

  /**
   * Completes the session with its result: the coach extracts it (outside any write), the
   * service validates it against the topic's resultSchema, and one versioned write stores
   * the completion with `result` or, when extraction failed, timed out or did not validate,
   * with `resultError`: the session completes either way. A lost race re-reads and writes
   * again, asking the coach again only if the conversation changed meanwhile.
   */
  async complete(viewer: Viewer, sessionId: string): Promise<SessionView> {
    let extraction: Extraction | null = null;
    const catalog = await this.catalog(viewer);
    return retryOnStale(`completion of ${sessionId}`, async () => {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      assertTransition(session, 'COMPLETED');
      const topic = topicOf(catalog, session);
      if (!extraction || extraction.messageCount !== session.messageCount) extraction = await this.extractResult(topic, session);
      const next: Session = {
        ...ended(session, 'COMPLETED', this.clock.now(), topic.settings),
        ...(extraction.result ? { result: extraction.result } : {}),
        ...(extraction.resultError ? { resultError: extraction.resultError } : {}),
      };
      await this.repo.updateSession(session, next, next.updatedAt);
      return this.view(next, next.updatedAt, catalog);
    });
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
    const catalog = await this.catalog(viewer);
    const sent = await this.appendUserMessage(viewer, sessionId, content, clientMessageId, catalog);
    if ('duplicate' in sent) return this.replay(viewer, sent.duplicate.session, sent.duplicate.record, clientMessageId!, catalog);
    const { session, message } = sent;
    const text = await this.askCoach(topicOf(catalog, session), session, message).catch(async (e) => {
      if (clientMessageId) {
        await this.repo
          .markReplyFailed(viewer.tenantId, session.id, clientMessageId, this.clock.now())
          .catch((err) => this.log.warn('could not note a coach failure', { sessionId: session.id, error: String(err) }));
      }
      throw e;
    });
    return this.appendReply(viewer, session, message, text, clientMessageId, catalog);
  }

  /**
   * Stores the user's message and returns at once; the reply is produced in the background
   * by this process and stored as usual (poll messageReply, or read the session's messages).
   * Every postMessage has a clientMessageId record (one is made when the client gives none),
   * so a poll is a few reads and a retry of sendMessage with that id produces the reply if
   * this process died meanwhile. A repeated clientMessageId writes nothing new.
   */
  async postMessage(viewer: Viewer, sessionId: string, content: string, clientMessageId: string | null): Promise<PostMessageResult> {
    this.validateMessage(content, clientMessageId);
    const id = clientMessageId ?? `srv-${randomUUID()}`;
    const catalog = await this.catalog(viewer);
    const sent = await this.appendUserMessage(viewer, sessionId, content, id, catalog);
    if ('duplicate' in sent) {
      const { record } = sent.duplicate;
      const now = this.clock.now();
      const [messages, latest] = await Promise.all([
        this.repo.getMessages(viewer.tenantId, sessionId, [record.userSeq], now),
        this.owned(viewer, sessionId, now),
      ]);
      const message = messages.find((m) => m.seq === record.userSeq);
      if (!message) throw notFound('Message');
      // The first attempt's coach failed: try again in the background, if the session still takes replies.
      if (record.replySeq === null && record.replyFailed && latest.status === 'ACTIVE') this.replyInBackground(viewer, latest, message, id, catalog);
      return { session: this.view(latest, now, catalog), message, clientMessageId: id, replyPending: record.replySeq === null && (!record.replyFailed || latest.status === 'ACTIVE') };
    }
    this.replyInBackground(viewer, sent.session, sent.message, id, catalog);
    return { session: this.view(sent.session, this.clock.now()), message: sent.message, clientMessageId: id, replyPending: true };
  }

  /**
   * Where the reply to one of the caller's messages stands: READY (with the reply), PENDING
   * (being produced) or FAILED (the coach failed, or no reply came within the coach's
   * timeout and a minute: retry with sendMessage and the same clientMessageId). A few reads.
   */
  async messageReply(viewer: Viewer, sessionId: string, messageId: string): Promise<MessageReplyResult> {
    const seq = parseMessageId(sessionId, messageId);
    const now = this.clock.now();
    const [session, found] = await Promise.all([
      this.owned(viewer, sessionId, now),
      this.repo.getMessages(viewer.tenantId, sessionId, [seq], now),
    ]);
    const message = found.find((m) => m.seq === seq);
    if (!message || message.role !== 'USER') throw notFound('Message');
    const overdue = now - message.createdAt > this.coachTimeoutMs + 60_000;
    if (!message.clientMessageId) {
      // sendMessage without an id keeps no record: its reply, if any, is the next message.
      const [next] = await this.repo.getMessages(viewer.tenantId, sessionId, [seq + 1], now);
      if (next?.role === 'ASSISTANT') return { status: 'READY', reply: next };
      return { status: session.messageCount > seq || overdue ? 'FAILED' : 'PENDING', reply: null };
    }
    const record = await this.repo.getClientMessage(viewer.tenantId, sessionId, message.clientMessageId, now);
    if (record?.replySeq != null) {
      const [reply] = await this.repo.getMessages(viewer.tenantId, sessionId, [record.replySeq], now);
      if (reply) return { status: 'READY', reply };
    }
    if (!record || record.replyFailed || overdue || !isLive(session.status)) return { status: 'FAILED', reply: null };
    return { status: 'PENDING', reply: null };
  }

  // ---- internals -----------------------------------------------------------

  private get coachTimeoutMs(): number {
    return this.limits.coachTimeoutMs ?? DEFAULT_COACH_TIMEOUT_MS;
  }

  /**
   * One attempt at resuming a live session (throws StaleSessionError on a lost race; the
   * caller re-reads and calls again with the same `state`).
   *
   * Not idle: ACTIVE is returned as is (no write), PAUSED becomes ACTIVE. Idle (as first
   * read by this call, with no activity since): the coach writes a welcome back, stored
   * with the resume in one versioned write, so of two tabs resuming at once exactly one
   * adds it; the other re-reads a session that moved on (activity after what it first
   * saw) and resumes it as not idle. A failing or slow coach never fails the resume.
   */
  private async resumeOnce(
    catalog: TopicCatalog,
    session: Session,
    topic: Topic,
    now: number,
    via: ResumedEvent['via'],
    state: ResumeState,
  ): Promise<SessionView> {
    state.seenActivity ??= session.lastActivityAt;
    const movedOn = session.lastActivityAt > state.seenActivity;
    const since = movedOn ? null : idleSince(session, topic.settings, now);
    if (since === null) {
      if (session.status === 'ACTIVE') return this.view(session, now, catalog);
      const next = touched(session, 'ACTIVE', now, topic.settings);
      await this.repo.updateSession(session, next, now);
      return this.view(next, now, catalog);
    }
    const idleMs = Math.max(0, now - session.lastActivityAt);
    if (state.welcome === undefined) state.welcome = await this.welcomeBack(topic, session, idleMs);
    let next = session;
    if (state.welcome !== null) {
      const message: Message = { sessionId: session.id, seq: session.messageCount + 1, role: 'ASSISTANT', content: state.welcome, createdAt: now };
      next = this.withMessage(session, 'ACTIVE', now, catalog);
      await this.repo.appendMessage(session, next, message, null, now);
    } else if (session.status === 'PAUSED') {
      next = touched(session, 'ACTIVE', now, topic.settings);
      await this.repo.updateSession(session, next, now);
    }
    this.emitResumed({ tenantId: session.tenantId, sessionId: session.id, topicId: session.topicId, idleMs, via });
    return this.view(next, now, catalog);
  }

  /** The coach's welcome back, or null when it failed or took too long (logged; the resume goes on without it). */
  private async welcomeBack(topic: Topic, session: Session, idleMs: number): Promise<string | null> {
    try {
      const text = await withCoachTimeout(Math.min(this.coachTimeoutMs, WELCOME_BACK_TIMEOUT_MS), (signal) =>
        this.coach.welcomeBack({
          topic,
          session,
          idleMs,
          recentMessages: (limit) =>
            this.repo.listMessages(session.tenantId, session.id, { direction: 'backward', from: null, limit }, this.clock.now()),
          signal,
        }),
      );
      if (typeof text !== 'string' || !text.trim()) throw new Error('the coach returned no text');
      return text.trim().slice(0, this.limits.maxMessageChars);
    } catch (e) {
      this.log.warn('coach welcome back failed; resuming without it', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      return null;
    }
  }

  private emitResumed(e: ResumedEvent): void {
    try {
      this.options.events?.resumed?.(e);
    } catch (error) {
      this.log.warn('resumed observer failed', { sessionId: e.sessionId, error: String(error) });
    }
  }

  /** The session's result for completeSession; never throws for a coach problem (store errors propagate). */
  private async extractResult(topic: Topic, session: Session): Promise<Extraction> {
    const base = { messageCount: session.messageCount, result: null, resultError: null };
    const schema = topic.resultSchema;
    if (!schema) return base;
    const messages = await this.repo.listMessages(
      session.tenantId,
      session.id,
      { direction: 'backward', from: null, limit: RESULT_MESSAGES },
      this.clock.now(),
    );
    let value: unknown;
    try {
      value = await withCoachTimeout(this.coachTimeoutMs, (signal) => this.coach.extractResult({ topic, session, messages, signal }));
    } catch (e) {
      this.log.warn('coach result extraction failed; completing without a result', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      const why = e instanceof CoachTimeoutError ? `did not answer within ${e.ms} ms` : 'was unavailable';
      return { ...base, resultError: `The coach ${why}, so no result was extracted; the conversation is kept` };
    }
    const problems = validateResult(schema, value);
    if (problems.length) {
      this.log.warn('extracted result does not match the topic schema', { sessionId: session.id, problems });
      return { ...base, resultError: clip(`The extracted result does not match the topic's result schema: ${problems.join('; ')}`, 1000) };
    }
    if (JSON.stringify(value).length > MAX_RESULT_CHARS) {
      return { ...base, resultError: `The extracted result is larger than ${MAX_RESULT_CHARS} characters and was not stored` };
    }
    return { ...base, result: value as Record<string, unknown> };
  }

  /** postMessage's reply: coach, then the usual reply write; a failure is noted on the record for pollers. */
  private replyInBackground(viewer: Viewer, session: Session, message: Message, clientMessageId: string, catalog: TopicCatalog): void {
    const task = (async () => {
      try {
        const text = await this.askCoach(topicOf(catalog, session), session, message);
        await this.appendReply(viewer, session, message, text, clientMessageId, catalog);
      } catch (e) {
        if (!(e instanceof DomainError)) this.log.error('background reply failed', { sessionId: session.id, error: String(e) });
        await this.repo
          .markReplyFailed(viewer.tenantId, session.id, clientMessageId, this.clock.now())
          .catch((err) => this.log.warn('could not note a background reply failure', { sessionId: session.id, error: String(err) }));
      }
    })();
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
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
    const catalog = await this.catalog(viewer);
    return retryOnStale(`transition of ${sessionId}`, async () => {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      const next = decide(session, now, topicOf(catalog, session).settings);
      if (!next) return this.view(session, now, catalog);
      await this.repo.updateSession(session, next, now);
      return this.view(next, now, catalog);
    });
  }

  private async appendUserMessage(
    viewer: Viewer,
    sessionId: string,
    content: string,
    clientMessageId: string | null,
    catalog: TopicCatalog,
  ): Promise<{ session: Session; message: Message } | { duplicate: { session: Session; record: ClientMessageRecord } }> {
    return retryOnStale(`sendMessage to ${sessionId}`, async () => {
      const now = this.clock.now();
      const session = await this.owned(viewer, sessionId, now);
      const maxTurns = topicOf(catalog, session).settings.maxTurns ?? null;
      const turns = session.turnCount ?? 0;
      const exhausted = maxTurns !== null && turns >= maxTurns;
      if (clientMessageId && (session.status !== 'ACTIVE' || exhausted)) {
        // A retry of a message accepted before the session was paused, ended or used its last turn still gets its first result.
        const record = await this.repo.getClientMessage(viewer.tenantId, sessionId, clientMessageId, now);
        if (record) return { duplicate: { session, record } };
      }
      assertActive(session);
      if (exhausted) throw maxTurnsReached(maxTurns);
      const message: Message = { sessionId, seq: session.messageCount + 1, role: 'USER', content, createdAt: now };
      if (clientMessageId) message.clientMessageId = clientMessageId;
      const next: Session = { ...this.withMessage(session, 'ACTIVE', now, catalog), turnCount: turns + 1 };
      try {
        await this.repo.appendMessage(session, next, message, clientMessageId, now);
        return { session: next, message };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return { duplicate: { session, record: e.record } };
        throw e;
      }
    });
  }

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
      const now = this.clock.now();
      if (attempt > 0) {
        session = await this.owned(viewer, session.id, now);
        // Ended between the user's message and the reply: nothing may follow the end.
        if (!isLive(session.status)) throw sessionNotLive(session.status);
      }
      const reply: Message = { sessionId: session.id, seq: session.messageCount + 1, role: 'ASSISTANT', content, createdAt: now };
      const next = this.withMessage(session, session.status as LiveStatus, now, catalog);
      try {
        await this.repo.appendMessage(session, next, reply, clientMessageId, now);
        return { session: this.view(next, now, catalog), message: userMessage, reply };
      } catch (e) {
        if (e instanceof DuplicateClientMessageError) return this.replay(viewer, session, e.record, clientMessageId!, catalog);
        throw e;
      }
    });
  }

  /**
   * A retried clientMessageId: return what the first call produced. If that call is still
   * waiting for the coach, wait briefly for its reply; if its coach failed (or it never
   * came back), produce the reply now. The store lets only one reply be recorded.
   */
  private async replay(
    viewer: Viewer,
    session: Session,
    record: ClientMessageRecord,
    clientMessageId: string,
    catalog: TopicCatalog,
  ): Promise<SendMessageResult> {
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
    if (reply) return { session: this.view(latest, now, catalog), message, reply };
    // The first call stored no reply (the coach failed): a new one only for an active session.
    assertActive(latest);
    const text = await this.askCoach(topicOf(catalog, latest), latest, message);
    return this.appendReply(viewer, latest, message, text, clientMessageId, catalog);
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

  private withMessage(session: Session, status: LiveStatus, now: number, catalog: TopicCatalog): Session {
    return { ...touched(session, status, now, topicOf(catalog, session).settings), messageCount: session.messageCount + 1 };
  }

  private async owned(viewer: Viewer, sessionId: string, now: number): Promise<Session> {
    if (!isSessionId(sessionId)) throw badInput('Malformed session id', { argumentName: 'sessionId' });
    const session = await this.repo.getSession(viewer.tenantId, sessionId, now);
    // Another user's or tenant's session is indistinguishable from an unknown one.
    if (!session || session.userId !== viewer.userId) throw notFound('Session');
    return session;
  }

  /** The caller's tenant's catalogue: read once per operation (cached by TenantTopics). */
  private catalog(viewer: Viewer): Promise<TopicCatalog> {
    return this.topics.catalogFor(viewer.tenantId);
  }

  /** A topic of the catalogue by id (archived ones included: start refuses those itself). */
  private topic(catalog: TopicCatalog, topicId: string): Topic {
    const topic = isTopicId(topicId) ? catalog.get(topicId) : undefined;
    if (!topic) throw badInput(`Unknown topic "${topicId.slice(0, 64)}"`, { argumentName: 'topicId' });
    return topic;
  }

  /**
   * How a session is shown, with its topic's current settings (so a changed setting shows
   * at once). `catalog`: the operation's; by default the tenant's last loaded one.
   */
  view(session: Session, now: number, catalog: TopicCatalog = this.topics.peek(session.tenantId)): SessionView {
    const settings = topicOf(catalog, session).settings;
    const since = idleSince(session, settings, now);
    return { ...session, isIdle: since !== null, idleSince: since, turnCount: session.turnCount ?? 0, maxTurns: settings.maxTurns ?? null };
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

/** A stored session's topic; one removed from the catalogue since keeps the default settings. */
function topicOf(catalog: TopicCatalog, session: Session): Topic {
  return (
    catalog.get(session.topicId) ?? {
      id: session.topicId,
      name: session.topicId,
      description: null,
      instructions: '',
      openingMessage: '',
      settings: DEFAULT_SETTINGS,
    }
  );
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


/** What one resume call carries across its retries. */
interface ResumeState {
  /** The session's last activity when this call first read it: later activity means someone else resumed it. */
  seenActivity: number | null;
  /** The welcome back, once asked for (null: the coach failed; undefined: not asked yet). */
  welcome: string | null | undefined;
}

interface Extraction {
  /** The conversation length it was extracted from. */
  messageCount: number;
  result: Record<string, unknown> | null;
  resultError: string | null;
}

/** A Message id (`<sessionId>:<seq>`) of this session: its seq. */
function parseMessageId(sessionId: string, messageId: string): number {
  const match = /^(.+):(\d{1,9})$/.exec(messageId);
  const seq = match ? Number(match[2]) : 0;
  if (!match || match[1] !== sessionId || seq < 1) throw badInput('messageId is not a message of this session', { argumentName: 'messageId' });
  return seq;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

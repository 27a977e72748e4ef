import { badInput, notFound } from '../domain/errors';
import { isSessionId } from '../domain/ids';
import { maxMessageBytes, PAGE_BYTE_BUDGET } from '../domain/page-budget';
import { idleSince, lastSeqOf, Message, Session, SessionStatus } from '../domain/session';
import { TopicStatus } from '../domain/topic';
import { Outcome } from '../domain/user-data';
import { Viewer } from '../domain/viewer';
import { knownTopic, pageSize } from './input-checks';
import { OutcomePage, SessionRepository } from './repository';
import { SessionView, sessionView } from './session-view';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { TopicSource } from '../topics/catalog';
import { listVisibleMessagePage } from './visible-messages';

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
  /** The caller's session: its last activity, since when it is idle (null: not idle), when it expires. */
  lastActivityAt: number | null;
  idleSince: number | null;
  expiresAt: number | null;
  /** Another user's session holding the topic: since when it is idle by the topic's timeout (null: not idle, or no conflict). */
  conflictIdleSince: number | null;
}

export interface QueryDeps {
  repo: SessionRepository;
  topics: TopicSource;
  clock: Clock;
  limits: Pick<SessionLimits, 'maxPageSize' | 'defaultPageSize' | 'maxMessageChars'>;
}

/** The caller's reads: no side effects, no coach, and only the caller's own sessions. */
export class SessionQueries {
  constructor(private readonly deps: QueryDeps) {}

  /** One read, no side effects: does the caller hold the topic, or does someone else? */
  async check(viewer: Viewer, topicId: string): Promise<SessionCheck> {
    const topic = knownTopic(await this.deps.topics.catalogFor(viewer.tenantId), topicId);
    const now = this.deps.clock.now();
    const holder = await this.deps.repo.findHolder(viewer.tenantId, topic.id, now);
    const maxTurns = topic.settings.maxTurns ?? null;
    const none = { hasSession: false, sessionId: null, status: null, isIdle: false, turnCount: 0, maxTurns, lastActivityAt: null, idleSince: null, expiresAt: null };
    if (!holder) return { ...none, conflict: false, conflictUserId: null, conflictIdleSince: null };
    const since = idleSince(holder, topic.settings, now);
    if (holder.userId !== viewer.userId) return { ...none, conflict: true, conflictUserId: holder.userId, conflictIdleSince: since };
    return {
      hasSession: true,
      sessionId: holder.sessionId,
      status: holder.status,
      isIdle: since !== null,
      conflict: false,
      conflictUserId: null,
      turnCount: holder.turnCount,
      maxTurns,
      lastActivityAt: holder.lastActivityAt,
      idleSince: since,
      expiresAt: holder.expiresAt,
      conflictIdleSince: null,
    };
  }

  /** The caller's session, or null when unknown, expired, malformed or someone else's. */
  async get(viewer: Viewer, sessionId: string): Promise<SessionView | null> {
    if (!isSessionId(sessionId)) return null;
    const now = this.deps.clock.now();
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const session = await this.deps.repo.getSession(viewer.tenantId, sessionId, now);
    return session && session.userId === viewer.userId ? sessionView(session, now, catalog) : null;
  }

  /** Batch form of `get`, for DataLoader: results in the order of `ids`. */
  async getMany(viewer: Viewer, ids: readonly string[]): Promise<(SessionView | null)[]> {
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const now = this.deps.clock.now();
    const valid = ids.filter(isSessionId);
    const found = valid.length ? await this.deps.repo.getSessions(viewer.tenantId, valid, now) : [];
    const byId = new Map(found.filter((s): s is Session => s !== null).map((s) => [s.id, s]));
    return ids.map((id) => {
      const s = byId.get(id);
      return s && s.userId === viewer.userId ? sessionView(s, now, catalog) : null;
    });
  }

  async mySessions(viewer: Viewer, statuses: readonly SessionStatus[] | null, first: number | null, after: string | null) {
    const limit = pageSize(this.deps.limits, first, 'first');
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const now = this.deps.clock.now();
    const page = await this.deps.repo.listUserSessions(
      viewer.tenantId,
      viewer.userId,
      { statuses: statuses && statuses.length ? statuses : null, limit, cursor: after },
      now,
    );
    return { ...page, sessions: page.sessions.map((s) => sessionView(s, now, catalog)) };
  }

  /** Relay-style, only what the owner may read, stopping early at the byte budget (page-budget.ts). */
  async messages(
    viewer: Viewer,
    session: SessionView,
    args: { first: number | null; after: number | null; last: number | null; before: number | null },
  ): Promise<{ messages: Message[]; hasNextPage: boolean; hasPreviousPage: boolean }> {
    if (session.userId !== viewer.userId || session.tenantId !== viewer.tenantId) throw notFound('Session');
    if (args.first !== null && args.last !== null) throw badInput('Pass either "first" or "last", not both');
    const backward = args.last !== null || (args.before !== null && args.first === null);
    const limit = pageSize(this.deps.limits, backward ? args.last : args.first, backward ? 'last' : 'first', 50);
    const from = backward ? args.before : args.after;
    const now = this.deps.clock.now();
    const budget = { bytes: PAGE_BYTE_BUDGET, itemBytes: maxMessageBytes(this.deps.limits.maxMessageChars) };
    // Only what the owner may read (visibility.ts): a transfer without consent hides what came before it.
    const read = await listVisibleMessagePage(this.deps.repo, session, { direction: backward ? 'backward' : 'forward', from, limit: limit + 1 }, budget, now);
    const rows = read.messages;
    const lastSeq = lastSeqOf(session);
    const messages = backward ? rows.slice(rows.length > limit ? 1 : 0) : rows.slice(0, limit);
    // Cut by the budget: more lies beyond the page's far end unless it reached the conversation's edge.
    const cut = read.cut && messages.length > 0 && (backward ? messages[0].seq > 1 : messages[messages.length - 1].seq < lastSeq);
    const more = rows.length > limit || cut;
    // The other side of the page: messages exist before `after` / after `before` when the bound is inside the conversation.
    return backward
      ? { messages, hasPreviousPage: more, hasNextPage: from !== null && from <= lastSeq }
      : { messages, hasNextPage: more, hasPreviousPage: from !== null && from >= 1 };
  }

  /** One query of sessions and one of outcomes; a completed topic stays COMPLETED after its session expires. */
  async topicProgress(viewer: Viewer): Promise<Map<string, TopicProgress>> {
    const now = this.deps.clock.now();
    const [statuses, outcomes] = await Promise.all([this.sessionStatuses(viewer, now), this.allOutcomes(viewer, now)]);
    const progress = new Map<string, TopicProgress>();
    for (const [topicId, status] of statuses) progress.set(topicId, { status, result: null });
    for (const o of outcomes) progress.set(o.topicId, { status: strongest(statuses.get(o.topicId), 'COMPLETED'), result: o });
    return progress;
  }

  /** The caller's progress per topic (statuses only). */
  async topicStatuses(viewer: Viewer): Promise<Map<string, TopicStatus>> {
    return new Map([...(await this.topicProgress(viewer))].map(([id, p]) => [id, p.status]));
  }

  /** A page of the caller's outcomes (a profile page), in topic id order. */
  async myResults(viewer: Viewer, first: number | null, afterTopicId: string | null): Promise<OutcomePage> {
    const limit = pageSize(this.deps.limits, first, 'first');
    return this.deps.repo.listOutcomes(viewer.tenantId, viewer.userId, { limit, afterTopicId }, this.deps.clock.now());
  }

  private async sessionStatuses(viewer: Viewer, now: number): Promise<Map<string, TopicStatus>> {
    const statuses = new Map<string, TopicStatus>();
    let cursor: string | null = null;
    do {
      const page = await this.deps.repo.listUserSessions(
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

  private async allOutcomes(viewer: Viewer, now: number): Promise<Outcome[]> {
    const out: Outcome[] = [];
    let afterTopicId: string | null = null;
    do {
      const page = await this.deps.repo.listOutcomes(viewer.tenantId, viewer.userId, { limit: 1000, afterTopicId }, now);
      out.push(...page.outcomes);
      afterTopicId = page.hasNextPage ? page.outcomes[page.outcomes.length - 1].topicId : null;
    } while (afterTopicId);
    return out;
  }
}

/** The caller's progress in one topic: its status, and their latest outcome of it (kept past the session's TTL). */
export interface TopicProgress {
  status: TopicStatus;
  result: Outcome | null;
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

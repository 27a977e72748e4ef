import { messageId } from '../domain/ids';
import { Message as DomainMessage } from '../domain/session';
import { Topic as DomainTopic } from '../domain/topic';
import type { SessionCheck as SessionCheckResult } from '../sessions/queries';
import type { SessionView } from '../sessions/session-view';
import { messageCursor, outcomeCursor, transferCursor, userTransferCursor } from './cursors';
import { toConnection } from './relay';
import { CoachingSession, CoachingSessionConnection, Message, MessageConnection, MessageRole, SessionCheck, Topic } from './types';
import { Outcome, TransferEntry } from '../domain/user-data';
import { SessionTransfer, SessionTransferConnection, TopicResult, TopicResultConnection } from '../user-data/types';
import { sharedBy } from '../domain/visibility';

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

export function toGqlSession(v: SessionView): CoachingSession {
  return {
    id: v.id,
    topicId: v.topicId,
    userId: v.userId,
    status: v.status,
    createdAt: new Date(v.createdAt),
    updatedAt: new Date(v.updatedAt),
    lastActivityAt: new Date(v.lastActivityAt),
    endedAt: date(v.endedAt),
    expiresAt: new Date(v.expiresAt),
    isIdle: v.isIdle,
    idleSince: date(v.idleSince),
    messageCount: v.messageCount,
    turnCount: v.turnCount,
    maxTurns: v.maxTurns,
    result: v.result ?? null,
    resultError: v.resultError ?? null,
    summary: v.summary ?? null,
    title: v.title ?? null,
    usage: v.usage ?? null,
    transferredAt: date(v.transfer?.at ?? null),
    transferredBy: v.transfer?.by ?? null,
    transferredFrom: v.transfer?.from ?? null,
    allowTransferWithContent: sharedBy(v, v.userId),
    view: v,
  };
}

export function toGqlMessage(m: DomainMessage): Message {
  return {
    id: messageId(m.sessionId, m.seq, m.revision),
    role: m.role as MessageRole,
    content: m.content,
    createdAt: new Date(m.createdAt),
    inReplyTo: m.replyTo !== undefined ? messageId(m.sessionId, m.replyTo) : null,
    clientMessageId: m.clientMessageId ?? null,
    authorId: m.authorId ?? null,
    rating: m.rating ?? null,
    ratingComment: m.ratingComment ?? null,
    usage: m.usage ?? null,
    seq: m.seq,
  };
}

/** sessionCheck as GraphQL shows it (times as dates). */
export function toGqlSessionCheck(c: SessionCheckResult): SessionCheck {
  return {
    ...c,
    lastActivityAt: date(c.lastActivityAt),
    idleSince: date(c.idleSince),
    expiresAt: date(c.expiresAt),
    conflictIdleSince: date(c.conflictIdleSince),
  };
}

/** Catalogue topics are immutable (a change makes a new one): one GraphQL object each, shared by every node and request. */
const gqlTopics = new WeakMap<DomainTopic, Topic>();

export function toGqlTopic(t: DomainTopic): Topic {
  let topic = gqlTopics.get(t);
  if (!topic) {
    topic = {
      id: t.id,
      name: t.name,
      description: t.description,
      settings: { ...t.settings, remembersOutcomes: t.settings.remembersOutcomes !== false },
      archived: t.archived === true,
      openingMessage: t.openingMessage,
      source: t,
    };
    gqlTopics.set(t, topic);
  }
  return topic;
}

/** A Relay connection of sessions from a page a service returned (cursors made by the store). */
export function toSessionConnection(
  page: { sessions: SessionView[]; cursors: string[]; hasNextPage: boolean },
  after: string | null | undefined,
): CoachingSessionConnection {
  return toConnection(page.sessions, (s, i) => ({ cursor: page.cursors[i], node: toGqlSession(s) }), {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: after !== null && after !== undefined,
  });
}

/** A Relay connection of messages; a message's cursor is its place in the conversation. */
export function toMessageConnection(page: { messages: DomainMessage[]; hasNextPage: boolean; hasPreviousPage: boolean }): MessageConnection {
  return toConnection(page.messages, (m) => ({ cursor: messageCursor(m.seq), node: toGqlMessage(m) }), page);
}

export function toGqlTopicResult(o: Outcome): TopicResult {
  return { topicId: o.topicId, sessionId: o.sessionId, completedAt: new Date(o.completedAt), result: o.result, resultError: o.resultError };
}

/** myResults: a Relay connection of outcomes; an outcome's cursor is its topic. */
export function toTopicResultConnection(page: { outcomes: Outcome[]; hasNextPage: boolean }, after: string | null | undefined): TopicResultConnection {
  return toConnection(page.outcomes, (o) => ({ cursor: outcomeCursor(o.topicId), node: toGqlTopicResult(o) }), {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: after !== null && after !== undefined,
  });
}

/** sessionTransfers: a Relay connection of history entries; an entry's cursor is its place in the history. */
export function toSessionTransferConnection(page: { transfers: TransferEntry[]; hasNextPage: boolean }, after: string | null | undefined): SessionTransferConnection {
  return toConnection(page.transfers, (t) => ({ cursor: transferCursor(t.seq), node: toGqlTransfer(t) }), {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: after !== null && after !== undefined,
  });
}

/** myTransfers: newest first; an entry's cursor is its place in the caller's list (time, session, seq). */
export function toUserTransferConnection(page: { transfers: TransferEntry[]; hasNextPage: boolean }, after: string | null | undefined): SessionTransferConnection {
  return toConnection(page.transfers, (t) => ({ cursor: userTransferCursor(t), node: toGqlTransfer(t) }), {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: after !== null && after !== undefined,
  });
}

const toGqlTransfer = (t: TransferEntry): SessionTransfer => ({
  sessionId: t.sessionId,
  topicId: t.topicId ?? '',
  at: new Date(t.at),
  fromUserId: t.from,
  toUserId: t.to,
  byUserId: t.by,
  withContent: t.withContent,
});

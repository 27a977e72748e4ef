import { Field, ID, Int, registerEnumType } from 'type-graphql';
import { ObjectType } from './object-type';
import { GraphQLJSONObject } from 'graphql-scalars';
import { SESSION_STATUSES, SessionStatus as DomainSessionStatus } from '../domain/session';
import type { SessionView } from '../sessions/session-view';
import type { Topic as DomainTopic } from '../domain/topic';
import { TokenUsage } from '../usage/types';
import { ConnectionType, EdgeType } from './relay';

export const SessionStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, s])) as {
  [K in DomainSessionStatus]: K;
};
registerEnumType(SessionStatus, {
  name: 'SessionStatus',
  description: 'ACTIVE and PAUSED are live; COMPLETED, CANCELLED and ABANDONED are terminal and read-only',
});

export enum MessageRole {
  USER = 'USER',
  ASSISTANT = 'ASSISTANT',
}
registerEnumType(MessageRole, { name: 'MessageRole' });

export enum TopicStatus {
  NOT_STARTED = 'NOT_STARTED',
  IN_PROGRESS = 'IN_PROGRESS',
  PAUSED = 'PAUSED',
  COMPLETED = 'COMPLETED',
}
registerEnumType(TopicStatus, { name: 'TopicStatus', description: "The caller's progress in a topic" });

@ObjectType()
export class TopicSessionSettings {
  @Field(() => Int, { description: 'After this long without activity a live session reports isIdle (it stays resumable)' })
  inactivityTimeoutMinutes!: number;
  @Field(() => Int, { description: 'A live session expires this long after its last activity' })
  activeTtlSeconds!: number;
  @Field(() => Int, { description: 'An ended session expires this long after it ended' })
  terminalTtlSeconds!: number;
  @Field(() => Int, { nullable: true, description: 'At most this many user messages (turns) per session; null: unlimited' })
  maxTurns?: number | null;
  @Field(() => Boolean, { nullable: true, description: "The coach is told the user's own outcomes of the tenant's other topics (default true)" })
  remembersOutcomes?: boolean | null;
}

@ObjectType({ description: 'A coaching topic (core values, purpose, ...)' })
export class Topic {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => TopicSessionSettings) settings!: TopicSessionSettings;
  @Field({ description: 'Archived by a tenant admin: no new sessions; live ones continue' })
  archived!: boolean;
  @Field({ description: "The coach's first message of every new session" })
  openingMessage!: string;
  /** The domain topic, for the admin-only fields. */
  source!: DomainTopic;
}

@ObjectType()
export class Message {
  @Field(() => ID) id!: string;
  @Field(() => MessageRole) role!: MessageRole;
  @Field() content!: string;
  @Field() createdAt!: Date;
  // Threading (docs/contract.md "Additions (second round)").
  @Field(() => ID, { nullable: true, description: 'A coach reply: the id of the user message it answers (it directly follows it). Null for the opening, a welcome back and user messages' })
  inReplyTo!: string | null;
  @Field(() => ID, { nullable: true, description: 'The clientMessageId a user message was sent with; on a reply, the one of the message it answers' })
  clientMessageId!: string | null;
  @Field(() => ID, { nullable: true, description: 'A user message: the user who wrote it. Null for the coach' })
  authorId!: string | null;
  // Feedback (docs/contract.md "Additions (third round)"): messages are their owner's only, and so are these.
  @Field(() => Int, { nullable: true, description: "A coach message: its owner's rating, 1-5 (rateReply)" })
  rating!: number | null;
  @Field(() => String, { nullable: true, description: "A coach message: the comment of its owner's rating" })
  ratingComment!: string | null;
  // Usage (docs/contract.md "Additions (third round)"): the owner's only, like the message.
  @Field(() => TokenUsage, { nullable: true, description: 'A coach message: the tokens its model calls consumed; null for user messages and where none was recorded' })
  usage!: TokenUsage | null;
  /** Position in the conversation; used for cursors, not exposed. */
  seq!: number;
}

@ObjectType()
export class MessageEdge extends EdgeType(Message) {}

@ObjectType()
export class MessageConnection extends ConnectionType(MessageEdge) {}

@ObjectType({ description: "A coaching session of the caller's" })
export class CoachingSession {
  @Field(() => ID) id!: string;
  @Field(() => ID) topicId!: string;
  @Field(() => ID) userId!: string;
  @Field(() => SessionStatus) status!: DomainSessionStatus;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field() lastActivityAt!: Date;
  @Field(() => Date, { nullable: true }) endedAt!: Date | null;
  @Field({ description: 'When the session and its messages are deleted unless there is activity first' })
  expiresAt!: Date;
  @Field({ description: "Past the topic's inactivity timeout; information only, the session stays resumable" })
  isIdle!: boolean;
  @Field(() => Date, { nullable: true, description: 'Last activity, when the session is idle' })
  idleSince!: Date | null;
  @Field(() => Int, { description: 'Messages stored, also those a transfer without consent hides from the current owner (messages lists only what they may read)' })
  messageCount!: number;
  // Coach features (docs/coach.md).
  @Field(() => Int, { description: 'User messages so far (a turn is one user message)' }) turnCount!: number;
  @Field(() => Int, { nullable: true, description: "The topic's limit on turns; null: unlimited" }) maxTurns!: number | null;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: "What completeSession extracted, valid against the topic's result schema; null for anyone but the session's owner (it quotes them)",
  })
  result!: Record<string, unknown> | null;
  @Field(() => String, {
    nullable: true,
    description: "Why a completed session has no result (extraction failed, timed out or did not validate); null for anyone but the session's owner",
  })
  resultError!: string | null;
  // Memory (docs/coach.md#memory): the owner's only, like content.
  @Field(() => String, {
    nullable: true,
    description: "What the coach remembers of the turns older than its window (a rolling summary); null until there is one, and for anyone but the session's owner",
  })
  summary!: string | null;
  @Field(() => String, { nullable: true, description: "A short title (at most 80 characters) after the first exchange; null before, and for anyone but the session's owner" })
  title!: string | null;
  @Field(() => TokenUsage, { nullable: true, description: "Tokens of every model call stored for the session (replies, memory, welcome backs, result); null for anyone but the session's owner" })
  usage!: TokenUsage | null;
  // Transfer audit (admin transferSession; docs/administration.md): null until transferred.
  @Field(() => Date, { nullable: true, description: 'When a tenant admin last transferred the session to its current owner' })
  transferredAt!: Date | null;
  @Field(() => ID, { nullable: true, description: 'The admin who last transferred the session' })
  transferredBy!: string | null;
  @Field(() => ID, { nullable: true, description: 'The previous owner, before the last transfer' })
  transferredFrom!: string | null;
  @Field({
    description:
      'The current owner lets what they wrote here (and the coach\'s messages to them) move with a transfer (setAllowTransferWithContent); default false: a transfer hands over the session without it',
  })
  allowTransferWithContent!: boolean;
  /** The service's view, for field resolvers. */
  view!: SessionView;
}

@ObjectType()
export class CoachingSessionEdge extends EdgeType(CoachingSession) {}

@ObjectType()
export class CoachingSessionConnection extends ConnectionType(CoachingSessionEdge) {}

@ObjectType({ description: 'What a frontend needs before offering "Resume", "Start" or "taken": one cheap read' })
export class SessionCheck {
  @Field({ description: 'The caller holds a live session for this topic' }) hasSession!: boolean;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => SessionStatus, { nullable: true }) status!: DomainSessionStatus | null;
  @Field({ description: "The caller's session is past the topic's inactivity timeout" }) isIdle!: boolean;
  @Field({ description: "Another user of the caller's tenant holds the topic" }) conflict!: boolean;
  @Field(() => ID, { nullable: true }) conflictUserId!: string | null;
  @Field(() => Int, { description: "User messages in the caller's session so far (0 without one)" }) turnCount!: number;
  @Field(() => Int, { nullable: true, description: "The topic's limit on turns; null: unlimited" }) maxTurns!: number | null;
  // The "idle for N days" card, from the same read (docs/contract.md "Additions (second round)").
  @Field(() => Date, { nullable: true, description: "The caller's session: its last activity" }) lastActivityAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "The caller's session: its last activity, when it is past the topic's inactivity timeout" })
  idleSince!: Date | null;
  @Field(() => Date, { nullable: true, description: "The caller's session: when it expires unless there is activity first" }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "On a conflict: the holder's last activity, when their session is past the topic's inactivity timeout" })
  conflictIdleSince!: Date | null;
}

@ObjectType()
export class SendMessagePayload {
  @Field(() => CoachingSession) session!: CoachingSession;
  @Field(() => Message, { description: "The caller's message as stored" }) message!: Message;
  @Field(() => Message, { description: "The coach's reply" }) reply!: Message;
}

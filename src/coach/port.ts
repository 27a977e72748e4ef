import { Message, Session } from '../domain/session';
import { Topic } from '../domain/topic';

import type { TokenUsage } from '../domain/usage';

export type { TokenUsage } from '../domain/usage';

/** Where an adapter reports each model call's usage (a call may report more than once; the amounts add up). */
export type UsageSink = (usage: TokenUsage) => void;

export interface CoachTurn {
  topic: Topic;
  session: Session;
  /** The message the user just sent (already stored). */
  userMessage: Message;
  /** Loaded only if the adapter asks (the embedded coach does not). */
  recentMessages(limit: number): Promise<Message[]>;
  /** Fires when the service stops waiting (COACH_TIMEOUT_MS): adapters should abort their request. */
  signal?: AbortSignal;
  onUsage?: UsageSink;
  /**
   * The user's outcomes of the tenant's other topics, newest first and bounded (memory.ts);
   * absent when the topic does not remember outcomes. Loaded only if the adapter asks.
   */
  otherOutcomes?(): Promise<PriorOutcome[]>;
}

/** One of the user's results of another topic, as the coach is told it. */
export interface PriorOutcome {
  topicId: string;
  topicName: string;
  completedAt: number;
  result: Record<string, unknown>;
}

/** Fold `messages` (the oldest not yet summarised, oldest first) into `summary`: only these are sent, never the whole history. */
export interface SummaryRequest {
  topic: Topic;
  session: Session;
  /** The summary so far (null: none yet). */
  summary: string | null;
  messages: Message[];
  /** The longest summary kept (longer is cut): the adapter asks for less. */
  maxChars: number;
  signal?: AbortSignal;
  onUsage?: UsageSink;
}

/** A short title for the session from its owner's first exchange. */
export interface TitleRequest {
  topic: Topic;
  session: Session;
  userMessage: Message;
  reply: Message;
  signal?: AbortSignal;
  onUsage?: UsageSink;
}

/** A live session resumed after being idle: the coach writes a short "welcome back". */
export interface WelcomeBackTurn {
  topic: Topic;
  session: Session;
  idleMs: number;
  /** The most recent messages, oldest first, loaded only if the adapter asks. */
  recentMessages(limit: number): Promise<Message[]>;
  signal?: AbortSignal;
  onUsage?: UsageSink;
}

/** completeSession: the session's result, as JSON for the topic's resultSchema (the service validates it). */
export interface ResultRequest {
  topic: Topic;
  session: Session;
  /** The conversation, oldest first (bounded: at most the last 200 messages). */
  messages: Message[];
  signal?: AbortSignal;
  onUsage?: UsageSink;
}

/** The coach port (docs/coach.md). A throw, or no answer within COACH_TIMEOUT_MS, is COACH_UNAVAILABLE. */
export interface Coach {
  readonly name: string;
  /** `tenantId`: the tenant the session is for (its model calls are bounded per tenant). */
  opening(topic: Topic, signal?: AbortSignal, tenantId?: string, onUsage?: UsageSink): Promise<string>;
  reply(turn: CoachTurn): Promise<string>;
  /** Optional: without it, reply() is served as one piece (stream.ts). `turn.signal` fires when the service stops reading. */
  replyStream?(turn: CoachTurn): AsyncIterable<string>;
  /** A failure never fails the resume: the session resumes without it. */
  welcomeBack(turn: WelcomeBackTurn): Promise<string>;
  /** Parsed, not validated; a failure completes the session with `resultError`. */
  extractResult(request: ResultRequest): Promise<unknown>;
  /** The updated rolling summary; a failure leaves the summary as it was (tried again after a later reply). */
  summarize(request: SummaryRequest): Promise<string>;
  /** A title (the service keeps its first line, at most 80 characters); a failure leaves the session untitled for now. */
  title(request: TitleRequest): Promise<string>;
}

import { Message, Session } from '../domain/session';
import { Topic } from '../domain/topic';

export interface CoachTurn {
  topic: Topic;
  session: Session;
  /** The message the user just sent (already stored). */
  userMessage: Message;
  /**
   * The most recent messages, oldest first, loaded only if the adapter asks: the
   * embedded coach does not need them, model adapters do (within their own budget).
   */
  recentMessages(limit: number): Promise<Message[]>;
  /** Fires when the service stops waiting (COACH_TIMEOUT_MS): adapters should abort their request. */
  signal?: AbortSignal;
}

/** A live session resumed after being idle: the coach writes a short "welcome back". */
export interface WelcomeBackTurn {
  topic: Topic;
  session: Session;
  /** How long the session had been inactive, in ms. */
  idleMs: number;
  /** The most recent messages, oldest first, loaded only if the adapter asks. */
  recentMessages(limit: number): Promise<Message[]>;
  signal?: AbortSignal;
}

/** completeSession: the session's result, as JSON for the topic's resultSchema (the service validates it). */
export interface ResultRequest {
  topic: Topic;
  session: Session;
  /** The conversation, oldest first (bounded: at most the last 200 messages). */
  messages: Message[];
  signal?: AbortSignal;
}

/**
 * The coach port. Adapters: the embedded deterministic coach (default, offline);
 * model adapters (OpenAI-compatible, Bedrock Converse) implement the same four calls.
 * Any thrown error, or no answer within COACH_TIMEOUT_MS, becomes COACH_UNAVAILABLE,
 * with the user's message kept.
 */
export interface Coach {
  readonly name: string;
  /** `tenantId`: the tenant the session is for (its model calls are bounded per tenant). */
  opening(topic: Topic, signal?: AbortSignal, tenantId?: string): Promise<string>;
  reply(turn: CoachTurn): Promise<string>;
  /**
   * The same reply as it is written: pieces of text whose concatenation is the reply
   * (sendMessageStream). Optional: an adapter without a native stream is served by reply(),
   * as one piece (replyPieces in stream.ts). The whole stream is bounded by COACH_TIMEOUT_MS;
   * `turn.signal` fires when the service stops reading.
   */
  replyStream?(turn: CoachTurn): AsyncIterable<string>;
  /**
   * A brief "welcome back" recalling where the conversation stood. A failure (or no answer
   * within COACH_TIMEOUT_MS) never fails the resume: the session resumes without it.
   */
  welcomeBack(turn: WelcomeBackTurn): Promise<string>;
  /**
   * The session's result as a JSON value (parsed, not yet validated). A failure never fails
   * completeSession: the session completes with `resultError`.
   */
  extractResult(request: ResultRequest): Promise<unknown>;
}

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

/**
 * The coach port. Adapters: the embedded deterministic coach (default, offline);
 * model adapters (OpenAI-compatible, Bedrock Converse) implement the same two calls.
 * Any thrown error, or no answer within COACH_TIMEOUT_MS, becomes COACH_UNAVAILABLE,
 * with the user's message kept.
 */
export interface Coach {
  readonly name: string;
  opening(topic: Topic, signal?: AbortSignal): Promise<string>;
  reply(turn: CoachTurn): Promise<string>;
}

import { coachUnavailable, DomainError } from '../domain/errors';
import { validateResult } from '../domain/result-schema';
import { lastSeqOf, Message, Session } from '../domain/session';
import { Topic } from '../domain/topic';
import { Coach, PriorOutcome, TokenUsage, UsageSink } from './port';
import { replyPieces, trimmedPieces } from './stream';
import { CoachTimeoutError, withCoachTimeout } from './timeout';
import { listVisibleMessages } from '../sessions/visible-messages';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import type { SessionRepository } from '../sessions/repository';
import type { TopicSource } from '../topics/catalog';

/** The conversation completeSession hands the coach for extraction: at most this many newest messages. */
export const RESULT_MESSAGES = 200;
/** A result larger than this (as JSON) is not stored: `resultError` says so. */
const MAX_RESULT_CHARS = 100_000;
/** The longest a welcome back may take (bounded further by the coach timeout); a resume waits only WELCOME_BACK_WAIT_MS of it (welcome-back.ts). */
const WELCOME_BACK_TIMEOUT_MS = 10_000;

/** A coach's text and what its model call consumed (reported through onUsage; none reported: zero). */
export interface CoachText {
  text: string;
  usage: TokenUsage;
}

/** completeSession's extraction: a result or why there is none. */
export interface Extraction {
  /** What the extraction's model call consumed (counted also when it gave no result). */
  usage: TokenUsage;
  /** The conversation length it was extracted from. */
  messageCount: number;
  result: Record<string, unknown> | null;
  resultError: string | null;
}

/** The user's outcomes of other topics told to the coach: at most this many characters of results (newest first). */
export const OUTCOMES_MAX_CHARS = 4000;
/** The longest rolling summary kept (the adapters ask for less). */
export const SUMMARY_MAX_CHARS = 2000;

export interface GatewayDeps {
  repo: Pick<SessionRepository, 'listMessages' | 'listOutcomes'>;
  topics: TopicSource;
  clock: Clock;
  log: Logger;
  limits: Pick<SessionLimits, 'coachTimeoutMs' | 'maxMessageChars'>;
}

/** Every coach call, under the coach timeout; only a failed reply fails its operation (COACH_UNAVAILABLE). */
export class CoachGateway {
  constructor(
    private readonly coach: Coach,
    private readonly deps: GatewayDeps,
  ) {}

  /**
   * The coach sees the conversation up to its message, never after, so a retried or slow reply
   * answers its own message. With `onPiece` the reply streams; the timeout bounds the stream.
   */
  async askCoach(topic: Topic, session: Session, userMessage: Message, onPiece?: (text: string) => void): Promise<CoachText> {
    const usage = zero();
    try {
      const text = await withCoachTimeout(this.deps.limits.coachTimeoutMs, (signal) => {
        const turn = {
          topic,
          session,
          userMessage,
          recentMessages: (limit: number) => this.recent(session, limit, userMessage.seq),
          signal,
          onUsage: usageInto(usage),
          ...(topic.settings.remembersOutcomes !== false ? { otherOutcomes: () => this.otherOutcomes(session) } : {}),
        };
        return onPiece ? streamed(replyPieces(this.coach, turn), signal, onPiece) : this.coach.reply(turn);
      });
      if (typeof text !== 'string') throw new Error('the coach returned no text');
      if (!text.trim()) throw new Error('empty reply');
      return { text, usage };
    } catch (e) {
      if (e instanceof DomainError && e.code !== 'COACH_UNAVAILABLE') throw e;
      this.deps.log.warn('coach failed', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      throw coachUnavailable();
    }
  }

  /** A new session's first message: the coach's, or the topic's own when the coach fails. */
  async openingMessage(topic: Topic, tenantId: string): Promise<CoachText> {
    const usage = zero();
    try {
      const text = await withCoachTimeout(this.deps.limits.coachTimeoutMs, (signal) => this.coach.opening(topic, signal, tenantId, usageInto(usage)));
      return { text: typeof text === 'string' && text.trim() ? text : topic.openingMessage, usage };
    } catch (e) {
      // A new session must not fail because a model is down: the topic's own opening serves.
      this.deps.log.warn('coach opening failed, using the topic opening', { coach: this.coach.name, error: String(e) });
      return { text: topic.openingMessage, usage };
    }
  }

  /** The coach's welcome back, or null when it failed or took too long (logged; the session goes on without it). */
  async welcomeBack(topic: Topic, session: Session, idleMs: number): Promise<CoachText | null> {
    const usage = zero();
    try {
      const text = await withCoachTimeout(Math.min(this.deps.limits.coachTimeoutMs, WELCOME_BACK_TIMEOUT_MS), (signal) =>
        // The conversation as the resume found it, even when the coach reads it later than that.
        this.coach.welcomeBack({ topic, session, idleMs, recentMessages: (limit) => this.recent(session, limit, lastSeqOf(session)), signal, onUsage: usageInto(usage) }),
      );
      if (typeof text !== 'string' || !text.trim()) throw new Error('the coach returned no text');
      return { text: text.trim().slice(0, this.deps.limits.maxMessageChars), usage };
    } catch (e) {
      this.deps.log.warn('coach welcome back failed; the session goes on without it', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      return null;
    }
  }

  /** The session's result for completeSession; never throws for a coach problem (store errors propagate). */
  async extractResult(topic: Topic, session: Session): Promise<Extraction> {
    const usage = zero();
    const base = { messageCount: session.messageCount, result: null, resultError: null, usage };
    const schema = topic.resultSchema;
    if (!schema) return base;
    const messages = await this.recent(session, RESULT_MESSAGES);
    let value: unknown;
    try {
      value = await withCoachTimeout(this.deps.limits.coachTimeoutMs, (signal) => this.coach.extractResult({ topic, session, messages, signal, onUsage: usageInto(usage) }));
    } catch (e) {
      this.deps.log.warn('coach result extraction failed; completing without a result', { coach: this.coach.name, sessionId: session.id, error: String(e) });
      const why = e instanceof CoachTimeoutError ? `did not answer within ${e.ms} ms` : 'was unavailable';
      return { ...base, resultError: `The coach ${why}, so no result was extracted; the conversation is kept` };
    }
    const problems = validateResult(schema, value);
    if (problems.length) {
      this.deps.log.warn('extracted result does not match the topic schema', { sessionId: session.id, problems });
      return { ...base, resultError: clip(`The extracted result does not match the topic's result schema: ${problems.join('; ')}`, 1000) };
    }
    if (JSON.stringify(value).length > MAX_RESULT_CHARS) {
      return { ...base, resultError: `The extracted result is larger than ${MAX_RESULT_CHARS} characters and was not stored` };
    }
    return { ...base, result: value as Record<string, unknown> };
  }

  /** Folds `messages` into `summary` (memory.ts); throws on a coach failure or timeout. */
  summarize(topic: Topic, session: Session, summary: string | null, messages: Message[], onUsage: UsageSink): Promise<string> {
    return withCoachTimeout(this.deps.limits.coachTimeoutMs, (signal) =>
      this.coach.summarize({ topic, session, summary, messages, maxChars: SUMMARY_MAX_CHARS, signal, onUsage }),
    ).then(text);
  }

  title(topic: Topic, session: Session, userMessage: Message, reply: Message, onUsage: UsageSink): Promise<string> {
    return withCoachTimeout(this.deps.limits.coachTimeoutMs, (signal) => this.coach.title({ topic, session, userMessage, reply, signal, onUsage })).then(text);
  }

  /**
   * The owner's results of the tenant's other topics, newest first, within OUTCOMES_MAX_CHARS:
   * one Query of their outcome items. Read at each turn, so an erasure shows at once.
   */
  private async otherOutcomes(session: Session): Promise<PriorOutcome[]> {
    const now = this.deps.clock.now();
    const [{ outcomes }, catalog] = await Promise.all([
      this.deps.repo.listOutcomes(session.tenantId, session.userId, { limit: OUTCOMES_READ, afterTopicId: null }, now),
      this.deps.topics.catalogFor(session.tenantId),
    ]);
    const out: PriorOutcome[] = [];
    let chars = 0;
    for (const o of outcomes.filter((x) => x.topicId !== session.topicId && x.result).sort((a, b) => b.completedAt - a.completedAt)) {
      const size = JSON.stringify(o.result).length;
      if (chars + size > OUTCOMES_MAX_CHARS) continue;
      chars += size;
      out.push({ topicId: o.topicId, topicName: catalog.get(o.topicId)?.name ?? o.topicId, completedAt: o.completedAt, result: o.result! });
    }
    return out;
  }

  /** Only what the owner may read (visibility.ts), so the coach never repeats what a transfer hid. */
  private recent(session: Session, limit: number, upTo: number | null = null): Promise<Message[]> {
    const from = upTo === null ? null : upTo + 1;
    return listVisibleMessages(this.deps.repo, session, { direction: 'backward', from, limit }, this.deps.clock.now());
  }
}

/** Outcome items read for a turn: more than a tenant's topics (MAX_TOPICS_PER_TENANT's default 20 plus the catalogue). */
const OUTCOMES_READ = 100;

const text = (value: unknown): string => {
  if (typeof value !== 'string' || !value.trim()) throw new Error('the coach returned no text');
  return value.trim();
};

/** A sink that adds every report into `total`. */
export function usageInto(total: TokenUsage): UsageSink {
  return (u) => {
    total.inputTokens += u.inputTokens;
    total.outputTokens += u.outputTokens;
  };
}

const zero = (): TokenUsage => ({ inputTokens: 0, outputTokens: 0 });

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** A streamed reply, read to its end: each piece passed on, none after the deadline; the whole text. */
async function streamed(pieces: AsyncIterable<string>, signal: AbortSignal, onPiece: (text: string) => void): Promise<string> {
  let text = '';
  for await (const piece of trimmedPieces(pieces)) {
    if (signal.aborted) throw signal.reason;
    text += piece;
    onPiece(piece);
  }
  if (signal.aborted) throw signal.reason;
  return text;
}

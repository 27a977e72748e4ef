import { capabilities } from '../support/capabilities';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { Topic } from '../../src/domain/topic';
import { Viewer } from '../../src/domain/viewer';
import type { SessionLimits } from '../../src/defaults';
import type { ResumedEvent } from '../../src/lifecycle/lifecycle';
import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { FakeClock } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';

/** A topic with short, test-friendly settings: idle after 5 minutes, gone after an hour live / 10 minutes ended. */
export const FOCUS: Topic = {
  id: 'focus',
  name: 'Focus',
  description: 'A test topic with short timeouts',
  instructions: 'Help the user focus.',
  openingMessage: 'Welcome to focus. What is pulling your attention today?',
  settings: { inactivityTimeoutMinutes: 5, activeTtlSeconds: 3600, terminalTtlSeconds: 600 },
};

/** Idle after 5 minutes, but with the default (long) TTLs, so that it can stay idle for days. */
export const LINGER: Topic = {
  id: 'linger',
  name: 'Linger',
  description: null,
  instructions: 'Take your time.',
  openingMessage: 'Linger opening.',
  settings: { inactivityTimeoutMinutes: 5, activeTtlSeconds: 30 * 24 * 3600, terminalTtlSeconds: 14 * 24 * 3600 },
};

/** Idle as soon as any time passes; expires a second after the last write. */
export const FLASH: Topic = {
  id: 'flash',
  name: 'Flash',
  description: null,
  instructions: 'Be brief.',
  openingMessage: 'Flash opening.',
  settings: { inactivityTimeoutMinutes: 0, activeTtlSeconds: 1, terminalTtlSeconds: 1 },
};

export const alice: Viewer = { tenantId: 't1', userId: 'alice', roles: [] };
export const bob: Viewer = { tenantId: 't1', userId: 'bob', roles: [] };
/** Same user id as alice, but another tenant: must be a stranger to alice's data. */
export const aliceElsewhere: Viewer = { tenantId: 't2', userId: 'alice', roles: [] };

/** A well-formed session id that no test ever creates. */
export const UNKNOWN_SESSION_ID = 'ses_0000000000ZZZZZZZZZZZZZZZZ';

/** The embedded coach, with failures and custom openings on demand, and a count of calls. */
export class FakeCoach implements Coach {
  readonly name = 'fake';
  private readonly inner = new EmbeddedCoach();
  replyCalls = 0;
  openingCalls = 0;
  /** Errors (or blank replies, as '') the next reply() calls produce, in order. */
  private readonly replyOutcomes: (Error | string)[] = [];
  openingText: string | null = null;
  openingError: Error | null = null;
  lastTurn: CoachTurn | null = null;
  /** When set, reply() reads this many recent messages and keeps them in `recentSeen`. */
  peekRecent: number | null = null;
  recentSeen: number[] | null = null;

  failNextReply(error: Error | string = new Error('model is down')): this {
    this.replyOutcomes.push(error);
    return this;
  }

  async opening(topic: Topic): Promise<string> {
    this.openingCalls++;
    if (this.openingError) throw this.openingError;
    return this.openingText ?? this.inner.opening(topic);
  }

  async reply(turn: CoachTurn): Promise<string> {
    this.replyCalls++;
    this.lastTurn = turn;
    if (this.peekRecent !== null) this.recentSeen = (await turn.recentMessages(this.peekRecent)).map((m) => m.seq);
    const outcome = this.replyOutcomes.shift();
    if (outcome instanceof Error) throw outcome;
    if (typeof outcome === 'string') return outcome;
    return this.inner.reply(turn);
  }

  welcomeBackCalls = 0;
  lastWelcomeBack: WelcomeBackTurn | null = null;
  /** Errors, hangs ('hang'), texts, or answers the test releases later (a promise), the next welcomeBack() calls produce, in order. */
  readonly welcomeOutcomes: (Error | string | 'hang' | Promise<string>)[] = [];

  async welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    this.welcomeBackCalls++;
    this.lastWelcomeBack = turn;
    const outcome = this.welcomeOutcomes.shift();
    if (outcome === 'hang') return new Promise<string>(() => undefined);
    if (outcome instanceof Error) throw outcome;
    if (typeof outcome === 'string' || outcome instanceof Promise) return outcome;
    return this.inner.welcomeBack(turn);
  }

  extractCalls = 0;
  lastExtract: ResultRequest | null = null;
  /** Errors, hangs ('hang') or values (as { value }) the next extractResult() calls produce, in order. */
  readonly extractOutcomes: (Error | 'hang' | { value: unknown })[] = [];

  async extractResult(request: ResultRequest): Promise<unknown> {
    this.extractCalls++;
    this.lastExtract = request;
    const outcome = this.extractOutcomes.shift();
    if (outcome === 'hang') return new Promise<unknown>(() => undefined);
    if (outcome instanceof Error) throw outcome;
    if (outcome) return outcome.value;
    return this.inner.extractResult(request);
  }

  /** Every summary request (what the coach was given to fold) and title request. */
  readonly summaryRequests: SummaryRequest[] = [];
  readonly titleRequests: TitleRequest[] = [];
  /** Errors the next summarize() calls throw, in order. */
  readonly summaryOutcomes: Error[] = [];

  async summarize(request: SummaryRequest): Promise<string> {
    this.summaryRequests.push(request);
    const outcome = this.summaryOutcomes.shift();
    if (outcome) throw outcome;
    return this.inner.summarize(request);
  }

  async title(request: TitleRequest): Promise<string> {
    this.titleRequests.push(request);
    return this.inner.title(request);
  }
}

export function setup(topics: Topic[] = [...BUILTIN_TOPICS, FOCUS, FLASH, LINGER]) {
  const repo = new MemorySessionRepository();
  const clock = new FakeClock();
  const coach = new FakeCoach();
  const catalog = new TopicCatalog(topics);
  const svc = capabilities(repo, catalog, { coach: coach, clock: clock });
  return { repo, clock, coach, catalog, svc };
}

/** setup() with other limits, recording the resumed events the service emits. */
export function setupRecordingResumes(topics: Topic[], limits: Partial<SessionLimits> = {}) {
  const repo = new MemorySessionRepository();
  const clock = new FakeClock();
  const coach = new FakeCoach();
  const events: ResumedEvent[] = [];
  const svc = capabilities(repo, new TopicCatalog(topics), { coach: coach, clock: clock, limits: { ...limits }, events: { resumed: (e) => events.push(e) } });
  return { repo, clock, coach, svc, events };
}

/** Awaits a rejection and checks that it is a DomainError with this code (and, optionally, these details). */
export async function expectDomainError(
  promise: Promise<unknown>,
  code: ErrorCode,
  details?: Record<string, unknown>,
): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  const error = caught as DomainError;
  expect(error.code).toBe(code);
  if (details) expect(error.details).toMatchObject(details);
  return error;
}

/** expiresAt for a write at `now` with `seconds` of ttl: whole seconds, as DynamoDB's `ttl`. */
export const expiry = (now: number, seconds: number) => (Math.floor(now / 1000) + seconds) * 1000;

/** A promise the test settles when it chooses (a slow coach's answer). */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

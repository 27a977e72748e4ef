import { badInput, sessionBusy, sessionConflict } from '../domain/errors';
import { newSessionId } from '../domain/ids';
import { assertTransition, ended, expiryFor, idleSince, isLive, lastSeqOf, Message, Session, TerminalStatus, touched } from '../domain/session';
import { Topic } from '../domain/topic';
import { outcomeOf } from '../domain/user-data';
import { Viewer } from '../domain/viewer';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import type { BackgroundWork } from '../sessions/background';
import { CoachGateway, CoachText, Extraction } from '../coach/gateway';
import type { Budgets } from '../usage/budgets';
import { addUsage, NO_USAGE, usageField } from '../domain/usage';
import { knownTopic } from '../sessions/input-checks';
import { SessionRepository, StaleSessionError, TopicHeldError } from '../sessions/repository';
import { backoff, busyRetryAfterMs, MAX_ATTEMPTS, retryOnStale } from '../sessions/concurrency';
import { ownSession, SessionView, sessionView, topicOf, withMessage } from '../sessions/session-view';
import { LATE, WelcomeBacks } from './welcome-back';

/** A live session resumed (startSession or resumeSession) after being idle. */
export interface ResumedEvent {
  tenantId: string;
  sessionId: string;
  topicId: string;
  idleMs: number;
  via: 'start' | 'resume';
}

/** What one resume call carries across its retries. */
interface ResumeState {
  /** The session's last activity when this call first read it: later activity means someone else resumed it. */
  seenActivity: number | null;
  /** The welcome back, once asked for (resolves to null when the coach failed; undefined: not asked yet). */
  welcome: Promise<CoachText | null> | undefined;
}

export interface LifecycleDeps {
  repo: SessionRepository;
  /** The token caps, checked before a new session (absent: none). */
  budgets?: Budgets;
  topics: TopicSource;
  coach: CoachGateway;
  clock: Clock;
  log: Logger;
  background: BackgroundWork;
  limits: Pick<SessionLimits, 'welcomeBackWaitMs' | 'outcomeRetentionSeconds'>;
  /** Observers (metrics); a throwing observer is logged and never fails the operation. */
  events?: { resumed?(e: ResumedEvent): void };
}

/** A session's status changes; each is a versioned write of what was read (retry.ts). */
export class Lifecycle {
  private readonly welcomes: WelcomeBacks;

  constructor(private readonly deps: LifecycleDeps) {
    this.welcomes = new WelcomeBacks(deps);
  }

  /** Resume the caller's live session or create one; the store's conditional hold decides who wins. */
  async start(viewer: Viewer, topicId: string, restart: boolean): Promise<SessionView> {
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const topic = knownTopic(catalog, topicId);
    // Archived: no new sessions, but the caller's live one (if any) is still resumed below.
    let opening: CoachText | null = null;
    let abandoning: string | null = null;
    const resuming: ResumeState = { seenActivity: null, welcome: undefined };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.deps.clock.now();
      const hold = await this.deps.repo.findHolder(viewer.tenantId, topic.id, now);
      if (hold && hold.userId !== viewer.userId) throw sessionConflict(hold.userId);
      if (restart && hold) {
        // If a simultaneous restart of theirs already replaced it, the fresh session is returned, not abandoned.
        abandoning ??= hold.sessionId;
        if (hold.sessionId !== abandoning) restart = false;
      }
      try {
        // The hold says who holds the topic; the session itself is the caller's to resume or end.
        const holder = hold ? await this.deps.repo.getSession(viewer.tenantId, hold.sessionId, now) : null;
        if (hold && (!holder || !isLive(holder.status) || holder.userId !== viewer.userId)) throw new StaleSessionError(hold.sessionId);
        if (holder && !restart) return await this.resumeOnce(catalog, holder, topic, now, 'start', resuming);
        if (topic.archived) throw badInput(`Topic "${topic.id}" is archived: it takes no new sessions`, { argumentName: 'topicId' });
        // A new session (its opening may be a model call): over a cap, nothing is stored. A resume is never refused.
        if (opening === null) await this.deps.budgets?.assertWithin(viewer);
        opening ??= await this.deps.coach.openingMessage(topic, viewer.tenantId);
        const { session, first } = newSession(viewer, topic, opening, now);
        if (holder) {
          await this.deps.repo.replaceSession(holder, ended(holder, 'ABANDONED', now, topic.settings), session, first, now);
        } else {
          await this.deps.repo.createSession(session, first, now);
        }
        return sessionView(session, now, catalog);
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
    // Lost every race (other tabs or processes kept moving the topic on): contention, nothing stored.
    throw sessionBusy(busyRetryAfterMs());
  }

  pause(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.transition(viewer, sessionId, (s, now, settings) => {
      assertTransition(s, 'PAUSED');
      return touched(s, 'PAUSED', now, settings);
    });
  }

  /** PAUSED becomes ACTIVE; after idle, with the coach's welcome back (see resumeOnce). */
  async resume(viewer: Viewer, sessionId: string): Promise<SessionView> {
    const resuming: ResumeState = { seenActivity: null, welcome: undefined };
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    return retryOnStale(async () => {
      const now = this.deps.clock.now();
      const session = await ownSession(this.deps.repo, viewer, sessionId, now);
      assertTransition(session, 'ACTIVE');
      return this.resumeOnce(catalog, session, topicOf(catalog, session), now, 'resume', resuming);
    });
  }

  /**
   * Completes with `result` or, when extraction fails or does not validate, `resultError`:
   * the session completes either way (docs/coach.md, Results). A lost race asks the coach
   * again only if the conversation changed meanwhile.
   */
  async complete(viewer: Viewer, sessionId: string): Promise<SessionView> {
    let extraction: (Extraction & { redactions: number; revisions: number }) | null = null;
    // Every extraction's model call counts, also one whose result a lost race threw away.
    let spent = NO_USAGE;
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    return retryOnStale(async () => {
      const now = this.deps.clock.now();
      const session = await ownSession(this.deps.repo, viewer, sessionId, now);
      assertTransition(session, 'COMPLETED');
      const topic = topicOf(catalog, session);
      // A regenerated reply (revisions) changes the conversation without changing its length.
      const changes = { redactions: session.redactions ?? 0, revisions: session.revisions ?? 0 };
      if (!extraction || extraction.messageCount !== session.messageCount || extraction.redactions !== changes.redactions || extraction.revisions !== changes.revisions) {
        extraction = { ...(await this.deps.coach.extractResult(topic, session)), ...changes };
        spent = addUsage(spent, extraction.usage);
      }
      const next: Session = {
        ...ended(session, 'COMPLETED', this.deps.clock.now(), topic.settings),
        ...(extraction.result ? { result: extraction.result } : {}),
        ...(extraction.resultError ? { resultError: extraction.resultError } : {}),
        ...usageField(addUsage(session.usage ?? NO_USAGE, spent)),
      };
      await this.deps.repo.completeSession(session, next, outcomeOf(next, this.deps.limits.outcomeRetentionSeconds ?? null), next.updatedAt, spent);
      spent = NO_USAGE;
      return sessionView(next, next.updatedAt, catalog);
    });
  }

  cancel(viewer: Viewer, sessionId: string): Promise<SessionView> {
    return this.end(viewer, sessionId, 'CANCELLED');
  }

  /**
   * One attempt (StaleSessionError on a lost race; the caller calls again with `state`).
   * Of two tabs resuming an idle session, the one that wins the versioned write gets the
   * welcome back; the other sees activity after `seenActivity` and resumes as not idle.
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
      if (session.status === 'ACTIVE') return sessionView(session, now, catalog);
      const next = touched(session, 'ACTIVE', now, topic.settings);
      await this.deps.repo.updateSession(session, next, now);
      return sessionView(next, now, catalog);
    }
    const idleMs = Math.max(0, now - session.lastActivityAt);
    state.welcome ??= this.welcomes.ask(topic, session, idleMs);
    const welcome = await this.welcomes.within(state.welcome);
    const seq = lastSeqOf(session) + 1;
    let next = session;
    if (welcome === LATE) {
      // Resumed now; the welcome back takes the kept seq when it comes (counted then, in messageCount).
      next = { ...touched(session, 'ACTIVE', now, topic.settings), lastSeq: seq };
      await this.deps.repo.updateSession(session, next, now);
      this.welcomes.deliverLater(next, seq, state.welcome);
    } else if (welcome !== null) {
      const message: Message = { sessionId: session.id, seq, role: 'ASSISTANT', content: welcome.text, createdAt: now, ...usageField(welcome.usage) };
      next = { ...withMessage(session, 'ACTIVE', now, catalog), lastSeq: seq, ...usageField(addUsage(session.usage ?? NO_USAGE, welcome.usage)) };
      await this.deps.repo.appendMessage(session, next, message, null, now);
    } else if (session.status === 'PAUSED') {
      next = touched(session, 'ACTIVE', now, topic.settings);
      await this.deps.repo.updateSession(session, next, now);
    }
    this.emitResumed({ tenantId: session.tenantId, sessionId: session.id, topicId: session.topicId, idleMs, via });
    return sessionView(next, now, catalog);
  }

  private emitResumed(e: ResumedEvent): void {
    try {
      this.deps.events?.resumed?.(e);
    } catch (error) {
      this.deps.log.warn('resumed observer failed', { sessionId: e.sessionId, error: String(error) });
    }
  }

  private end(viewer: Viewer, sessionId: string, status: TerminalStatus): Promise<SessionView> {
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
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    return retryOnStale(async () => {
      const now = this.deps.clock.now();
      const session = await ownSession(this.deps.repo, viewer, sessionId, now);
      const next = decide(session, now, topicOf(catalog, session).settings);
      if (!next) return sessionView(session, now, catalog);
      await this.deps.repo.updateSession(session, next, now);
      return sessionView(next, now, catalog);
    });
  }
}

/** A new ACTIVE session with its opening as message 1. */
function newSession(viewer: Viewer, topic: Topic, opening: CoachText, now: number): { session: Session; first: Message } {
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
    lastSeq: 1,
    version: 1,
    ...usageField(opening.usage),
  };
  return { session, first: { sessionId: id, seq: 1, role: 'ASSISTANT', content: opening.text, createdAt: now, ...usageField(opening.usage) } };
}

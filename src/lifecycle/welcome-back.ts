import { sessionBusy } from '../domain/errors';
import { isLive, Message, Session } from '../domain/session';
import { Topic } from '../domain/topic';
import { CoachGateway, CoachText } from '../coach/gateway';
import { usageField } from '../domain/usage';
import { DuplicateReplyError, SessionRepository } from '../sessions/repository';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import type { BackgroundWork } from '../sessions/background';
import { busyRetryAfterMs, retryOnStale } from '../sessions/concurrency';

/** A welcome back still on its way when the wait ran out. */
export const LATE = Symbol('late');

/**
 * The welcome back of a resume after idle, waited for at most WELCOME_BACK_WAIT_MS (docs/coach.md).
 * A late one is stored into the seq the resume kept, without a version, so it never races the
 * user's next message; only the resume that won the write delivers one.
 */
export class WelcomeBacks {
  constructor(
    private readonly deps: {
      repo: SessionRepository;
      coach: CoachGateway;
      clock: Clock;
      log: Logger;
      background: BackgroundWork;
      limits: Pick<SessionLimits, 'welcomeBackWaitMs'>;
    },
  ) {}

  /** Asks the coach (resolves to null when it failed or timed out; never rejects). */
  ask(topic: Topic, session: Session, idleMs: number): Promise<CoachText | null> {
    return this.deps.coach.welcomeBack(topic, session, idleMs);
  }

  /** The welcome back if it is there within the wait, else LATE. */
  within(pending: Promise<CoachText | null>): Promise<CoachText | null | typeof LATE> {
    const ms = this.deps.limits.welcomeBackWaitMs;
    // 0: never wait, not even for a coach that answers within the same tick of the timers.
    if (ms === 0) return Promise.resolve(LATE);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof LATE>((resolve) => {
      timer = setTimeout(() => resolve(LATE), ms);
      timer.unref?.();
    });
    return Promise.race([pending, late]).finally(() => clearTimeout(timer));
  }

  /** After a resume that kept `seq` for it (`resumed`: the session as written): stores the welcome back when it comes. */
  deliverLater(resumed: Session, seq: number, pending: Promise<CoachText | null>): void {
    this.deps.background.run('late welcome back', { sessionId: resumed.id }, async () => {
      const welcome = await pending;
      // The coach failed or gave up (logged by the gateway): the kept seq stays empty, like a failed reply's.
      if (welcome !== null) await this.store(resumed, seq, welcome);
    });
  }

  private async store(resumed: Session, seq: number, welcome: CoachText): Promise<void> {
    let session = resumed;
    await retryOnStale(
      async (attempt) => {
        const now = this.deps.clock.now();
        if (attempt > 0) {
          const fresh = await this.deps.repo.getSession(resumed.tenantId, resumed.id, now);
          // Ended, expired or transferred since the resume: nothing follows.
          if (!fresh || !isLive(fresh.status) || fresh.userId !== resumed.userId) return;
          session = fresh;
        }
        const message: Message = { sessionId: resumed.id, seq, role: 'ASSISTANT', content: welcome.text, createdAt: now, ...usageField(welcome.usage) };
        try {
          // Live and unexpired are the write's own conditions (a StaleSessionError here reads again).
          await this.deps.repo.appendReply(session, message, now);
        } catch (e) {
          if (!(e instanceof DuplicateReplyError)) throw e;
        }
      },
      () => {
        this.deps.log.warn('late welcome back not stored: the session kept changing', { sessionId: resumed.id });
        return sessionBusy(busyRetryAfterMs());
      },
    );
  }
}

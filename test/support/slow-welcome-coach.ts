import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { Topic } from '../../src/domain/topic';

/**
 * The embedded coach, except that while `held` its welcome backs wait for `release()`: a
 * model slower than WELCOME_BACK_WAIT_MS, on the test's command.
 */
export class SlowWelcomeCoach implements Coach {
  readonly name = 'slow-welcome';
  private readonly inner = new EmbeddedCoach();
  held = true;
  /** welcomeBack() calls so far. */
  calls = 0;
  private waiting: (() => void)[] = [];

  /** Lets every welcome back asked for so far answer. */
  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }
  opening(topic: Topic) {
    return this.inner.opening(topic);
  }
  reply(turn: CoachTurn) {
    return this.inner.reply(turn);
  }
  async welcomeBack(turn: WelcomeBackTurn) {
    this.calls++;
    if (this.held) await new Promise<void>((go) => this.waiting.push(go));
    return this.inner.welcomeBack(turn);
  }
  extractResult(request: ResultRequest) {
    return this.inner.extractResult(request);
  }

  summarize = (request: SummaryRequest) => this.inner.summarize(request);
  title = (request: TitleRequest) => this.inner.title(request);
}

import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Coach, CoachTurn } from '../../src/coach/port';
import { Topic } from '../../src/domain/topic';

/**
 * The embedded coach, streaming without pauses, that a test can stop after a stream's first
 * piece (until released) or make fail there: a slow or failing model on cue.
 */
export class StreamCoach implements Coach {
  readonly name = 'stream';
  private readonly inner = new EmbeddedCoach({ pieceDelayMs: 0 });
  /** Streams started so far (each is one model call). */
  streams = 0;
  hold: Promise<void> | null = null;
  failAfterFirst: Error | null = null;
  opening = (topic: Topic) => this.inner.opening(topic);
  reply = (turn: CoachTurn) => this.inner.reply(turn);
  welcomeBack = this.inner.welcomeBack.bind(this.inner);
  extractResult = this.inner.extractResult.bind(this.inner);
  summarize = this.inner.summarize.bind(this.inner);
  title = this.inner.title.bind(this.inner);

  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    this.streams++;
    let first = true;
    for await (const piece of this.inner.replyStream(turn)) {
      yield piece;
      if (!first) continue;
      first = false;
      if (this.failAfterFirst) throw this.failAfterFirst;
      if (this.hold) await this.hold;
    }
  }

  /** Streams stop after their first piece until the returned function is called. */
  holdAfterFirst(): () => void {
    let release!: () => void;
    this.hold = new Promise<void>((r) => (release = r));
    return () => {
      this.hold = null;
      release();
    };
  }
}

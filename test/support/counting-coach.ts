import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { Message } from '../../src/domain/session';
import { Topic } from '../../src/domain/topic';

/**
 * The embedded coach, counting its replies (each one model call) and numbering them ("Take
 * n: ..."), so a regenerated reply differs from the one it replaces. It records what every
 * call was given, can hold the next reply until released, and fail the next one.
 */
export class CountingCoach implements Coach {
  readonly name = 'counting';
  private readonly inner = new EmbeddedCoach({ pieceDelayMs: 0 });
  /** Replies asked for so far (streamed or not). */
  replies = 0;
  /** The text of every conversation a reply, welcome back or extraction was given, in order. */
  readonly given: string[][] = [];
  private held: Promise<void>[] = [];
  private failures: Error[] = [];

  opening = (topic: Topic) => this.inner.opening(topic);
  summarize = (request: SummaryRequest) => this.inner.summarize(request);
  title = (request: TitleRequest) => this.inner.title(request);

  async reply(turn: CoachTurn): Promise<string> {
    const n = ++this.replies;
    this.record(await turn.recentMessages(200));
    const hold = this.held.shift();
    if (hold) await hold;
    const failure = this.failures.shift();
    if (failure) throw failure;
    return `Take ${n}: ${await this.inner.reply(turn)}`;
  }

  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    const text = await this.reply(turn);
    for (const piece of text.match(/\S+\s*/g) ?? [text]) yield piece;
  }

  async welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    this.record(await turn.recentMessages(200));
    return this.inner.welcomeBack(turn);
  }

  extractResult(request: ResultRequest): Promise<unknown> {
    this.record(request.messages);
    return this.inner.extractResult(request);
  }

  /** The next reply waits (after it is counted and has read the conversation) until the returned function is called. */
  holdNext(): () => void {
    let release!: () => void;
    this.held.push(new Promise<void>((r) => (release = r)));
    return release;
  }

  failNext(error = new Error('model down')): void {
    this.failures.push(error);
  }

  /** Everything the coach was given since call `from` (an index into `given`), as one text. */
  givenSince(from: number): string {
    return this.given.slice(from).flat().join('\n');
  }

  private record(messages: Message[]): void {
    this.given.push(messages.map((m) => m.content));
  }
}

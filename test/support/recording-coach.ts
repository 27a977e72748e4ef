import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { Message } from '../../src/domain/session';
import { Topic } from '../../src/domain/topic';

/**
 * The embedded coach, recording what the service hands it: the conversation each reply,
 * welcome back and result extraction is given (as a model would read it), by session.
 */
export class RecordingCoach implements Coach {
  readonly name = 'recording';
  private readonly inner = new EmbeddedCoach({ pieceDelayMs: 0 });
  /** Every message text the coach was given, per session id. */
  readonly seen = new Map<string, string[]>();

  opening = (topic: Topic) => this.inner.opening(topic);

  async reply(turn: CoachTurn): Promise<string> {
    this.record(turn.session.id, await turn.recentMessages(200));
    if (turn.session.summary) this.seen.get(turn.session.id)!.push(turn.session.summary);
    return this.inner.reply(turn);
  }

  async welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    this.record(turn.session.id, await turn.recentMessages(200));
    return this.inner.welcomeBack(turn);
  }

  extractResult(request: ResultRequest): Promise<unknown> {
    this.record(request.session.id, request.messages);
    return this.inner.extractResult(request);
  }

  /** The messages it folds and the summary it folds them into (a model would read both). */
  summarize(request: SummaryRequest): Promise<string> {
    this.record(request.session.id, request.messages);
    if (request.summary) this.seen.get(request.session.id)!.push(request.summary);
    return this.inner.summarize(request);
  }

  title(request: TitleRequest): Promise<string> {
    this.record(request.session.id, [request.userMessage, request.reply]);
    return this.inner.title(request);
  }

  /** All the text the coach was given for a session. */
  textOf(sessionId: string): string {
    return (this.seen.get(sessionId) ?? []).join('\n');
  }

  private record(sessionId: string, messages: Message[]): void {
    const list = this.seen.get(sessionId) ?? [];
    list.push(...messages.map((m) => m.content));
    this.seen.set(sessionId, list);
  }
}

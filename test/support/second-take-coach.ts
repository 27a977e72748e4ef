import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { CoachTurn } from '../../src/coach/port';
import { pause, textPieces } from '../../src/coach/stream';

/**
 * The embedded coach, except that a message answered again (regenerateReply) gets a visibly
 * different reply ("Another take (2): ..."), and `failNext` makes the next reply fail (the
 * model down: COACH_UNAVAILABLE). The embedded coach alone answers a message the same way twice.
 * Streamed, a piece every `pieceDelayMs`.
 */
export class SecondTakeCoach extends EmbeddedCoach {
  failNext = false;

  constructor(private readonly pieceDelayMs = 0) {
    super();
  }

  /** How many times each message (by session and seq) was answered. */
  private readonly answered = new Map<string, number>();

  override async reply(turn: CoachTurn): Promise<string> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the model is down (SecondTakeCoach.failNext)');
    }
    const key = `${turn.session.id}:${turn.userMessage.seq}`;
    const take = (this.answered.get(key) ?? 0) + 1;
    this.answered.set(key, take);
    const reply = await super.reply(turn);
    return take === 1 ? reply : `Another take (${take}): ${reply}`;
  }

  override async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    const pieces = textPieces(await this.reply(turn));
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && this.pieceDelayMs > 0) await pause(this.pieceDelayMs, turn.signal);
      yield pieces[i];
    }
  }
}

import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import type { CoachTurn } from '../../src/coach/port';
import { pause, textPieces } from '../../src/coach/stream';

/**
 * The embedded coach with a model's first-token delay: it waits `firstPieceMs` before its first
 * piece, then streams its usual pieces `pieceMs` apart, or as far apart as the user's message
 * asks with `[pace:<ms>]` (the bench's points differ in pace, not in server). The bench
 * subtracts the first-piece delay from the time to the first delta at the client.
 */
export class FirstPieceDelayCoach extends EmbeddedCoach {
  constructor(
    private readonly firstPieceMs: number,
    private readonly pieceMs: number,
    /** One word a piece instead of three: the same reply in about three times the deltas. */
    private readonly words = false,
  ) {
    super({ pieceDelayMs: pieceMs });
  }

  override async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    await pause(this.firstPieceMs, turn.signal);
    const pace = Number(/\[pace:(\d+)\]/.exec(turn.userMessage.content)?.[1] ?? this.pieceMs);
    const pieces = textPieces(await this.reply(turn), this.words ? 1 : 3);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await pause(pace, turn.signal);
      yield pieces[i];
    }
  }
}

/** BENCH_COACH=delayed:<first piece ms>:<between pieces ms>[:words] (bench/child.ts), or undefined for the configured coach. */
export function benchCoach(spec: string | undefined): FirstPieceDelayCoach | undefined {
  const m = /^delayed:(\d+):(\d+)(:words)?$/.exec(spec ?? '');
  return m ? new FirstPieceDelayCoach(Number(m[1]), Number(m[2]), Boolean(m[3])) : undefined;
}

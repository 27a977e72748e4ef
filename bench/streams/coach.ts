import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import type { CoachTurn } from '../../src/coach/port';
import { pause, textPieces } from '../../src/coach/stream';

/**
 * The embedded coach with a model's first-token delay: it waits `firstPieceMs` before its first
 * piece, then streams its usual pieces `pieceMs` apart. The bench subtracts that delay from
 * the time to the first delta at the client, leaving what the server adds.
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
    if (!this.words) return yield* super.replyStream(turn);
    const pieces = textPieces(await this.reply(turn), 1);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await pause(this.pieceMs, turn.signal);
      yield pieces[i];
    }
  }
}

/** BENCH_COACH=delayed:<first piece ms>:<between pieces ms>[:words] (bench/child.ts), or undefined for the configured coach. */
export function benchCoach(spec: string | undefined): FirstPieceDelayCoach | undefined {
  const m = /^delayed:(\d+):(\d+)(:words)?$/.exec(spec ?? '');
  return m ? new FirstPieceDelayCoach(Number(m[1]), Number(m[2]), Boolean(m[3])) : undefined;
}

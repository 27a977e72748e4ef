import { Coach, CoachTurn } from './port';

/** The coach's reply as pieces: its own stream, or its whole reply as one piece when it has none. */
export function replyPieces(coach: Coach, turn: CoachTurn): AsyncIterable<string> {
  if (coach.replyStream) return coach.replyStream(turn);
  return (async function* () {
    yield await coach.reply(turn);
  })();
}

/** Whitespace is held back until text follows it, so the pieces concatenate to the trimmed (stored) reply. */
export async function* trimmedPieces(source: AsyncIterable<string>): AsyncGenerator<string> {
  let started = false;
  let pending = '';
  for await (const piece of source) {
    if (typeof piece !== 'string') throw new Error('the coach streamed something other than text');
    let text = pending + piece;
    if (!started) {
      text = text.trimStart();
      if (!text) continue;
      started = true;
    }
    const body = text.trimEnd();
    pending = text.slice(body.length);
    if (body) yield body;
  }
}

/** `text` in pieces of about `words` words each, whitespace kept: they concatenate to `text`. */
export function textPieces(text: string, words = 3): string[] {
  // A scan, not /\s*\S+\s*/g, which backtracks quadratically over text that is only whitespace.
  const pieces: string[] = [];
  let start = 0;
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text[i]);
    // A piece ends where the next word after its `words`-th one begins.
    if (!space && !inWord && count === words) {
      pieces.push(text.slice(start, i));
      start = i;
      count = 0;
    }
    if (!space && !inWord) count++;
    inWord = !space;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

const isSpace = (c: string) => c.trim() === '';

/** Resolves after `ms`, or rejects with the signal's reason as soon as it fires. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

import type { Message } from '../domain/session';
import type { SessionView } from '../sessions/session-view';

/** How a reply in progress ended: the turn's result, or the error its producer got. */
export type LiveOutcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

/** The producer's side of a reply in progress. */
export interface LiveFeed<R> {
  /** A piece of the reply's text, passed on to every follower. */
  piece(text: string): void;
  end(outcome: LiveOutcome<R>): void;
}

interface Live<R> {
  pieces: string[];
  followers: Set<(text: string) => void>;
  ended: Promise<LiveOutcome<R>>;
}

/**
 * The replies this process is producing, by clientMessageId, so that a stream re-subscribed
 * with the same id here follows the one in progress (its pieces so far, then the rest as they
 * come) instead of polling the store. Other processes' replies are found in the store.
 */
export class LiveReplies<R> {
  private readonly live = new Map<string, Live<R>>();

  open(key: string): LiveFeed<R> {
    let settle!: (outcome: LiveOutcome<R>) => void;
    const entry: Live<R> = { pieces: [], followers: new Set(), ended: new Promise((resolve) => (settle = resolve)) };
    this.live.set(key, entry);
    return {
      piece: (text) => {
        entry.pieces.push(text);
        for (const follow of entry.followers) follow(text);
      },
      end: (outcome) => {
        if (this.live.get(key) === entry) this.live.delete(key);
        entry.followers.clear();
        settle(outcome);
      },
    };
  }

  /** Follows the reply in progress for `key`, or returns null when this process has none. */
  follow(key: string, onPiece: (text: string) => void): Promise<LiveOutcome<R>> | null {
    const entry = this.live.get(key);
    if (!entry) return null;
    for (const text of entry.pieces) onPiece(text);
    entry.followers.add(onPiece);
    return entry.ended;
  }

  /** Replies in progress (tests). */
  get size(): number {
    return this.live.size;
  }
}

/** What a streamed send reports as it goes: the stored message first, then the reply's pieces. */
export interface TurnListener {
  message(message: Message, session: SessionView): void;
  /** A piece of the reply's text. */
  delta(text: string): void;
  /** True once nobody listens any more: waiting for another process's reply then stops. */
  gone?(): boolean;
}

/** A retried stream whose listener left while it waited for another process's reply: nothing more to do. */
export class ListenerGone extends Error {
  constructor() {
    super('the stream was closed while waiting for the reply');
    this.name = 'ListenerGone';
  }
}

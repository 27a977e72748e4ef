/**
 * A new coach reply in place of the latest one (docs/coach.md#regenerate), as events: pieces
 * of the new reply, then the stored reply. Streamed with `regenerateReplyStream` over
 * graphql-ws (stream.ts); after a drop the server replays the regenerate from its first piece
 * (the same clientMessageId: no second model call). Without a socket, `regenerateReply`.
 */
import { run } from './api.js';
import { RegenerateReplyDocument, RegenerateReplyStreamDocument, type RegenerateReplyStreamSubscription } from './generated/graphql.js';
import type { Message, Session } from './state.js';
import { streamOnce, streamOr } from './stream.js';

export interface RegenerateEvents {
  /** The text starts again (a resubscription replays it from the beginning). */
  restart(): void;
  delta(text: string): void;
  /** The stored new reply; `session` when the transport returns it. */
  reply(m: Message, session: Session | null): void;
}

export function regenerateReply(sessionId: string, messageId: string, clientMessageId: string, on: RegenerateEvents): Promise<void> {
  const variables = { sessionId, messageId, clientMessageId };
  return streamOr(
    () =>
      streamOnce<RegenerateReplyStreamSubscription>(RegenerateReplyStreamDocument.toString(), variables, {
        resubscribed: () => on.restart(),
        next: ({ regenerateReplyStream: e }) => {
          if (e.delta) on.delta(e.delta);
          if (e.reply) on.reply(e.reply, e.session);
        },
      }),
    async () => {
      on.restart();
      on.reply((await run(RegenerateReplyDocument, variables)).regenerateReply, null);
    },
  );
}

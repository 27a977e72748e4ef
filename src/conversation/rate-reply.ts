import { Clock } from '../domain/clock';
import { badInput, notFound, sessionBusy, sessionNotActive } from '../domain/errors';
import { busyRetryAfterMs } from '../sessions/concurrency';
import { parseMessageRef } from '../domain/ids';
import { Message } from '../domain/session';
import { isCleanText } from '../domain/text';
import { Viewer } from '../domain/viewer';
import { visibleToOwner } from '../domain/visibility';
import { SessionRepository } from '../sessions/repository';
import { ownSession } from '../sessions/session-view';

/** The longest comment a rating may carry. */
export const MAX_RATING_COMMENT = 1000;

/** rateReply: the owner rates a coach message of their ACTIVE session (1-5, an optional comment); a later rating replaces it. */
export class RateReply {
  constructor(private readonly deps: { repo: SessionRepository; clock: Clock }) {}

  async rate(viewer: Viewer, sessionId: string, messageId: string, rating: number, comment: string | null): Promise<Message> {
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw badInput('"rating" must be a whole number from 1 to 5', { argumentName: 'rating' });
    const text = comment?.trim() || null;
    if (text !== null && (text.length > MAX_RATING_COMMENT || !isCleanText(text, { multiline: true }))) {
      throw badInput(`"comment" must be at most ${MAX_RATING_COMMENT} characters of text`, { argumentName: 'comment' });
    }
    const { seq, revision } = parseMessageRef(sessionId, messageId);
    // A rating given meanwhile (another tab) moves the one read: read again, so the topic's counter adds up.
    for (let attempt = 0; ; attempt++) {
      const now = this.deps.clock.now();
      const session = await ownSession(this.deps.repo, viewer, sessionId, now);
      const [message] = await this.deps.repo.getMessages(viewer.tenantId, sessionId, [seq], now);
      // A message the owner may not read (written before a transfer) is as unknown as a missing one; so is a regenerated reply's old id.
      if (!message || !visibleToOwner(session, message) || (message.revision ?? 0) !== revision) throw notFound('Message');
      if (message.role !== 'ASSISTANT') throw badInput('Only a coach message can be rated', { argumentName: 'messageId' });
      if (session.status !== 'ACTIVE') throw sessionNotActive(session.status);
      const counted = { topicId: session.topicId, previous: message.rating ?? null };
      if (await this.deps.repo.rateMessage(viewer.tenantId, sessionId, seq, rating, text, now, counted)) return { ...message, rating, ratingComment: text };
      if (attempt >= 2) throw sessionBusy(busyRetryAfterMs());
    }
  }
}

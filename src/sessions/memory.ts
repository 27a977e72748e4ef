import { Message, Session } from '../domain/session';
import { Topic } from '../domain/topic';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import { CoachGateway, SUMMARY_MAX_CHARS, usageInto } from '../coach/gateway';
import { cleanTitle, clipSummary } from '../coach/memory-prompt';
import type { TokenUsage } from '../coach/port';
import type { BackgroundWork } from './background';
import type { MemoryWrite, SessionRepository } from './repository';
import { listVisibleMessages } from './visible-messages';

/** One fold sends the coach at most this many messages and characters (a long backlog is caught up over several replies). */
export const FOLD_MAX_MESSAGES = 40;
export const FOLD_MAX_CHARS = 24_000;

export interface MemoryDeps {
  repo: Pick<SessionRepository, 'listMessages' | 'storeMemory'>;
  coach: CoachGateway;
  clock: Clock;
  log: Logger;
  background: BackgroundWork;
  limits: Pick<SessionLimits, 'memoryWindow'>;
}

/**
 * The coach's memory of a session (docs/coach.md#memory): after a reply, in the background,
 * a title after the owner's first exchange, and a fold of the oldest unsummarised messages
 * into the rolling summary once they would leave the window. Each is one model call with
 * only the new material, and one write without a version (repository.storeMemory), so it
 * never delays the reply nor races the user's next message. A failure is logged and tried
 * again after a later reply.
 */
export class SessionMemory {
  /** Folds running in this process, by session: a second would only lose its condition. */
  private readonly folding = new Set<string>();

  constructor(private readonly deps: MemoryDeps) {}

  /** `session`: as the user's message left it (its memory as read then). */
  afterReply(topic: Topic, session: Session, userMessage: Message, reply: Message): void {
    const needsTitle = !session.title;
    const fold = this.foldRange(session, reply.seq);
    if (!needsTitle && !fold) return;
    this.deps.background.run('session memory', { sessionId: session.id }, async () => {
      if (needsTitle) await this.title(topic, session, userMessage, reply);
      if (fold) await this.fold(topic, session, fold);
    });
  }

  /**
   * Seqs to fold, (from, to]: once the unsummarised history with the next user message would
   * not fit the window's message count, all but the newest half of the window.
   */
  foldRange(session: Session, last: number): { from: number; to: number } | null {
    const from = session.summaryThrough ?? 0;
    const window = this.deps.limits.memoryWindow.maxMessages;
    if (last + 1 - from <= window) return null;
    const keep = Math.max(1, Math.floor(window / 2));
    const to = Math.min(last - keep, from + FOLD_MAX_MESSAGES);
    return to > from ? { from, to } : null;
  }

  private async title(topic: Topic, session: Session, userMessage: Message, reply: Message): Promise<void> {
    const usage = zero();
    try {
      const title = cleanTitle(await this.deps.coach.title(topic, session, userMessage, reply, usageInto(usage)));
      if (title) await this.store(session, { title }, usage);
    } catch (e) {
      this.deps.log.warn('session title failed; tried again after a later reply', { sessionId: session.id, error: String(e) });
    }
  }

  private async fold(topic: Topic, session: Session, range: { from: number; to: number }): Promise<void> {
    const key = `${session.tenantId}\u0000${session.id}`;
    if (this.folding.has(key)) return;
    this.folding.add(key);
    try {
      const { messages, through } = await this.chunk(session, range);
      const usage = zero();
      const summary = session.summary ?? null;
      let text = '';
      if (messages.length) {
        try {
          text = clipSummary(await this.deps.coach.summarize(topic, session, summary, messages, usageInto(usage)), SUMMARY_MAX_CHARS);
        } catch (e) {
          this.deps.log.warn('session summary failed; tried again after a later reply', { sessionId: session.id, error: String(e) });
          return;
        }
      }
      await this.store(session, { summary: { text, through, after: session.summaryThrough ?? null } }, usage);
    } finally {
      this.folding.delete(key);
    }
  }

  /** What the owner may read of the range (a transfer's hidden part is never folded), within FOLD_MAX_CHARS. */
  private async chunk(session: Session, range: { from: number; to: number }): Promise<{ messages: Message[]; through: number }> {
    const read = await listVisibleMessages(this.deps.repo, session, { direction: 'forward', from: range.from, limit: range.to - range.from }, this.deps.clock.now());
    const messages: Message[] = [];
    let chars = 0;
    for (const m of read) {
      if (m.seq > range.to) break;
      if (messages.length && chars + m.content.length > FOLD_MAX_CHARS) return { messages, through: messages[messages.length - 1].seq };
      messages.push(m);
      chars += m.content.length;
    }
    return { messages, through: range.to };
  }

  /** A lost condition (another fold, a transfer, the end of the session) is not an error: the write is dropped. */
  private async store(session: Session, memory: MemoryWrite, usage: TokenUsage): Promise<void> {
    const written = await this.deps.repo.storeMemory(session, memory, usage, this.deps.clock.now());
    if (!written) this.deps.log.info('session memory not stored: the session moved on', { sessionId: session.id });
  }
}

const zero = (): TokenUsage => ({ inputTokens: 0, outputTokens: 0 });

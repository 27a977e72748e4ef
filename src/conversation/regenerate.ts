/**
 * regenerateReply / regenerateReplyStream (docs/coach.md#regenerate): the latest coach reply of
 * an ACTIVE session, answered again and replaced in place with a new id (its revision one up).
 * Before the model call the reply is claimed in the store (one regenerate at a time; a retry
 * with the same clientMessageId waits for the running one instead of calling the model
 * again); the replacement and the regenerate's record are one write. A replayed id returns
 * the reply it stored (or, regenerated again since, the current one).
 */
import { randomUUID } from 'node:crypto';
import { badInput, DomainError, notFound, sessionBusy, sessionNotActive } from '../domain/errors';
import { isClientMessageId, parseMessageRef } from '../domain/ids';
import { lastSeqOf, Message, Session } from '../domain/session';
import { Viewer } from '../domain/viewer';
import { visibleToOwner } from '../domain/visibility';
import { TopicCatalog, TopicSource } from '../topics/catalog';
import type { Clock } from '../domain/clock';
import type { SessionLimits } from '../defaults';
import type { Logger } from '../logger';
import type { BackgroundWork } from '../sessions/background';
import { RegenerationRecord, ReplyClaim, SessionRepository } from '../sessions/repository';
import { busyRetryAfterMs, SessionQueue, sleep } from '../sessions/concurrency';
import { ownSession, SessionView, sessionView, topicOf } from '../sessions/session-view';
import type { Budgets } from '../usage/budgets';
import { CoachGateway } from '../coach/gateway';
import { ListenerGone, LiveReplies, TurnListener } from './live-replies';
import { liveKey } from './replay';
import { notLatestReply, TurnWrites } from './turn-writes';

/** How long past the coach timeout a claim keeps other regenerates out: the reply's write, with room. */
const CLAIM_MARGIN_MS = 10_000;
/** Claim attempts that find the reply changed before the caller is told it is not the latest. */
const CHANGED_ATTEMPTS = 3;

export interface RegenerateResult {
  session: SessionView;
  reply: Message;
}

/** What a streamed regenerate reports: the new reply's pieces (no `message`: nothing new of the user's). */
export type ReplyListener = Pick<TurnListener, 'delta' | 'gone'>;

export interface RegenerateDeps {
  repo: SessionRepository;
  topics: TopicSource;
  coach: CoachGateway;
  clock: Clock;
  log: Logger;
  background: BackgroundWork;
  limits: Pick<SessionLimits, 'coachTimeoutMs'>;
  /** The token caps (absent: none checked). */
  budgets?: Budgets;
}

interface Target {
  session: Session;
  reply: Message;
  message: Message;
}

export class RegenerateReply {
  /** Regenerates this process is running, by clientMessageId: a second call with the id follows the first. */
  private readonly live = new LiveReplies<RegenerateResult>();

  private readonly writes: TurnWrites;

  constructor(private readonly deps: RegenerateDeps & { limits: Pick<SessionLimits, 'sessionQueue'> }) {
    this.writes = new TurnWrites(deps, new SessionQueue(deps.limits.sessionQueue));
  }

  /** The new reply (and the session after it); with a listener, its pieces as the coach writes them. */
  regenerate(viewer: Viewer, sessionId: string, messageId: string, clientMessageId: string | null, listener?: ReplyListener): Promise<RegenerateResult> {
    if (clientMessageId !== null && !isClientMessageId(clientMessageId)) {
      return Promise.reject(badInput('clientMessageId must be 1-64 characters of letters, digits, ".", "_", ":" or "-"', { argumentName: 'clientMessageId' }));
    }
    const key = clientMessageId ? liveKey(viewer, sessionId, clientMessageId) : null;
    const followed = key ? this.follow(key, listener) : null;
    if (followed) return followed;
    const feed = key ? this.live.open(key) : null;
    const onPiece = listener
      ? (text: string) => {
          feed?.piece(text);
          listener.delta(text);
        }
      : undefined;
    const run = this.run(viewer, sessionId, messageId, clientMessageId, onPiece, listener);
    this.deps.background.track(run);
    run.then(
      (result) => feed?.end({ ok: true, result }),
      (error) => feed?.end({ ok: false, error }),
    );
    return run;
  }

  private async run(
    viewer: Viewer,
    sessionId: string,
    messageId: string,
    clientMessageId: string | null,
    onPiece: ((text: string) => void) | undefined,
    listener: ReplyListener | undefined,
  ): Promise<RegenerateResult> {
    const ref = parseMessageRef(sessionId, messageId);
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const claimId = clientMessageId ?? `srv-${randomUUID()}`;
    const waitUntil = Date.now() + this.deps.limits.coachTimeoutMs + 2 * CLAIM_MARGIN_MS;
    for (let changed = 0, wait = 0; ; ) {
      const now = this.deps.clock.now();
      const session = await ownSession(this.deps.repo, viewer, sessionId, now);
      if (clientMessageId) {
        const record = await this.deps.repo.getRegeneration(viewer.tenantId, sessionId, clientMessageId, now);
        if (record) return this.replay(session, ref, record, catalog, listener);
      }
      const target = await this.target(session, ref, now);
      // After every check, before the claim (the first write): over a cap, nothing is stored.
      await this.deps.budgets?.assertWithin(viewer);
      const claim: ReplyClaim = { revision: ref.revision, clientMessageId: claimId, token: randomUUID(), until: now + this.deps.limits.coachTimeoutMs + CLAIM_MARGIN_MS };
      const claimed = await this.deps.repo.claimReply(viewer.tenantId, sessionId, ref.seq, claim, now);
      if (claimed === 'claimed') return this.produce(viewer, target, claim, catalog, onPiece);
      if (claimed === 'changed') {
        // Replaced, redacted or gone since it was read: read again (a record of this id, or the reason).
        if (++changed >= CHANGED_ATTEMPTS) throw notLatestReply();
        continue;
      }
      // Another regenerate of this reply is running: a different one wins; the same id (another process) is waited for.
      if (!clientMessageId || claimed.heldBy !== clientMessageId || Date.now() > waitUntil) throw sessionBusy(busyRetryAfterMs());
      if (listener?.gone?.()) throw new ListenerGone();
      await sleep(Math.min(100 * ++wait, 1000));
    }
  }

  /** The reply `ref` names, checked: the latest coach reply of the caller's ACTIVE session, with the message it answers. */
  private async target(session: Session, ref: { seq: number; revision: number }, now: number): Promise<Target> {
    const { tenantId, id } = session;
    const found = await this.deps.repo.getMessages(tenantId, id, [ref.seq, ref.seq - 1], now);
    const reply = found.find((m) => m.seq === ref.seq);
    // A message the owner may not read (before a transfer) is as unknown as a missing one; so is a revision never made.
    if (!reply || !visibleToOwner(session, reply) || (reply.revision ?? 0) < ref.revision) throw notFound('Message');
    if (reply.role !== 'ASSISTANT' || reply.replyTo === undefined) {
      throw badInput('Only a coach reply to a message can be regenerated (not a user message, an opening or a welcome back)', { argumentName: 'messageId' });
    }
    if (session.status !== 'ACTIVE') throw sessionNotActive(session.status);
    if ((reply.revision ?? 0) > ref.revision || lastSeqOf(session) !== ref.seq) throw notLatestReply();
    const message = found.find((m) => m.seq === reply.replyTo) ?? (await this.deps.repo.getMessages(tenantId, id, [reply.replyTo], now))[0];
    if (!message || message.role !== 'USER' || !visibleToOwner(session, message)) throw notFound('Message');
    return { session, reply, message };
  }

  /** The model's new reply, stored under the claim; on any failure the claim is let go and the old reply stays. */
  private async produce(viewer: Viewer, t: Target, claim: ReplyClaim, catalog: TopicCatalog, onPiece?: (text: string) => void): Promise<RegenerateResult> {
    try {
      const { text, usage } = await this.deps.coach.askCoach(topicOf(catalog, t.session), t.session, t.message, onPiece);
      const at = { seq: t.reply.seq, revision: claim.revision + 1 };
      const stored = await this.writes.storeReplacement(viewer, t.session, t.message, text, usage, at, { token: claim.token, clientMessageId: claim.clientMessageId });
      return { session: sessionView(stored.session, this.deps.clock.now(), catalog), reply: stored.reply };
    } catch (error) {
      await this.deps.repo
        .releaseReply(viewer.tenantId, t.session.id, t.reply.seq, claim.token)
        .catch((e) => this.deps.log.warn('could not release a regenerate claim (it expires)', { sessionId: t.session.id, error: String(e) }));
      if (!(error instanceof DomainError)) this.deps.log.error('regenerate failed', { sessionId: t.session.id, error: String(error) });
      throw error;
    }
  }

  /** A replayed id: the reply its regenerate stored, as it is now (regenerated again since: the current one). */
  private async replay(session: Session, ref: { seq: number; revision: number }, record: RegenerationRecord, catalog: TopicCatalog, listener?: ReplyListener): Promise<RegenerateResult> {
    if (record.seq !== ref.seq || record.revision !== ref.revision + 1) {
      throw badInput('This clientMessageId was already used to regenerate another reply; use a new id', { argumentName: 'clientMessageId' });
    }
    const now = this.deps.clock.now();
    const [reply] = await this.deps.repo.getMessages(session.tenantId, session.id, [record.seq], now);
    if (!reply || !visibleToOwner(session, reply)) throw notFound('Message');
    listener?.delta(reply.content);
    return { session: sessionView(session, now, catalog), reply };
  }

  /** A call with the id of a regenerate running here: its pieces so far, then the rest, then its outcome. */
  private follow(key: string, listener?: ReplyListener): Promise<RegenerateResult> | null {
    let streamed = '';
    const ended = this.live.follow(key, (text) => {
      streamed += text;
      listener?.delta(text);
    });
    return (
      ended?.then((outcome) => {
        if (!outcome.ok) throw outcome.error;
        // The first call did not stream (regenerateReply): the reply arrives whole.
        if (!streamed) listener?.delta(outcome.result.reply.content);
        return outcome.result;
      }) ?? null
    );
  }
}

/**
 * The repository contract of regenerateReply (claimReply, releaseReply, appendReply with
 * `replacing`, getRegeneration), run by session-repository.contract.ts for every
 * implementation.
 */
import { ended, Message, Session, touched } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { ReplyClaim, ReplyClaimLostError, SessionRepository, StaleSessionError } from '../../src/sessions/repository';
import { liveSession } from '../support/session-fixture';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const settings = DEFAULT_SETTINGS;

export function replyRevisionContract(name: string, make: () => SessionRepository, snapshot: (repo: SessionRepository) => Promise<unknown>): void {
  describe(`${name}: regenerated replies`, () => {
    let repo: SessionRepository;
    let tenantId: string;
    let n = 0;
    const run = Math.random().toString(36).slice(2, 8);
    beforeEach(() => {
      repo = make();
      tenantId = `r${run}-${++n}`;
    });

    /** A session with an opening, a user message (seq 2) and its reply (seq 3). */
    async function exchanged(): Promise<{ session: Session; reply: Message }> {
      const s = liveSession(n, T0, settings, { tenantId });
      await repo.createSession(s, { sessionId: s.id, seq: 1, role: 'ASSISTANT', content: 'hi', createdAt: T0 }, T0);
      const next: Session = { ...touched(s, 'ACTIVE', T0, settings), messageCount: 2, lastSeq: 3, turnCount: 1 };
      await repo.appendMessage(s, next, { sessionId: s.id, seq: 2, role: 'USER', content: 'hello', createdAt: T0, authorId: s.userId }, 'u-1', T0);
      const reply: Message = { sessionId: s.id, seq: 3, role: 'ASSISTANT', content: 'first', createdAt: T0, replyTo: 2, clientMessageId: 'u-1' };
      await repo.appendReply(next, reply, T0);
      return { session: (await repo.getSession(tenantId, s.id, T0))!, reply };
    }
    const claimOf = (over: Partial<ReplyClaim> = {}): ReplyClaim => ({ revision: 0, clientMessageId: 'g-1', token: 'tok-1', until: T0 + 60_000, ...over });

    test('a claim: once per revision while unexpired; the same or another id sees who holds it; a user message or a missing seq is changed', async () => {
      const { session } = await exchanged();
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf(), T0)).toBe('claimed');
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ token: 'tok-2' }), T0 + 1)).toEqual({ heldBy: 'g-1' });
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ clientMessageId: 'g-2', token: 'tok-2' }), T0 + 1)).toEqual({ heldBy: 'g-1' });
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ revision: 1, token: 'tok-2' }), T0 + 1)).toBe('changed');
      expect(await repo.claimReply(tenantId, session.id, 2, claimOf({ token: 'tok-2' }), T0 + 1)).toBe('changed');
      expect(await repo.claimReply(tenantId, session.id, 9, claimOf({ token: 'tok-2' }), T0 + 1)).toBe('changed');
      // Past its time another may take it; a release by another token leaves it, by its own frees it.
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ clientMessageId: 'g-2', token: 'tok-2', until: T0 + 120_000 }), T0 + 60_001)).toBe('claimed');
      await repo.releaseReply(tenantId, session.id, 3, 'tok-1');
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ token: 'tok-3' }), T0 + 60_002)).toEqual({ heldBy: 'g-2' });
      await repo.releaseReply(tenantId, session.id, 3, 'tok-2');
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ token: 'tok-3' }), T0 + 60_003)).toBe('claimed');
    });

    test('a replacement under the claim: same seq, revision up, record written, version and revisions moved, counts kept', async () => {
      const { session, reply } = await exchanged();
      await repo.claimReply(tenantId, session.id, 3, claimOf(), T0);
      const fresh: Message = { ...reply, content: 'second', revision: 1, createdAt: T0 + 5 };
      await repo.appendReply(session, fresh, T0 + 5, { token: 'tok-1', clientMessageId: 'g-1' });
      expect(await repo.getMessages(tenantId, session.id, [3], T0 + 5)).toEqual([fresh]);
      expect(await repo.getRegeneration(tenantId, session.id, 'g-1', T0 + 5)).toEqual({ seq: 3, revision: 1 });
      expect(await repo.getRegeneration(tenantId, session.id, 'g-2', T0 + 5)).toBeNull();
      const after = (await repo.getSession(tenantId, session.id, T0 + 5))!;
      expect([after.messageCount, after.turnCount, after.lastSeq, after.version, after.revisions]).toEqual([3, 1, 3, session.version + 1, 1]);
      // The claim went with the replacement: the new revision can be claimed at once, the old one not.
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ token: 'tok-2' }), T0 + 6)).toBe('changed');
      expect(await repo.claimReply(tenantId, session.id, 3, claimOf({ revision: 1, token: 'tok-2' }), T0 + 6)).toBe('claimed');
      // A versioned write from before the replacement is stale.
      await expect(repo.updateSession(session, touched(session, 'PAUSED', T0 + 7, settings), T0 + 7)).rejects.toBeInstanceOf(StaleSessionError);
    });

    test('no replacement without the claim, after a message, or after the end; each changes nothing', async () => {
      const { session, reply } = await exchanged();
      const fresh: Message = { ...reply, content: 'second', revision: 1, createdAt: T0 + 5 };
      const replacing = { token: 'tok-1', clientMessageId: 'g-1' };
      const before = await snapshot(repo);
      await expect(repo.appendReply(session, fresh, T0 + 5, replacing)).rejects.toBeInstanceOf(ReplyClaimLostError);
      expect(await snapshot(repo)).toEqual(before);

      await repo.claimReply(tenantId, session.id, 3, claimOf(), T0);
      await expect(repo.appendReply(session, fresh, T0 + 5, { ...replacing, token: 'tok-other' })).rejects.toBeInstanceOf(ReplyClaimLostError);
      // A user message since: the reply is no longer the last seq.
      const next: Session = { ...touched(session, 'ACTIVE', T0 + 6, settings), messageCount: 4, lastSeq: 5, turnCount: 2 };
      await repo.appendMessage(session, next, { sessionId: session.id, seq: 4, role: 'USER', content: 'more', createdAt: T0 + 6, authorId: session.userId }, null, T0 + 6);
      const withMessage = await snapshot(repo);
      await expect(repo.appendReply(next, fresh, T0 + 7, replacing)).rejects.toBeInstanceOf(StaleSessionError);
      expect(await snapshot(repo)).toEqual(withMessage);
      const stored = (await repo.getSession(tenantId, session.id, T0 + 8))!;
      await repo.updateSession(stored, ended(stored, 'CANCELLED', T0 + 8, settings), T0 + 8);
      await expect(repo.appendReply(stored, fresh, T0 + 9, replacing)).rejects.toBeInstanceOf(StaleSessionError);
      expect((await repo.getMessages(tenantId, session.id, [3], T0 + 9))[0].content).toBe('first');
      expect(await repo.getRegeneration(tenantId, session.id, 'g-1', T0 + 9)).toBeNull();
    });
  });
}

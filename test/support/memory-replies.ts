import { addUsage, NO_USAGE, usageField } from '../../src/domain/usage';
import { isLive, lastSeqOf, Message, Session } from '../../src/domain/session';
import { ERASED_CONTENT } from '../../src/domain/user-data';
import { RegenerationRecord, ReplyClaim, ReplyClaimLostError, ReplyClaimResult, ReplyReplacement, StaleSessionError } from '../../src/sessions/repository';
import { copy, messageKey, regenerationKey, sessionKey } from './memory-state';
import { MemoryUserData } from './memory-user-data';

/**
 * regenerateReply's part of the in-memory repository, with DynamoDB's semantics
 * (src/store/items/regeneration.ts): a claim on the reply, and its replacement in place.
 */
export class MemoryReplies extends MemoryUserData {
  async claimReply(tenantId: string, sessionId: string, seq: number, claim: ReplyClaim, now: number): Promise<ReplyClaimResult> {
    await this.enter('claimReply');
    const key = messageKey(tenantId, sessionId, seq);
    if (!this.replaceable(tenantId, sessionId, seq, claim.revision, now)) return 'changed';
    const held = this.claims.get(key);
    if (held && held.until >= now) return { heldBy: held.clientMessageId };
    this.claims.set(key, copy(claim));
    return 'claimed';
  }

  async releaseReply(tenantId: string, sessionId: string, seq: number, token: string): Promise<void> {
    await this.enter('releaseReply');
    const key = messageKey(tenantId, sessionId, seq);
    if (this.claims.get(key)?.token === token) this.claims.delete(key);
  }

  async getRegeneration(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<RegenerationRecord | null> {
    await this.enter('getRegeneration');
    if (!this.childrenVisible(tenantId, sessionId, now)) return null;
    const r = this.regenerations.get(regenerationKey(tenantId, sessionId, clientMessageId));
    return r ? copy(r) : null;
  }

  /** appendReply's `replacing` case (called from it, after its one `enter`). */
  protected replaceReply(session: Session, reply: Message, now: number, replacing: ReplyReplacement): void {
    const { tenantId, id } = session;
    const key = messageKey(tenantId, id, reply.seq);
    const claim = this.claims.get(key);
    if (!claim || claim.token !== replacing.token || !this.replaceable(tenantId, id, reply.seq, claim.revision, now)) throw new ReplyClaimLostError();
    const stored = this.liveSession(tenantId, id, now);
    // DynamoDB: live, unexpired, the reply still the last seq.
    if (!stored || !isLive(stored.status) || lastSeqOf(stored) !== reply.seq) throw new StaleSessionError(id);
    const rk = regenerationKey(tenantId, id, replacing.clientMessageId);
    if (this.regenerations.has(rk)) throw new StaleSessionError(id);
    this.messages.set(key, copy(reply));
    this.claims.delete(key);
    this.regenerations.set(rk, { seq: reply.seq, revision: reply.revision ?? 0 });
    const next = { ...stored, version: stored.version + 1, revisions: (stored.revisions ?? 0) + 1, updatedAt: reply.createdAt, ...usageField(addUsage(stored.usage ?? NO_USAGE, reply.usage ?? NO_USAGE)) };
    this.sessions.set(sessionKey(tenantId, id), next);
  }

  /** An unexpired coach message at `revision`, not redacted. */
  private replaceable(tenantId: string, sessionId: string, seq: number, revision: number, now: number): boolean {
    const m = this.messages.get(messageKey(tenantId, sessionId, seq));
    return !!m && this.childrenVisible(tenantId, sessionId, now) && m.role === 'ASSISTANT' && (m.revision ?? 0) === revision && m.content !== ERASED_CONTENT;
  }
}

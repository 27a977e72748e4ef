import { ReplyClaim, RegenerationRecord } from '../../sessions/repository';
import { and, expr, isoTime as iso, Item, ITEM_PRESENT, or, TTL_ATTRIBUTE, unexpired } from '../schema';
import { childTtlAtMost, isLiveSession, sessionPk, usageAdded, usageValues } from './session';
import type { TokenUsage } from '../../domain/usage';
import { Key } from '../keys';

/**
 * regenerateReply (docs/data-model.md#regenerated-replies): a reply is replaced in place, at
 * its seq, with `revision` one up. While the model writes the replacement, the reply item
 * carries a claim (`regenBy`, `regenToken`, `regenUntil`); the replacement is a Put that
 * requires the claim's token, so it also drops the claim. The regenerate's record
 * (REGEN#<clientMessageId>) names the reply it stored.
 */
export const REGENERATION = 'REGENERATION';

export function regenerationItem(tenantId: string, sessionId: string, clientMessageId: string, record: RegenerationRecord, ttl: number): Item {
  return { ...regenerationKey(tenantId, sessionId, clientMessageId), type: REGENERATION, seq: record.seq, revision: record.revision, [TTL_ATTRIBUTE]: ttl };
}

export const toRegenerationRecord = (item: Item): RegenerationRecord => ({ seq: Number(item.seq), revision: Number(item.revision) });

export const regenerationKey = (tenantId: string, sessionId: string, clientMessageId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `REGEN#${clientMessageId}`,
});

/** The reply is still at `revision` (revision 0 is stored without the attribute). */
const atRevision = (revision: number) => (revision === 0 ? expr('attribute_not_exists(revision)') : expr('revision = :rev', { ':rev': revision }));

/** An unexpired coach message, not redacted by an erasure. */
const replaceableReply = (now: number) =>
  and(ITEM_PRESENT, expr('#role = :assistant', { ':assistant': 'ASSISTANT' }, { '#role': 'role' }), unexpired(now), expr('attribute_not_exists(redacted)'));

/** Takes the reply for one regenerate: at the revision it read, and free (no claim, or one past its time). */
export const replyClaimed = (claim: ReplyClaim, now: number) => ({
  UpdateExpression: expr('SET regenBy = :by, regenToken = :token, regenUntil = :until', { ':by': claim.clientMessageId, ':token': claim.token, ':until': claim.until }),
  ConditionExpression: and(
    replaceableReply(now),
    atRevision(claim.revision),
    or(expr('attribute_not_exists(regenUntil)'), expr('regenUntil < :claimNow', { ':claimNow': now })),
  ),
});

/** What a failed claim found: the regenerate holding the reply, or null when the reply changed. */
export function claimHolder(item: Item | undefined, claim: ReplyClaim, now: number): string | null {
  if (!item || typeof item[TTL_ATTRIBUTE] !== 'number' || (item[TTL_ATTRIBUTE] as number) * 1000 <= now) return null;
  if (item.role !== 'ASSISTANT' || item.redacted !== undefined || Number(item.revision ?? 0) !== claim.revision) return null;
  return typeof item.regenBy === 'string' && typeof item.regenUntil === 'number' && item.regenUntil >= now ? item.regenBy : null;
}

/** Lets go of the claim, only the caller's own. */
export const replyReleased = (token: string) => ({
  UpdateExpression: expr('REMOVE regenBy, regenToken, regenUntil'),
  ConditionExpression: expr('regenToken = :token', { ':token': token }),
});

/** The replacement's Put condition: the claim is still this call's, and the reply still readable. */
export const claimHeld = (token: string, now: number) => and(replaceableReply(now), expr('regenToken = :token', { ':token': token }));

/**
 * The session side of a replacement: still live and unexpired, the reply still its last seq
 * (no message since), children's ttl not above the reply's. The version moves (a completion
 * that read the conversation before must read it again), and so does `revisions`.
 */
export function replacementCounted(seq: number, ttl: number, at: number, now: number, usage?: TokenUsage) {
  const lastSeqIs = or(expr('lastSeq = :last', { ':last': seq }), and(expr('attribute_not_exists(lastSeq)'), expr('messageCount = :last', { ':last': seq })));
  return {
    UpdateExpression: expr(`SET updatedAt = :at, version = version + :one ADD revisions :one${usageAdded(usage)}`, { ':at': iso(at), ':one': 1, ...usageValues(usage) }),
    ConditionExpression: and(isLiveSession, unexpired(now), childTtlAtMost(ttl), lastSeqIs),
  };
}

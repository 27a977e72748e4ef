import { erasureReach, redactedSession, redactedTransfer, redactionWalker } from '../domain/erasure';
import { Message, Session } from '../domain/session';
import { ErasureCounts } from '../domain/user-data';
import { clientMessageKey } from './items/client-message';
import { mentionKey } from './items/mention';
import { outcomeKey, outcomeResultDropped } from './items/outcome';
import { sessionKey, sessionPk, sessionRewrite, toSession } from './items/session';
import { keyOf } from './keys';
import { isUnexpired, Item, ITEM_PRESENT, params } from './schema';
import { conditional, TableIO } from './table-io';
import { messageRedaction, messagesBetween, toMessage } from './items/message';
import { isCopyOf, toTransfer, transferRewrite, transfersAfter, userTransferCopies } from './items/transfer';

/** One erasure run: whose data, under which pseudonym their name is replaced, and what it did so far. */
export interface ErasureJob {
  tenantId: string;
  userId: string;
  /** Replaces the user's id where another user's data names them (random per erasure, recorded nowhere). */
  pseudonym: string;
  counts: ErasureCounts;
  now: number;
}

/** Versioned rewrites of the session item before giving up (other writers keep winning): the next round tries again. */
const SESSION_ATTEMPTS = 5;

/**
 * Removes an erased user from a session that is someone else's now, by the rules of
 * domain/erasure.ts. False when the session became the user's again (then erased whole).
 */
export async function redactSession(io: TableIO, job: ErasureJob, sessionId: string): Promise<boolean> {
  const erased = await redactMessages(io, job, sessionId);
  await redactTransfers(io, job, sessionId);
  if (!(await rewriteSession(io, job, sessionId, erased > 0))) return false;
  if (await conditional(io.delete({ Key: mentionKey(job.tenantId, sessionId, job.userId), ...params({ ConditionExpression: ITEM_PRESENT }) }))) {
    job.counts.itemsDeleted++;
  }
  return true;
}

/** Walks the conversation in order; returns how many of the user's messages it redacted. */
async function redactMessages(io: TableIO, job: ErasureJob, sessionId: string): Promise<number> {
  const redacts = redactionWalker(job.userId);
  let theirs = 0;
  const range = messagesBetween(job.tenantId, sessionId, null, null)!;
  for await (const page of io.queryPages({ ...params({ KeyConditionExpression: range }), ConsistentRead: true })) {
    for (const item of page) {
      const m = toMessage(item, sessionId);
      const what = redacts(m);
      if (what === 'theirs') theirs++;
      if (what) await redactMessage(io, job, item, m, what === 'theirs');
    }
  }
  return theirs;
}

async function redactMessage(io: TableIO, job: ErasureJob, item: Item, m: Message, written: boolean): Promise<void> {
  // A user message is redacted only while it is still theirs (a rerun finds it redacted already).
  if (await conditional(io.update({ Key: keyOf(item), ...params(messageRedaction(job.userId, written)) }))) job.counts.itemsRedacted++;
  if (written && m.clientMessageId !== undefined) {
    const record = { Key: clientMessageKey(job.tenantId, m.sessionId, m.clientMessageId), ...params({ ConditionExpression: ITEM_PRESENT }) };
    if (await conditional(io.delete(record))) job.counts.itemsDeleted++;
  }
}

/** The history's entries and the other owner's copies name the pseudonym; the user's own copies go (they list the user in byUser). */
async function redactTransfers(io: TableIO, job: ErasureJob, sessionId: string): Promise<void> {
  const range = transfersAfter(job.tenantId, sessionId, -1);
  const copies = userTransferCopies(sessionPk(job.tenantId, sessionId));
  for (const keys of [range, copies]) for await (const page of io.queryPages({ ...params({ KeyConditionExpression: keys }), ConsistentRead: true })) {
    for (const entry of page) {
      if (isCopyOf(entry, job.tenantId, job.userId)) {
        if (await conditional(io.delete({ Key: keyOf(entry), ...params({ ConditionExpression: ITEM_PRESENT }) }))) job.counts.itemsDeleted++;
        continue;
      }
      const before = toTransfer(entry);
      const after = redactedTransfer(before, job.userId, job.pseudonym);
      if (after && (await conditional(io.update({ Key: keyOf(entry), ...params(transferRewrite(before, after, job.userId)) })))) job.counts.itemsRedacted++;
    }
  }
}

/**
 * Rewritten over the version read, so a completion that read the conversation before the
 * redaction fails and extracts again. False: the session is the user's again.
 */
async function rewriteSession(io: TableIO, job: ErasureJob, sessionId: string, redacted: boolean): Promise<boolean> {
  const key = sessionKey(job.tenantId, sessionId);
  for (let attempt = 0; attempt < SESSION_ATTEMPTS; attempt++) {
    const item = await io.get(key);
    if (!isUnexpired(item, job.now)) return true; // gone meanwhile: nothing left to rewrite
    const s = toSession(item);
    if (erasureReach(s, job.userId) === 'whole') return false;
    const rewrite = redactedSession(s, job.userId, job.pseudonym, redacted);
    if (!rewrite) return true;
    if (!(await conditional(io.update({ Key: key, ...params(sessionRewrite(s, rewrite.session)) })))) continue;
    job.counts.itemsRedacted++;
    if (rewrite.resultDropped) await dropOutcomeResult(io, job, s);
    return true;
  }
  return true;
}

/** The owner's outcome, if it is still this session's: its result goes the same way. */
async function dropOutcomeResult(io: TableIO, job: ErasureJob, session: Session): Promise<void> {
  const key = outcomeKey(job.tenantId, session.userId, session.topicId);
  if (await conditional(io.update({ Key: key, ...params(outcomeResultDropped(session.id)) }))) job.counts.itemsRedacted++;
}

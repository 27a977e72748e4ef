import { ERASED_RESULT, ErasureCounts } from '../domain/user-data';
import { clientMessageKey, keyOf, mentionKey, outcomeKey, sessionKey, sessionPk } from './keys';
import { isUnexpired, Item, ITEM_PRESENT, params } from './schema';
import { conditional, TableIO } from './table-io';
import { messageRedaction, messagesBetween } from './items/message';
import { outcomeResultDropped } from './items/outcome';
import { sessionRedaction } from './items/session';
import { isCopyOf, transferRedaction, transfersAfter, userTransferCopies } from './items/transfer';

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
 * Removes an erased user from a session that is someone else's now (it was transferred away
 * from them, or they transferred it as an admin). What goes:
 *
 * - their messages: content replaced by ERASED_CONTENT, author and clientMessageId removed
 *   (the seq stays, so the conversation keeps its shape), and their sendMessage records;
 * - what the coach wrote in answer: its replies to those messages, and a welcome back whose
 *   nearest preceding user message is theirs (it sums up their words);
 * - the session's result and its owner's outcome, when extracted from a conversation with
 *   their messages (a result quotes the conversation verbatim): `resultError` says why;
 * - their id in the transfer history (and its copies: theirs go), the session's transfer
 *   audit, its ownerships and its consents: the pseudonym;
 * - their mention of the session.
 *
 * The other users' own messages, and the coach's replies to them, stay. Returns false when
 * the session became the user's again meanwhile (then it is erased as theirs).
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
  const theirs = new Set<number>();
  let lastAuthor: string | null = null;
  const range = messagesBetween(job.tenantId, sessionId, null, null)!;
  for await (const page of io.queryPages({ ...params({ KeyConditionExpression: range }), ConsistentRead: true })) {
    for (const m of page) {
      if (m.role === 'USER') {
        lastAuthor = typeof m.authorId === 'string' ? m.authorId : null;
        if (lastAuthor !== job.userId) continue;
        theirs.add(Number(m.seq));
        await redactMessage(io, job, sessionId, m, true);
      } else if (typeof m.replyTo === 'number' ? theirs.has(m.replyTo) : lastAuthor === job.userId) {
        await redactMessage(io, job, sessionId, m, false);
      }
    }
  }
  return theirs.size;
}

async function redactMessage(io: TableIO, job: ErasureJob, sessionId: string, m: Item, written: boolean): Promise<void> {
  // A user message is redacted only while it is still theirs (a rerun finds it redacted already).
  if (await conditional(io.update({ Key: keyOf(m), ...params(messageRedaction(job.userId, written)) }))) job.counts.itemsRedacted++;
  if (written && typeof m.clientMessageId === 'string') {
    const record = { Key: clientMessageKey(job.tenantId, sessionId, m.clientMessageId), ...params({ ConditionExpression: ITEM_PRESENT }) };
    if (await conditional(io.delete(record))) job.counts.itemsDeleted++;
  }
}

/**
 * Every transfer entry that names the user names the pseudonym instead (the entry stays: the
 * history is append-only); so do the other owner's copies (myTransfers), and the user's own
 * copies go (they list the user in byUser).
 */
async function redactTransfers(io: TableIO, job: ErasureJob, sessionId: string): Promise<void> {
  const range = transfersAfter(job.tenantId, sessionId, -1);
  const copies = userTransferCopies(sessionPk(job.tenantId, sessionId));
  for (const keys of [range, copies]) for await (const page of io.queryPages({ ...params({ KeyConditionExpression: keys }), ConsistentRead: true })) {
    for (const entry of page) {
      if (isCopyOf(entry, job.tenantId, job.userId)) {
        if (await conditional(io.delete({ Key: keyOf(entry), ...params({ ConditionExpression: ITEM_PRESENT }) }))) job.counts.itemsDeleted++;
        continue;
      }
      const redaction = transferRedaction(entry, job.userId, job.pseudonym);
      if (redaction && (await conditional(io.update({ Key: keyOf(entry), ...params(redaction) })))) job.counts.itemsRedacted++;
    }
  }
}

/**
 * The session item: the pseudonym in its transfer audit and, when the user's messages were
 * redacted, a new version and `redactions` count, and no result extracted from them. Written
 * over the version read: a completion that read the conversation before the redaction fails
 * its condition and extracts again from what is left (lifecycle.ts), and one that got in
 * first has its result removed here. False: the session is the user's again.
 */
async function rewriteSession(io: TableIO, job: ErasureJob, sessionId: string, redacted: boolean): Promise<boolean> {
  const key = sessionKey(job.tenantId, sessionId);
  for (let attempt = 0; attempt < SESSION_ATTEMPTS; attempt++) {
    const s = await io.get(key);
    if (!isUnexpired(s, job.now)) return true; // gone meanwhile: nothing left to rewrite
    if (s.userId === job.userId) return false;
    const rewrite = sessionRedaction(s, job.userId, job.pseudonym, redacted, ERASED_RESULT);
    if (!rewrite) return true;
    const written = await conditional(io.update({ Key: key, ...params({ UpdateExpression: rewrite.update, ConditionExpression: rewrite.condition }) }));
    if (!written) continue;
    job.counts.itemsRedacted++;
    if (rewrite.dropResult) await dropOutcomeResult(io, job, s);
    return true;
  }
  return true;
}

/** The owner's outcome, if it is still this session's: its result goes the same way. */
async function dropOutcomeResult(io: TableIO, job: ErasureJob, session: Item): Promise<void> {
  const key = outcomeKey(job.tenantId, String(session.userId), String(session.topicId));
  if (await conditional(io.update({ Key: key, ...params(outcomeResultDropped(session.sessionId)) }))) job.counts.itemsRedacted++;
}

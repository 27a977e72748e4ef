import { ERASED_CONTENT, ERASED_RESULT, ErasureCounts } from '../domain/user-data';
import { clientMessageKey, keyOf, mentionGsiPk, mentionKey, MESSAGE_SK_FIRST, MESSAGE_SK_LAST, outcomeKey, sessionKey, sessionPk, TRANSFER_SK_LAST, transferSk, USER_TRANSFER_SK_PREFIX } from './keys';
import { and, expr, INDEXES, isUnexpired, Item, ITEM_PRESENT, params } from './schema';
import { conditional, TableIO } from './table-io';
import { USER_TRANSFER } from './user-items';

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
  await redactTransfers(io, job, sessionPk(job.tenantId, sessionId));
  if (!(await rewriteSession(io, job, sessionId, erased > 0))) return false;
  if (await conditional(io.delete({ Key: mentionKey(job.tenantId, sessionId, job.userId), ...params({ ConditionExpression: ITEM_PRESENT }) }))) {
    job.counts.itemsDeleted++;
  }
  return true;
}

/** Walks the conversation in order; returns how many of the user's messages it redacted. */
async function redactMessages(io: TableIO, job: ErasureJob, sessionId: string): Promise<number> {
  const pk = sessionPk(job.tenantId, sessionId);
  const theirs = new Set<number>();
  let lastAuthor: string | null = null;
  const range = expr('pk = :pk AND sk BETWEEN :lo AND :hi', { ':pk': pk, ':lo': MESSAGE_SK_FIRST, ':hi': MESSAGE_SK_LAST });
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
  const condition = written ? and(ITEM_PRESENT, expr('authorId = :u', { ':u': job.userId })) : and(ITEM_PRESENT, expr('attribute_not_exists(redacted)'));
  const update = expr('SET content = :c, redacted = :yes REMOVE authorId, clientMessageId', { ':c': ERASED_CONTENT, ':yes': true });
  if (await conditional(io.update({ Key: keyOf(m), ...params({ UpdateExpression: update, ConditionExpression: condition }) }))) job.counts.itemsRedacted++;
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
async function redactTransfers(io: TableIO, job: ErasureJob, pk: string): Promise<void> {
  const range = expr('pk = :pk AND sk BETWEEN :lo AND :hi', { ':pk': pk, ':lo': transferSk(0), ':hi': TRANSFER_SK_LAST });
  const copies = expr('pk = :pk AND begins_with(sk, :prefix)', { ':pk': pk, ':prefix': USER_TRANSFER_SK_PREFIX });
  const theirs = mentionGsiPk(job.tenantId, job.userId);
  for (const keys of [range, copies]) for await (const page of io.queryPages({ ...params({ KeyConditionExpression: keys }), ConsistentRead: true })) {
    for (const entry of page) {
      if (entry.type === USER_TRANSFER && entry[INDEXES.byUser.pk] === theirs) {
        if (await conditional(io.delete({ Key: keyOf(entry), ...params({ ConditionExpression: ITEM_PRESENT }) }))) job.counts.itemsDeleted++;
        continue;
      }
      const names = (['fromUserId', 'toUserId', 'byUserId'] as const).filter((a) => entry[a] === job.userId);
      if (!names.length) continue;
      const update = expr(`SET ${names.map((a) => `${a} = :p`).join(', ')}`, { ':p': job.pseudonym });
      const condition = and(ITEM_PRESENT, expr(`${names[0]} = :u`, { ':u': job.userId }));
      if (await conditional(io.update({ Key: keyOf(entry), ...params({ UpdateExpression: update, ConditionExpression: condition }) }))) job.counts.itemsRedacted++;
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
    const sets: string[] = [];
    const values: Record<string, unknown> = { ':one': 1 };
    for (const attribute of ['transferredFrom', 'transferredBy'] as const) {
      if (s[attribute] !== job.userId) continue;
      sets.push(`${attribute} = :p`);
      values[':p'] = job.pseudonym;
    }
    // Their ownerships and consent name the pseudonym: who may see the (redacted) turns stays as it was.
    const owners = Array.isArray(s.owners) ? (s.owners as Item[]) : [];
    if (owners.some((o) => o.userId === job.userId)) {
      sets.push('#owners = :owners');
      values[':owners'] = owners.map((o) => (o.userId === job.userId ? { ...o, userId: job.pseudonym } : o));
    }
    const shared = Array.isArray(s.sharedBy) ? (s.sharedBy as unknown[]) : [];
    if (shared.includes(job.userId)) {
      sets.push('sharedBy = :shared');
      values[':shared'] = shared.map((u) => (u === job.userId ? job.pseudonym : u));
    }
    const dropResult = redacted && s.status === 'COMPLETED' && typeof s.result === 'string';
    if (dropResult) {
      sets.push('resultError = :why');
      values[':why'] = ERASED_RESULT;
    }
    if (!sets.length && !redacted) return true;
    const clauses = [sets.length ? `SET ${sets.join(', ')}` : '', dropResult ? 'REMOVE #result' : '', `ADD version :one${redacted ? ', redactions :one' : ''}`];
    const names = { ...(dropResult ? { '#result': 'result' } : {}), ...(sets.some((x) => x.startsWith('#owners')) ? { '#owners': 'owners' } : {}) };
    const update = expr(clauses.filter(Boolean).join(' '), values, Object.keys(names).length ? names : undefined);
    const condition = expr('version = :v', { ':v': s.version });
    const written = await conditional(io.update({ Key: key, ...params({ UpdateExpression: update, ConditionExpression: condition }) }));
    if (!written) continue;
    job.counts.itemsRedacted++;
    if (dropResult) await dropOutcomeResult(io, job, s);
    return true;
  }
  return true;
}

/** The owner's outcome, if it is still this session's: its result goes the same way. */
async function dropOutcomeResult(io: TableIO, job: ErasureJob, session: Item): Promise<void> {
  const key = outcomeKey(job.tenantId, String(session.userId), String(session.topicId));
  const update = expr('SET resultError = :why REMOVE #result', { ':why': ERASED_RESULT }, { '#result': 'result' });
  const condition = expr('sessionId = :sid', { ':sid': session.sessionId });
  if (await conditional(io.update({ Key: key, ...params({ UpdateExpression: update, ConditionExpression: condition }) }))) job.counts.itemsRedacted++;
}

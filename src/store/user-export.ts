import { badInput } from '../domain/errors';
import { isSessionId, isTopicId, messageId } from '../domain/ids';
import { Session } from '../domain/session';
import { ExportPage } from '../domain/user-data';
import { maxMessageBytes, PAGE_BYTE_BUDGET } from '../domain/page-budget';
import { visibleToOwner } from '../domain/visibility';
import { AdminPageRequest } from '../sessions/admin-repository';
import { MENTION, mentionGsiPk, mentionKey } from './items/mention';
import { ownerOf, refOf, sessionKey, toSession, userGsiPk } from './items/session';
import { Expression, INDEXES, indexKeys, isoTime, isUnexpired, Item, params, typeOf } from './schema';
import { itemBytes, TableIO } from './table-io';
import { isActivityPosition } from './cursor';
import { auditIsLive, auditSummary, ERASURE } from './items/erasure-audit';
import { idleNotifiedFor } from './items/idle-notice';
import { messagesBetween, seqOf, toMessage } from './items/message';
import { outcomeIsLive, outcomesAfter, topicOf, toOutcome } from './items/outcome';
import { namesUser, toTransfer, transfersAfter } from './items/transfer';

/**
 * An export's cursor: the phase (o: outcomes, s: sessions, m: mentions and audits), the
 * position in it, and inside one session the part (messages, transfers) and last seq.
 */
interface State {
  p: 'o' | 's' | 'm';
  o?: string;
  s?: string;
  part?: 'msg' | 'xfer';
  seq?: number;
}

/** Store calls one page may make: a page ends early rather than grow (a long history is many pages). */
export const EXPORT_CALLS_PER_PAGE = 20;
/** The largest item a page expects (a message at the default MAX_MESSAGE_CHARS); a larger one (a long result) may pass the budget by its size. */
const EXPORT_ITEM_BYTES = maxMessageBytes(4000);
/** Sessions read per outer query (each is then walked, message page by message page). */
const OUTER_BATCH = 10;
/** Message items read per query of a session the user does not own (most are not theirs). */
const FOREIGN_BATCH = 100;
const MAX_CURSOR_LENGTH = 600;
/** A position in the user's mention partition: a session's mention, an audit, or a transfer copy (myTransfers; skipped here). */
const MENTION_POSITION = /^(S#ses_[0-9A-Z]{26}|A#\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f]{16}|X#\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#ses_[0-9A-Z]{26}#\d{8})$/;

/**
 * exportMyData (docs/administration.md), one page at a time: at most EXPORT_CALLS_PER_PAGE
 * reads, PAGE_BYTE_BUDGET bytes and `limit` records, so any history exports in bounded memory.
 */
export class UserExport {
  constructor(private readonly io: TableIO) {}

  async page(tenantId: string, userId: string, request: AdminPageRequest, now: number): Promise<ExportPage> {
    const run = new Run(this.io, tenantId, userId, request.limit, now);
    const state = request.cursor === null ? { p: 'o' as const } : decode(request.cursor);
    if (state.s) await run.checkResume(state);
    const done = await run.fill(state);
    return { records: run.records, cursor: done ? null : encode(state) };
  }
}

class Run {
  readonly records: Record<string, unknown>[] = [];
  private calls = 0;
  private bytes = 0;
  /** The user's own session being exported: of its conversation, what they may read (visibility.ts). */
  private owned: Session | null = null;

  constructor(
    private readonly io: TableIO,
    private readonly tenantId: string,
    private readonly userId: string,
    private readonly limit: number,
    private readonly now: number,
  ) {}

  private get full() {
    return this.records.length >= this.limit || this.calls >= EXPORT_CALLS_PER_PAGE || this.room < 1;
  }

  /** Items of the largest expected size the byte budget still has room for. */
  private get room() {
    return Math.floor((PAGE_BYTE_BUDGET - this.bytes) / EXPORT_ITEM_BYTES);
  }

  /** A cursor inside a session names one of the user's own (phase s) or one that mentions them (phase m); anything else is forged. */
  async checkResume(state: State): Promise<void> {
    this.calls++;
    const own = state.p === 's' ? await this.io.get(sessionKey(this.tenantId, state.s!)) : undefined;
    const ok = state.p === 's' ? own !== undefined && ownerOf(own).userId === this.userId : state.p === 'm' && (await this.io.get(mentionKey(this.tenantId, state.s!, this.userId))) !== undefined;
    if (!ok) throw invalidCursor();
    if (own) this.owned = toSession(own);
  }

  /** Advances `state` until the page is full; true when everything has been exported. */
  async fill(state: State): Promise<boolean> {
    while (!this.full) {
      if (state.s) {
        await this.sessionChildren(state);
        continue;
      }
      if (state.p === 'o') {
        if (await this.outcomes(state)) Object.assign(state, { p: 's', o: undefined });
      } else if (await this.outer(state)) {
        if (state.p === 'm') return true;
        Object.assign(state, { p: 'm', o: undefined });
      }
    }
    return false;
  }

  /** Outcomes after state.o; true when they are all done. */
  private async outcomes(state: State): Promise<boolean> {
    const want = this.limit - this.records.length;
    const { items, done } = await this.query(outcomesAfter(this.tenantId, this.userId, state.o ?? null), want);
    for (const item of items) {
      state.o = topicOf(item);
      if (!outcomeIsLive(item, this.now)) continue;
      const o = toOutcome(item);
      this.records.push({ type: 'outcome', topicId: o.topicId, sessionId: o.sessionId, completedAt: isoTime(o.completedAt), result: o.result, resultError: o.resultError, expiresAt: time(o.expiresAt) });
    }
    return done;
  }

  /** The next sessions (phase s) or mentions (phase m) after state.o; true when the phase is done. */
  private async outer(state: State): Promise<boolean> {
    const index = INDEXES.byUser;
    const partition = state.p === 's' ? userGsiPk(this.tenantId, this.userId) : mentionGsiPk(this.tenantId, this.userId);
    const keys = indexKeys(index, partition, state.o === undefined ? {} : { above: state.o });
    const { items, done } = await this.query(keys, OUTER_BATCH, index.name);
    for (const item of items) {
      if (this.full) return false;
      state.o = String(item[index.sk]);
      if (state.p === 's') {
        if (!isUnexpired(item, this.now)) continue;
        this.records.push(sessionRecord(item));
        this.owned = toSession(item);
        Object.assign(state, { s: this.owned.id, part: 'msg', seq: 0 });
        await this.sessionChildren(state);
      } else if (typeOf(item) === ERASURE) {
        // Past its retention it counts as absent, like every item.
        if (!auditIsLive(item, this.now)) continue;
        this.records.push({ type: 'erasure', ...auditSummary(item) });
      } else if (typeOf(item) === MENTION) {
        // A session the user does not own (any more): only what is theirs, and only while it is readable.
        this.calls++;
        const { sessionId } = refOf(item);
        const session = await this.io.get(sessionKey(this.tenantId, sessionId));
        if (!isUnexpired(session, this.now) || ownerOf(session).userId === this.userId) continue;
        Object.assign(state, { s: sessionId, part: 'msg', seq: 0 });
        await this.sessionChildren(state);
      }
    }
    // Stopped inside a session: the phase goes on from it.
    return !state.s && done;
  }

  /** Messages, then transfer entries, of state.s after state.seq; clears state.s when the session is done. */
  private async sessionChildren(state: State): Promise<void> {
    const own = state.p === 's';
    while (!this.full && state.s) {
      const msg = state.part === 'msg';
      const keys = msg ? messagesBetween(this.tenantId, state.s, state.seq! + 1, null) : transfersAfter(this.tenantId, state.s, state.seq!);
      const want = own ? this.limit - this.records.length : FOREIGN_BATCH;
      const { items, done } = keys ? await this.query(keys, want) : { items: [], done: true };
      for (const item of items) {
        if (this.records.length >= this.limit) return;
        state.seq = seqOf(item);
        if (!isUnexpired(item, this.now)) continue;
        const record = msg ? messageRecord(item, state.s) : transferRecord(item);
        const mine = msg ? (own ? visibleToOwner(this.owned!, toMessage(item, state.s)) : toMessage(item, state.s).authorId === this.userId) : own || namesUser(item, this.userId);
        if (mine) this.records.push(record);
      }
      if (done) Object.assign(state, msg ? { part: 'xfer', seq: 0 } : { s: undefined, part: undefined, seq: undefined });
    }
  }

  /** Up to `want` items, fewer when the byte budget has less room; done: the query has no more. */
  private async query(keys: Expression, want: number, indexName?: string): Promise<{ items: Item[]; done: boolean }> {
    this.calls++;
    const limit = Math.min(want, Math.max(this.room, 1));
    const items = await this.io.query({ ...(indexName ? { IndexName: indexName } : { ConsistentRead: true }), ...params({ KeyConditionExpression: keys }), Limit: limit });
    for (const item of items) this.bytes += itemBytes(item);
    return { items, done: items.length < limit };
  }
}

const time = (ms: number | null) => (ms === null ? null : isoTime(ms));

function sessionRecord(item: Item): Record<string, unknown> {
  const s = toSession(item);
  return {
    type: 'session',
    sessionId: s.id,
    topicId: s.topicId,
    userId: s.userId,
    status: s.status,
    createdAt: isoTime(s.createdAt),
    updatedAt: isoTime(s.updatedAt),
    lastActivityAt: isoTime(s.lastActivityAt),
    endedAt: time(s.endedAt),
    expiresAt: isoTime(s.expiresAt),
    messageCount: s.messageCount,
    turnCount: s.turnCount ?? 0,
    result: s.result ?? null,
    resultError: s.resultError ?? null,
    // The coach's memory of it (only ever made of what this owner may read).
    title: s.title ?? null,
    summary: s.summary ?? null,
    // What the model calls stored for it consumed (the monthly per-user counter is that, summed by month).
    usage: s.usage ?? null,
    transferredAt: time(s.transfer?.at ?? null),
    transferredBy: s.transfer?.by ?? null,
    transferredFrom: s.transfer?.from ?? null,
    // The idle notice marker: an idle notification was sent for the idle period that began then.
    idleNotifiedFor: idleNotifiedFor(item),
  };
}

function messageRecord(item: Item, sessionId: string): Record<string, unknown> {
  const m = toMessage(item, sessionId);
  return {
    type: 'message',
    sessionId,
    id: messageId(sessionId, m.seq, m.revision),
    role: m.role,
    content: m.content,
    createdAt: isoTime(m.createdAt),
    authorId: m.authorId ?? null,
    inReplyTo: m.replyTo !== undefined ? messageId(sessionId, m.replyTo) : null,
    clientMessageId: m.clientMessageId ?? null,
    usage: m.usage ?? null,
  };
}

function transferRecord(item: Item): Record<string, unknown> {
  const t = toTransfer(item);
  return { type: 'transfer', sessionId: t.sessionId, at: isoTime(t.at), fromUserId: t.from, toUserId: t.to, byUserId: t.by };
}

// ---- the cursor: base64url JSON of State, checked field by field --------------------

const encode = (state: State) => Buffer.from(JSON.stringify(state)).toString('base64url');
const invalidCursor = () => badInput('Invalid cursor', { argumentName: 'after' });

function decode(cursor: string): State {
  let raw: unknown;
  try {
    raw = cursor.length <= MAX_CURSOR_LENGTH ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  } catch {
    throw invalidCursor();
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidCursor();
  const { p, o, s, part, seq, ...rest } = raw as Record<string, unknown>;
  const position = p === 'o' ? isTopicIdString : p === 's' ? isActivityPosition : p === 'm' ? matches(MENTION_POSITION) : null;
  const inside = s === undefined ? part === undefined && seq === undefined : typeof s === 'string' && isSessionId(s) && (part === 'msg' || part === 'xfer') && isSeq(seq);
  if (!position || Object.keys(rest).length || (o !== undefined && !position(o)) || !inside || (s !== undefined && p === 'o')) throw invalidCursor();
  return raw as State;
}

const isTopicIdString = (v: unknown) => typeof v === 'string' && isTopicId(v);
const matches = (re: RegExp) => (v: unknown) => typeof v === 'string' && re.test(v);
const isSeq = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 10 ** 8;

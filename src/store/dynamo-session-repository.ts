import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isLive, Message, Session } from '../domain/session';
import { ErasureCounts, ExportPage, Outcome, TransferEntry } from '../domain/user-data';
import { AdminPageRequest, AdminRepository, TransferPage, TransferPageRequest, UserTransferPageRequest } from '../sessions/admin-repository';
import {
  ByteBudget,
  ClientMessageRecord,
  DuplicateClientMessageError,
  DuplicateReplyError,
  Hold,
  MemoryWrite,
  RatingCounted,
  MessagePageRequest,
  OutcomePage,
  OutcomePageRequest,
  RegenerationRecord,
  ReplyClaim,
  ReplyClaimLostError,
  ReplyClaimResult,
  ReplyReplacement,
  SessionPage,
  SessionPageRequest,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from '../sessions/repository';
import { AdminQueries } from './admin-queries';
import { ChildTtlTracker, childTtlOf } from './child-ttl';
import { cursorOf, startKeyOf } from './cursor';
import { clientMessageKey, toClientMessageRecord } from './items/client-message';
import { holdKey, toHold } from './items/hold';
import { messageKey, messageRating, messagesBetween, toMessage } from './items/message';
import { claimHolder, regenerationKey, replyClaimed, replyReleased, toRegenerationRecord } from './items/regeneration';
import { isLiveItem, sessionFilter, sessionKey, toSession, toStoredSession, userGsiPk } from './items/session';
import { nextIndexedAt } from './items/session-indexes';
import { memoryUpdate } from './items/session-coach';
import { hasUsage, TokenUsage } from '../domain/usage';
import { INDEXES, indexKeys, isUnexpired, Item, params } from './schema';
import { conditional, TableIO } from './table-io';
import {
  appendMessageTx,
  appendReplyTx,
  completeSessionTx,
  createSessionTx,
  markReplyFailedUpdate,
  replaceSessionTx,
  SessionWrite,
  rateMessageTx,
  storeMemoryTx,
  transferSessionTx,
  usageOnlyTx,
  updateSessionTx,
} from './transactions';
import { Erasure } from './erasure';
import { UserExport } from './user-export';
import { UserQueries } from './user-queries';

/**
 * The DynamoDB implementation of both repository ports (single table, see keys.ts).
 * Requests go through table-io.ts; the transactions are built in transactions.ts. What a
 * write needs of the item it writes over (children's ttl floor, admin index time) travels
 * with the session that was read (`Session.stored`), and a write records it on `next`.
 */
export class DynamoSessionRepository implements SessionRepository, AdminRepository {
  private readonly io: TableIO;
  private readonly children: ChildTtlTracker;
  private readonly admin: AdminQueries;
  private readonly users: UserQueries;

  /** `erasureAuditRetentionDays`: ERASURE_AUDIT_RETENTION_DAYS (default 365). */
  constructor(
    db: DynamoDBDocumentClient,
    table: string,
    private readonly options: { erasureAuditRetentionDays?: number } = {},
  ) {
    this.io = new TableIO(db, table);
    this.children = new ChildTtlTracker(this.io);
    this.admin = new AdminQueries(this.io);
    this.users = new UserQueries(this.io);
  }

  // ---- reads ---------------------------------------------------------------

  async findHolder(tenantId: string, topicId: string, now: number): Promise<Hold | null> {
    const item = await this.io.get(holdKey(tenantId, topicId));
    return isUnexpired(item, now) && isLiveItem(item) ? toHold(item) : null;
  }

  async getSession(tenantId: string, sessionId: string, now: number): Promise<Session | null> {
    const item = await this.io.get(sessionKey(tenantId, sessionId));
    return isUnexpired(item, now) ? toStoredSession(item) : null;
  }

  async getSessions(tenantId: string, sessionIds: readonly string[], now: number): Promise<(Session | null)[]> {
    // The common case (one `session(id)` per request) is a plain GetItem: same read units, a lighter call.
    const keys = sessionIds.map((id) => sessionKey(tenantId, id));
    const items = keys.length === 1 ? [await this.io.get(keys[0])] : await this.io.batchGet(keys);
    return items.map((item) => (isUnexpired(item, now) ? toStoredSession(item) : null));
  }

  async getClientMessage(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<ClientMessageRecord | null> {
    const item = await this.io.get(clientMessageKey(tenantId, sessionId, clientMessageId));
    return isUnexpired(item, now) ? toClientMessageRecord(item) : null;
  }

  async markReplyFailed(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<void> {
    // A reply got recorded meanwhile (a concurrent retry): nothing to note.
    await conditional(this.io.update(markReplyFailedUpdate(clientMessageKey(tenantId, sessionId, clientMessageId), now)));
  }

  async getMessages(tenantId: string, sessionId: string, seqs: readonly number[], now: number): Promise<Message[]> {
    const items = await this.io.batchGet(seqs.map((seq) => messageKey(tenantId, sessionId, seq)));
    return items.filter((i): i is Item => isUnexpired(i, now)).map((i) => toMessage(i, sessionId));
  }

  async rateMessage(tenantId: string, sessionId: string, seq: number, rating: number, comment: string | null, now: number, counted?: RatingCounted): Promise<boolean> {
    if (!counted) return conditional(this.io.update({ Key: messageKey(tenantId, sessionId, seq), ...params(messageRating(rating, comment, now)) }));
    const lost = new StaleSessionError(sessionId);
    return this.io.transact(rateMessageTx(this.io.table, tenantId, sessionId, seq, rating, comment, now, counted), () => lost).then(() => true, (e) => (e === lost ? false : Promise.reject(e)));
  }

  async listMessages(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Promise<Message[]> {
    return (await this.readMessages(tenantId, sessionId, page, null, now)).messages;
  }

  listMessagePage(tenantId: string, sessionId: string, page: MessagePageRequest, budget: ByteBudget, now: number) {
    return this.readMessages(tenantId, sessionId, page, budget, now);
  }

  private async readMessages(tenantId: string, sessionId: string, page: MessagePageRequest, budget: ByteBudget | null, now: number) {
    const forward = page.direction === 'forward';
    const until = page.until ?? null;
    // Seqs from lo to hi, inclusive (null: the first, the last).
    const lo = forward ? (page.from !== null ? page.from + 1 : null) : until !== null ? Math.max(until, 0) : null;
    const hi = !forward ? (page.from !== null ? Math.max(page.from - 1, 0) : null) : until !== null && until < 10 ** 8 ? Math.max(until, 0) : null;
    const range = messagesBetween(tenantId, sessionId, lo, hi);
    if (!range) return { messages: [], cut: false, bytes: 0 };
    const input = { ...params({ KeyConditionExpression: range }), ScanIndexForward: forward, ConsistentRead: true };
    const { items, cut, bytes } = budget ? await this.io.queryBudgetedPage(input, page.limit, budget) : { items: await this.io.query({ ...input, Limit: page.limit }), cut: false, bytes: 0 };
    const messages = items.filter((i) => isUnexpired(i, now)).map((i) => toMessage(i, sessionId));
    return { messages: forward ? messages : messages.reverse(), cut, bytes };
  }

  async listUserSessions(tenantId: string, userId: string, page: SessionPageRequest, now: number): Promise<SessionPage> {
    const index = INDEXES.byUser;
    const partition = userGsiPk(tenantId, userId);
    const startKey = page.cursor ? startKeyOf(page.cursor, tenantId, index, partition) : undefined;
    const keys = indexKeys(index, partition);
    const filter = sessionFilter(now, page.statuses);
    const found = await this.io.queryFilteredPage(
      { IndexName: index.name, ...params({ KeyConditionExpression: keys, FilterExpression: filter }), ScanIndexForward: false },
      page.limit,
      startKey,
    );
    const items = found.slice(0, page.limit);
    return {
      // A listing, only shown: without `stored` (a write from it reads what it lacks).
      sessions: items.map(toSession),
      cursors: items.map((i) => cursorOf(i, index)),
      hasNextPage: found.length > page.limit,
    };
  }

  listOutcomes(tenantId: string, userId: string, page: OutcomePageRequest, now: number): Promise<OutcomePage> {
    return this.users.listOutcomes(tenantId, userId, page, now);
  }

  async ping(): Promise<void> {
    await this.io.get({ pk: 'PING', sk: 'PING' }, { consistent: false });
  }

  // ---- admin (admin-queries.ts) --------------------------------------------

  listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    return this.admin.listIdleSessions(tenantId, before, page, now);
  }

  listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    return this.admin.listTenantSessions(tenantId, topicIds, page, now);
  }

  listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage> {
    return this.users.listTransfers(tenantId, sessionId, page, now);
  }

  listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage> {
    return this.users.listUserTransfers(tenantId, userId, page, now);
  }

  isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean> {
    return this.users.isKnownUser(tenantId, userId, now);
  }

  // ---- a user's data rights (erasure.ts, user-export.ts) ----------------------

  eraseUserData(tenantId: string, userId: string, actorId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts> {
    return new Erasure(this.io, this.options.erasureAuditRetentionDays).eraseUser(tenantId, userId, actorId, topicIds, now);
  }

  exportUserData(tenantId: string, userId: string, page: AdminPageRequest, now: number): Promise<ExportPage> {
    return new UserExport(this.io).page(tenantId, userId, page, now);
  }

  // ---- writes (transactions.ts; the ttl floors: child-ttl.ts) ----------------

  async createSession(session: Session, first: Message, now: number): Promise<void> {
    const childTtl = childTtlOf(session);
    await this.io.transact(createSessionTx(this.io.table, session, first, childTtl, now), (part, old) =>
      part === 'hold' && old ? new TopicHeldError(toHold(old)) : new StaleSessionError(session.id),
    );
    wrote(session, childTtl, session.lastActivityAt);
  }

  async replaceSession(previous: Session, ended: Session, session: Session, first: Message, now: number): Promise<void> {
    const childTtl = childTtlOf(session);
    const end = await this.sessionWrite(previous, ended, now);
    await this.io.transact(replaceSessionTx(this.io.table, end, session, first, childTtl, now), () => new StaleSessionError(previous.id));
    wrote(session, childTtl, session.lastActivityAt);
    await this.children.settle(ended);
  }

  async updateSession(previous: Session, next: Session, now: number): Promise<void> {
    const w = await this.sessionWrite(previous, next, now);
    await this.io.transact(updateSessionTx(this.io.table, w, now), () => new StaleSessionError(previous.id));
    wrote(next, w.floor.after, w.indexedAt.after);
    if (!isLive(next.status)) await this.children.settle(next);
  }

  async completeSession(previous: Session, next: Session, outcome: Outcome, now: number, usage?: TokenUsage): Promise<void> {
    const w = await this.sessionWrite(previous, next, now);
    await this.io.transact(completeSessionTx(this.io.table, w, outcome, now, usage && hasUsage(usage) ? usage : undefined), () => new StaleSessionError(previous.id));
    wrote(next, w.floor.after, w.indexedAt.after);
    await this.children.settle(next);
  }

  async transferSession(previous: Session, next: Session, entry: TransferEntry, now: number): Promise<void> {
    const w = await this.sessionWrite(previous, next, now);
    await this.io.transact(transferSessionTx(this.io.table, w, entry, childTtlOf(next), now), () => new StaleSessionError(previous.id));
    wrote(next, w.floor.after, w.indexedAt.after);
  }

  async appendMessage(previous: Session, next: Session, message: Message, clientMessageId: string | null, now: number): Promise<void> {
    const w = await this.sessionWrite(previous, next, now);
    const tx = appendMessageTx(this.io.table, w, message, clientMessageId, childTtlOf(next), now);
    await this.io.transact(tx, (part, old) => {
      if (part === 'clientMessage' && old) return new DuplicateClientMessageError(toClientMessageRecord(old));
      return new StaleSessionError(previous.id);
    });
    wrote(next, w.floor.after, w.indexedAt.after);
  }

  async appendReply(session: Session, reply: Message, now: number, replacing?: ReplyReplacement): Promise<void> {
    await this.io.transact(appendReplyTx(this.io.table, session, reply, childTtlOf(session), now, replacing), (part, old) => {
      if (replacing) return part === 'reply' ? new ReplyClaimLostError() : new StaleSessionError(session.id);
      return part === 'reply' && old ? new DuplicateReplyError(toMessage(old, session.id)) : new StaleSessionError(session.id);
    });
  }

  async claimReply(tenantId: string, sessionId: string, seq: number, claim: ReplyClaim, now: number): Promise<ReplyClaimResult> {
    const key = messageKey(tenantId, sessionId, seq);
    if (await conditional(this.io.update({ Key: key, ...params(replyClaimed(claim, now)) }))) return 'claimed';
    const holder = claimHolder(await this.io.get(key), claim, now);
    return holder === null ? 'changed' : { heldBy: holder };
  }

  async releaseReply(tenantId: string, sessionId: string, seq: number, token: string): Promise<void> {
    await conditional(this.io.update({ Key: messageKey(tenantId, sessionId, seq), ...params(replyReleased(token)) }));
  }

  async getRegeneration(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<RegenerationRecord | null> {
    const item = await this.io.get(regenerationKey(tenantId, sessionId, clientMessageId));
    return isUnexpired(item, now) ? toRegenerationRecord(item) : null;
  }

  async storeMemory(session: Session, memory: MemoryWrite, usage: TokenUsage | null, now: number): Promise<boolean> {
    if (!hasUsage(usage)) return conditional(this.io.update({ Key: sessionKey(session.tenantId, session.id), ...memoryUpdate(session, memory, now) }));
    const lost = new StaleSessionError(session.id);
    const written = await this.io.transact(storeMemoryTx(this.io.table, session, memory, usage, now), () => lost).then(() => true, (e) => (e === lost ? false : Promise.reject(e)));
    // The model call was made all the same: its tokens count.
    if (!written) await this.io.transact(usageOnlyTx(this.io.table, session, usage, now), () => lost);
    return written;
  }

  /** What a versioned write of `next` over `previous` changes of the store's own attributes (floor, index time). */
  private async sessionWrite(previous: Session, next: Session, now: number): Promise<SessionWrite> {
    const floor = await this.children.floorFor(previous, next, now);
    const before = previous.stored?.indexedAt ?? null;
    // The admin keys follow the activity lazily (an ending only removes the sparse ones).
    const after = nextIndexedAt(before, next);
    return { previous, next, floor, indexedAt: { before, after } };
  }
}

/** What a write stored on the session item, recorded on the session written: the next write from it reads nothing more. */
function wrote(session: Session, childTtl: number, indexedAt: number): void {
  session.stored = { childTtl, indexedAt };
}

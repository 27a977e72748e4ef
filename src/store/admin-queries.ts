import { isLive, Session, SessionStatus } from '../domain/session';
import { AdminPageRequest, ErasureCounts } from '../sessions/admin-repository';
import { SessionPage, SessionPageRequest } from '../sessions/repository';
import { cursorOf, decodeCursor, startKeyOf } from './cursor';
import { holdKey, keyOf, sessionKey, sessionPk, tenantLiveGsiPk, tenantTopicGsiPk, userGsiPk } from './keys';
import { expr, IndexSpec, INDEXES, isoTime, isUnexpired, Item, params } from './schema';
import { conditional, TableIO } from './table-io';

/** Erasure re-reads the user's index until nothing new appears (a session started meanwhile); bounded. */
const ERASURE_ROUNDS = 5;

type SessionRef = { sessionId: string; topicId: string };
/** A session item found through a keys-only index, with the index entry that found it. */
type Found = { item: Item; entry: Item };

/**
 * The admin reads and the erasure of DynamoSessionRepository (kept apart from the session
 * write paths). Every query stays in one tenant's index partitions; none scans.
 */
export class AdminQueries {
  constructor(
    private readonly io: TableIO,
    /** Turns an item into a session (the repository's, so it remembers childTtl). */
    private readonly toSession: (item: Item) => Session,
  ) {}

  /**
   * byTenantIdle: live sessions only (sparse), key condition gsi2sk < cutoff, oldest first.
   * The index time may lag the activity (admin-items.ts) but is never later, so it finds
   * every idle session; each is kept only if it is live, unexpired and idle by its own item.
   */
  async listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    const index = INDEXES.byTenantIdle;
    const partition = tenantLiveGsiPk(tenantId);
    const cut = isoTime(before);
    const startKey = page.cursor ? startKeyOf(page.cursor, tenantId, index, partition, cut) : undefined;
    if (startKey === null) return { sessions: [], cursors: [], hasNextPage: false };
    const keys = expr(`${index.pk} = :p AND ${index.sk} < :cut`, { ':p': partition, ':cut': cut });
    const idle = (i: Item) => isUnexpired(i, now) && isLive(i.status as SessionStatus) && Date.parse(String(i.lastActivityAt)) < before;
    const found = await this.io.queryKeysPage({ IndexName: index.name, ...params({ KeyConditionExpression: keys }), ScanIndexForward: true }, page.limit, startKey, idle);
    return this.page(found, page.limit, index);
  }

  /**
   * byTenantTopic, one query per topic (one topic, or the catalogue's when none is given),
   * merged by recency. The cursor is a position in the shared sort order (cursor.ts), so
   * it bounds every topic's query alike.
   */
  async listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    const index = INDEXES.byTenantTopic;
    const after = page.cursor ? decodeCursor(page.cursor).position : null;
    const perTopic = await Promise.all(topicIds.map((topicId) => this.topicSessions(tenantId, topicId, page, after, now)));
    const position = (f: Found) => String(f.entry[index.sk]);
    const merged = perTopic.flat().sort((a, b) => (position(a) < position(b) ? 1 : -1));
    return this.page(merged, page.limit, index);
  }

  private async topicSessions(tenantId: string, topicId: string, page: SessionPageRequest, after: string | null, now: number): Promise<Found[]> {
    const index = INDEXES.byTenantTopic;
    const keys = after
      ? expr(`${index.pk} = :p AND ${index.sk} < :after`, { ':p': tenantTopicGsiPk(tenantId, topicId), ':after': after })
      : expr(`${index.pk} = :p`, { ':p': tenantTopicGsiPk(tenantId, topicId) });
    const wanted = (i: Item) => isUnexpired(i, now) && (!page.statuses || page.statuses.includes(i.status as SessionStatus));
    const found = await this.io.queryKeysPage({ IndexName: index.name, ...params({ KeyConditionExpression: keys }), ScanIndexForward: false }, page.limit, undefined, wanted);
    return found.slice(0, page.limit + 1);
  }

  private page(found: Found[], limit: number, index: IndexSpec): SessionPage {
    const items = found.slice(0, limit);
    return {
      sessions: items.map((f) => this.toSession(f.item)),
      // The index entry's position, not the item's: the item may have moved on since.
      cursors: items.map((f) => cursorOf(f.entry, index)),
      hasNextPage: found.length > limit,
    };
  }

  // ---- erasure ------------------------------------------------------------------

  async eraseUserSessions(tenantId: string, userId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts> {
    void now; // expired sessions are erased too: nothing here filters on ttl
    const counts: ErasureCounts = { sessionsDeleted: 0, itemsDeleted: 0 };
    const erased = new Set<string>();
    for (let round = 0; round < ERASURE_ROUNDS; round++) {
      const found = [...(await this.userSessions(tenantId, userId)), ...(await this.heldBy(tenantId, userId, topicIds))];
      const fresh = new Map(found.filter((s) => !erased.has(s.sessionId)).map((s) => [s.sessionId, s.topicId]));
      if (!fresh.size) break;
      for (const [sessionId, topicId] of fresh) {
        await this.eraseSession(tenantId, sessionId, topicId, counts);
        erased.add(sessionId);
      }
    }
    return counts;
  }

  /** Every session of the user in byUser, with no ttl filter: expired-but-undeleted ones too. */
  private async userSessions(tenantId: string, userId: string): Promise<SessionRef[]> {
    const index = INDEXES.byUser;
    const out: SessionRef[] = [];
    const pages = this.io.queryPages({
      IndexName: index.name,
      ...params({ KeyConditionExpression: expr(`${index.pk} = :u`, { ':u': userGsiPk(tenantId, userId) }) }),
      ProjectionExpression: 'sessionId, topicId',
    });
    for await (const page of pages) for (const i of page) out.push(refOf(i));
    return out;
  }

  /** Live sessions of the user found through the topics' holds (consistent reads, none missed: table-io.ts). */
  private async heldBy(tenantId: string, userId: string, topicIds: readonly string[]): Promise<SessionRef[]> {
    const holds = await this.io.batchGet(topicIds.map((t) => holdKey(tenantId, t)));
    return holds.filter((h): h is Item => h?.userId === userId).map(refOf);
  }

  /**
   * The session item first (any concurrent versioned write then fails its condition), then
   * the hold only if it still names this session, then the partition's messages and records.
   */
  private async eraseSession(tenantId: string, sessionId: string, topicId: string, counts: ErasureCounts): Promise<void> {
    const old = await this.io.delete({ Key: sessionKey(tenantId, sessionId), ReturnValues: 'ALL_OLD' });
    if (old.Attributes) {
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
    }
    // The hold may be someone else's by now, or gone: then it stays as it is.
    const hold = { Key: holdKey(tenantId, topicId), ...params({ ConditionExpression: expr('sessionId = :id', { ':id': sessionId }) }) };
    if (await conditional(this.io.delete(hold))) counts.itemsDeleted++;
    counts.itemsDeleted += await this.deletePartition(sessionPk(tenantId, sessionId));
  }

  private async deletePartition(pk: string): Promise<number> {
    let deleted = 0;
    const pages = this.io.queryPages({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    });
    for await (const page of pages) {
      await this.io.batchWrite(page.map((i) => ({ delete: keyOf(i) })));
      deleted += page.length;
    }
    return deleted;
  }
}

const refOf = (i: Item): SessionRef => ({ sessionId: String(i.sessionId), topicId: String(i.topicId) });

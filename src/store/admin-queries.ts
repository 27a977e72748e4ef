import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { badInput } from '../domain/errors';
import { isSessionId } from '../domain/ids';
import { Session } from '../domain/session';
import { AdminPageRequest, ErasureCounts, SessionPage, SessionPageRequest } from '../sessions/repository';
import {
  BY_TENANT_IDLE_INDEX,
  BY_TENANT_TOPIC_INDEX,
  BY_USER_INDEX,
  holdKey,
  Key,
  sessionKey,
  sessionPk,
  tenantLiveGsiPk,
  tenantTopicGsiPk,
  userGsiPk,
} from './keys';
import { guarded } from './errors';
import { queryFilteredPage, sessionFilter } from './filtered-query';

type Item = Record<string, unknown>;

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
/** Erasure re-reads the user's index until nothing new appears (a session started meanwhile); bounded. */
const ERASURE_ROUNDS = 5;

/**
 * The admin reads and the erasure of DynamoSessionRepository (kept apart from the session
 * write paths). Every query stays in one tenant's index partitions; none scans.
 */
export class AdminQueries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** Turns an item into a session (the repository's, so it remembers childTtl). */
    private readonly toSession: (item: Item) => Session,
  ) {}

  /** byTenantIdle: live sessions only (sparse), key condition gsi2sk < cutoff, oldest first. */
  async listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    const gsi2pk = tenantLiveGsiPk(tenantId);
    const startKey = page.cursor ? decodeCursor(page.cursor, tenantId, 'gsi2pk', gsi2pk, 'gsi2sk') : undefined;
    const { values, ...filter } = sessionFilter(now, null);
    const found = await queryFilteredPage(
      this.db,
      {
        TableName: this.table,
        IndexName: BY_TENANT_IDLE_INDEX,
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :cut',
        ...filter,
        ExpressionAttributeValues: { ...values, ':p': gsi2pk, ':cut': new Date(before).toISOString() },
        ScanIndexForward: true,
      },
      page.limit,
      startKey,
    );
    return this.page(found, page.limit, 'gsi2sk');
  }

  /**
   * byTenantTopic, one query per topic (one topic, or the catalogue's when none is given),
   * merged by recency. The cursor is a position in the shared sort order
   * (`<lastActivityAt ISO>#<sessionId>`, unique), so it bounds every topic's query alike.
   */
  async listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    const after = page.cursor ? decodePosition(page.cursor) : null;
    const perTopic = await Promise.all(topicIds.map((topicId) => this.topicSessions(tenantId, topicId, page, after, now)));
    const merged = perTopic.flat().sort((a, b) => (String(a.gsi4sk) < String(b.gsi4sk) ? 1 : -1));
    return this.page(merged, page.limit, 'gsi4sk');
  }

  private async topicSessions(tenantId: string, topicId: string, page: SessionPageRequest, after: string | null, now: number) {
    const { values, ...filter } = sessionFilter(now, page.statuses);
    const found = await queryFilteredPage(
      this.db,
      {
        TableName: this.table,
        IndexName: BY_TENANT_TOPIC_INDEX,
        KeyConditionExpression: after ? 'gsi4pk = :p AND gsi4sk < :after' : 'gsi4pk = :p',
        ...filter,
        ExpressionAttributeValues: { ...values, ':p': tenantTopicGsiPk(tenantId, topicId), ...(after ? { ':after': after } : {}) },
        ScanIndexForward: false,
      },
      page.limit,
    );
    return found.slice(0, page.limit + 1);
  }

  private page(found: Item[], limit: number, sortKey: string): SessionPage {
    const items = found.slice(0, limit);
    return {
      sessions: items.map((i) => this.toSession(i)),
      cursors: items.map((i) => Buffer.from(String(i[sortKey])).toString('base64url')),
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
  private async userSessions(tenantId: string, userId: string): Promise<{ sessionId: string; topicId: string }[]> {
    const out: { sessionId: string; topicId: string }[] = [];
    let startKey: Item | undefined;
    do {
      const page = await guarded(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: BY_USER_INDEX,
            KeyConditionExpression: 'gsi1pk = :u',
            ExpressionAttributeValues: { ':u': userGsiPk(tenantId, userId) },
            ProjectionExpression: 'sessionId, topicId',
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const i of page.Items ?? []) out.push({ sessionId: String(i.sessionId), topicId: String(i.topicId) });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  /** Live sessions of the user found through the topics' holds (consistent reads). */
  private async heldBy(tenantId: string, userId: string, topicIds: readonly string[]) {
    const out: { sessionId: string; topicId: string }[] = [];
    for (let i = 0; i < topicIds.length; i += BATCH_GET_MAX) {
      let keys: Key[] | undefined = topicIds.slice(i, i + BATCH_GET_MAX).map((t) => holdKey(tenantId, t));
      for (let attempt = 0; keys && keys.length && attempt < 10; attempt++) {
        const request: Key[] = keys;
        const page = await guarded(() =>
          this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: request, ConsistentRead: true } } })),
        );
        for (const h of page.Responses?.[this.table] ?? []) {
          if (h.userId === userId) out.push({ sessionId: String(h.sessionId), topicId: String(h.topicId) });
        }
        keys = page.UnprocessedKeys?.[this.table]?.Keys as Key[] | undefined;
      }
    }
    return out;
  }

  /**
   * The session item first (any concurrent versioned write then fails its condition), then
   * the hold only if it still names this session, then the partition's messages and records.
   */
  private async eraseSession(tenantId: string, sessionId: string, topicId: string, counts: ErasureCounts): Promise<void> {
    const old = await guarded(() =>
      this.db.send(new DeleteCommand({ TableName: this.table, Key: sessionKey(tenantId, sessionId), ReturnValues: 'ALL_OLD' })),
    );
    if (old.Attributes) {
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
    }
    try {
      await guarded(() =>
        this.db.send(
          new DeleteCommand({
            TableName: this.table,
            Key: holdKey(tenantId, topicId),
            ConditionExpression: 'sessionId = :id',
            ExpressionAttributeValues: { ':id': sessionId },
          }),
        ),
      );
      counts.itemsDeleted++;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e; // the hold is someone else's, or gone
    }
    counts.itemsDeleted += await this.deletePartition(sessionPk(tenantId, sessionId));
  }

  private async deletePartition(pk: string): Promise<number> {
    let deleted = 0;
    let startKey: Item | undefined;
    do {
      const page = await guarded(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      const keys = (page.Items ?? []) as Key[];
      for (let i = 0; i < keys.length; i += BATCH_WRITE_MAX) await this.batchDelete(keys.slice(i, i + BATCH_WRITE_MAX));
      deleted += keys.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }

  /** BatchWriteItem deletes; unprocessed items are retried with backoff, a bounded number of times. */
  private async batchDelete(keys: Key[]): Promise<void> {
    let pending = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 8) throw new Error('BatchWriteItem left deletes unprocessed after retries');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      const request = pending;
      const out = await guarded(() => this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: request } })));
      pending = (out.UnprocessedItems?.[this.table] ?? []) as typeof pending;
    }
  }
}

const POSITION = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#(ses_[0-9A-Z]{26})$/;

/** An admin cursor: the base64url of an index sort key `<ISO>#<sessionId>`; anything else is refused. */
function decodePosition(cursor: string): string {
  const sk = cursor.length <= 100 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = POSITION.exec(sk);
  if (!match || !isSessionId(match[1])) throw badInput('Invalid cursor', { argumentName: 'after' });
  return sk;
}

/** The ExclusiveStartKey of a cursor, rebuilt only inside the caller's tenant partition. */
function decodeCursor(cursor: string, tenantId: string, pkName: string, pkValue: string, skName: string): Item {
  const sk = decodePosition(cursor);
  const sessionId = sk.slice(sk.indexOf('#') + 1);
  return { ...sessionKey(tenantId, sessionId), [pkName]: pkValue, [skName]: sk };
}

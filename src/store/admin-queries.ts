import { AdminPageRequest } from '../sessions/admin-repository';
import { SessionPage, SessionPageRequest } from '../sessions/repository';
import { cursorOf, decodeCursor, startKeyOf } from './cursor';
import { hasStatus, isIdleItem, toSession } from './items/session';
import { tenantLiveGsiPk, tenantTopicGsiPk } from './items/session-indexes';
import { IndexSpec, indexKeys, INDEXES, isoTime, isUnexpired, Item, params } from './schema';
import { TableIO } from './table-io';
/** A session item found through a keys-only index, with the index entry that found it. */
type Found = { item: Item; entry: Item };

/** The admin listings; each query stays in one tenant's index partitions, none scans. */
export class AdminQueries {
  constructor(private readonly io: TableIO) {}

  /** The index time may lag but is never later, so every idle session is found; the item decides. */
  async listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    const index = INDEXES.byTenantIdle;
    const partition = tenantLiveGsiPk(tenantId);
    const cut = isoTime(before);
    const startKey = page.cursor ? startKeyOf(page.cursor, tenantId, index, partition, cut) : undefined;
    if (startKey === null) return { sessions: [], cursors: [], hasNextPage: false };
    const keys = indexKeys(index, partition, { below: cut });
    const idle = (i: Item) => isUnexpired(i, now) && isIdleItem(i, before);
    const found = await this.io.queryKeysPage({ IndexName: index.name, ...params({ KeyConditionExpression: keys }), ScanIndexForward: true }, page.limit, startKey, idle);
    return this.page(found, page.limit, index);
  }

  /** One query per topic, merged by recency; the cursor bounds every topic's query alike. */
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
    const keys = indexKeys(index, tenantTopicGsiPk(tenantId, topicId), after ? { below: after } : {});
    const wanted = (i: Item) => isUnexpired(i, now) && hasStatus(i, page.statuses);
    const found = await this.io.queryKeysPage({ IndexName: index.name, ...params({ KeyConditionExpression: keys }), ScanIndexForward: false }, page.limit, undefined, wanted);
    return found.slice(0, page.limit + 1);
  }

  private page(found: Found[], limit: number, index: IndexSpec): SessionPage {
    const items = found.slice(0, limit);
    return {
      sessions: items.map((f) => toSession(f.item)),
      // The index entry's position, not the item's: the item may have moved on since.
      cursors: items.map((f) => cursorOf(f.entry, index)),
      hasNextPage: found.length > limit,
    };
  }
}

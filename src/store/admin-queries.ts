import { AdminPageRequest } from '../sessions/admin-repository';
import { SessionPage, SessionPageRequest } from '../sessions/repository';
import { cursorOf, decodeCursor, startKeyOf } from './cursor';
import { hasStatus, isIdleItem, toSession } from './items/session';
import { tenantLiveGsiPk, tenantTopicGsiPk } from './items/session-indexes';
import { IndexSpec, indexKeys, INDEXES, isoTime, isUnexpired, Item, params } from './schema';
import { keyOf } from './keys';
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

  /**
   * Every topic's index entries (keys only, a page at a time), merged by recency; only the
   * winners' items are read, so a page reads about `limit` items however many topics there
   * are. The cursor bounds every topic's query alike.
   */
  async listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    const index = INDEXES.byTenantTopic;
    const after = page.cursor ? decodeCursor(page.cursor).position : null;
    const need = page.limit + 1;
    const position = (entry: Item) => String(entry[index.sk]);
    const lanes = topicIds.map((topicId) => {
      const keys = indexKeys(index, tenantTopicGsiPk(tenantId, topicId), after ? { below: after } : {});
      return { entries: [] as Item[], pages: this.io.queryPages({ IndexName: index.name, ...params({ KeyConditionExpression: keys }), ScanIndexForward: false, Limit: need }), done: false };
    });
    const wanted = (i: Item) => isUnexpired(i, now) && hasStatus(i, page.statuses);
    const found: Found[] = [];
    while (found.length < need) {
      // A lane with nothing in hand may hold the newest entry: read its next page first.
      await Promise.all(
        lanes.filter((l) => !l.entries.length && !l.done).map(async (l) => {
          const next = await l.pages.next();
          if (next.done) l.done = true;
          else l.entries.push(...next.value);
          // A short page of keys-only entries ends the partition (it is far below DynamoDB's 1 MB).
          if (!next.done && next.value.length < need) l.done = true;
        }),
      );
      const open = lanes.filter((l) => l.entries.length);
      if (!open.length) break;
      // The newest entries in hand, while no lane that could hold a newer one has run dry.
      const winners: Item[] = [];
      while (winners.length < need - found.length) {
        const lane = open.reduce<(typeof open)[number] | null>((best, l) => (l.entries.length && (!best || position(l.entries[0]) > position(best.entries[0])) ? l : best), null);
        if (!lane) break;
        winners.push(lane.entries.shift()!);
        if (!lane.entries.length && !lane.done) break;
      }
      const items = await this.io.batchGet(winners.map(keyOf));
      winners.forEach((entry, i) => {
        const item = items[i];
        if (item && wanted(item) && found.length < need) found.push({ item, entry });
      });
    }
    return this.page(found, page.limit, index);
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

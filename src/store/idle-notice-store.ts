import { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { IdleCandidate, IdleNoticeStore } from '../notify/notify-idle';
import { sessionKey } from './items/session';
import { IDLE_SHARDS_MAX, idleGsiPk } from './items/session-indexes';
import { keyOf } from './keys';
import { INDEXES, indexKeys, isoTime, isUnexpired, Item, params } from './schema';
import { conditional, TableIO } from './table-io';
import { idleClaim, idleConfirm, idleRelease, isIdleCandidate, toCandidate } from './items/idle-notice';

/**
 * notify-idle on DynamoDB: candidates from the sparse keys-only byIdle index (a query per
 * shard, all IDLE_SHARDS_MAX of them), then the session items; claim, lease and mark are conditional updates on them.
 */
export class DynamoIdleNoticeStore implements IdleNoticeStore {
  private readonly io: TableIO;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.io = new TableIO(db, table);
  }

  async *findIdle(before: number, now: number): AsyncIterable<IdleCandidate[]> {
    const index = INDEXES.byIdle;
    // Every shard any writer may use (session-indexes.ts): an empty one is one cheap Query.
    for (let shard = 0; shard < IDLE_SHARDS_MAX; shard++) {
      // Keys only: the index finds candidates (its time never runs ahead of the activity); the items decide.
      const pages = this.io.queryPages({
        IndexName: index.name,
        ...params({ KeyConditionExpression: indexKeys(index, idleGsiPk(shard), { below: isoTime(before) }) }),
        ScanIndexForward: true,
      });
      for await (const page of pages) {
        const items = await this.io.batchGet(page.map(keyOf));
        const batch = items
          .filter((i): i is Item => isUnexpired(i, now) && isIdleCandidate(i, before))
          .map(toCandidate)
          .filter((c): c is IdleCandidate => c !== null);
        if (batch.length) yield batch;
      }
    }
  }

  claim(c: IdleCandidate, runId: string, leaseUntil: number, now: number): Promise<boolean> {
    return this.update(c, params(idleClaim(c, runId, leaseUntil, now)));
  }

  confirm(c: IdleCandidate, runId: string): Promise<boolean> {
    return this.update(c, params(idleConfirm(c, runId)));
  }

  async release(c: IdleCandidate, runId: string): Promise<void> {
    await this.update(c, params(idleRelease(runId)));
  }

  /** A conditional UpdateItem of the session item; false when the condition does not hold (never creates an item). */
  private update(c: IdleCandidate, input: Omit<UpdateCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    return conditional(this.io.update({ Key: sessionKey(c.tenantId, c.sessionId), ...input }));
  }
}

import { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { IdleCandidate, IdleNoticeStore } from '../notify/notify-idle';
import { IDLE_SHARDS, idleGsiPk, keyOf, sessionKey } from './keys';
import { and, expr, INDEXES, isoTime, isUnexpired, Item, params, unexpired } from './schema';
import { conditional, TableIO } from './table-io';

/**
 * notify-idle on DynamoDB: candidates come from the sparse, sharded, keys-only byIdle index
 * (one query per shard, key condition gsi3sk < cutoff, never a scan), each page followed by
 * one BatchGetItem of the sessions; the claim, the mark and the lease are attributes of
 * the session item, changed by conditional UpdateItem only. The service's writes that move
 * the activity remove them, which is right: new activity, new period.
 * All of them are ISO times (`idleClaimUntil` too; older runs wrote it as epoch ms).
 */
export class DynamoIdleNoticeStore implements IdleNoticeStore {
  private readonly io: TableIO;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.io = new TableIO(db, table);
  }

  async *findIdle(before: number, now: number): AsyncIterable<IdleCandidate[]> {
    const index = INDEXES.byIdle;
    for (let shard = 0; shard < IDLE_SHARDS; shard++) {
      // Keys only: the index finds candidates (its time never runs ahead of the activity); the items decide.
      const pages = this.io.queryPages({
        IndexName: index.name,
        ...params({ KeyConditionExpression: expr(`${index.pk} = :p AND ${index.sk} < :cut`, { ':p': idleGsiPk(shard), ':cut': isoTime(before) }) }),
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

  async claim(c: IdleCandidate, runId: string, leaseUntil: number, now: number): Promise<boolean> {
    const period = expr('lastActivityAt = :seen', { ':seen': isoTime(c.lastActivityAt) });
    const live = expr('#status IN (:active, :paused)', { ':active': 'ACTIVE', ':paused': 'PAUSED' }, { '#status': 'status' });
    // A lease written by an older version holds epoch ms: compared as a number (a string never equals one).
    const noLease = expr(
      'attribute_not_exists(idleClaimFor) OR idleClaimFor <> :seen OR idleClaimUntil < :nowIso' +
        ' OR (attribute_type(idleClaimUntil, :number) AND idleClaimUntil < :nowMs)',
      { ':seen': isoTime(c.lastActivityAt), ':nowIso': isoTime(now), ':number': 'N', ':nowMs': now },
    );
    return this.update(c, {
      ...params({
        UpdateExpression: expr('SET idleClaimFor = :seen, idleClaimUntil = :until, idleClaimBy = :run', {
          ':seen': isoTime(c.lastActivityAt),
          ':until': isoTime(leaseUntil),
          ':run': runId,
        }),
        ConditionExpression: and(period, live, unexpired(now), notNotifiedFor(':seen'), noLease),
      }),
    });
  }

  confirm(c: IdleCandidate, runId: string): Promise<boolean> {
    return this.update(c, {
      UpdateExpression: 'SET idleNotifiedFor = :seen REMOVE idleClaimFor, idleClaimUntil, idleClaimBy',
      ConditionExpression: 'idleClaimBy = :run AND idleClaimFor = :seen',
      ExpressionAttributeValues: { ':seen': isoTime(c.lastActivityAt), ':run': runId },
    });
  }

  async release(c: IdleCandidate, runId: string): Promise<void> {
    await this.update(c, {
      UpdateExpression: 'REMOVE idleClaimFor, idleClaimUntil, idleClaimBy',
      ConditionExpression: 'idleClaimBy = :run',
      ExpressionAttributeValues: { ':run': runId },
    });
  }

  /** A conditional UpdateItem of the session item; false when the condition does not hold (never creates an item). */
  private update(c: IdleCandidate, input: Omit<UpdateCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    return conditional(this.io.update({ Key: sessionKey(c.tenantId, c.sessionId), ...input }));
  }
}

/** Live, idle since before `before` by its own item, and not yet notified for this idle period. */
function isIdleCandidate(item: Item, before: number): boolean {
  const at = typeof item.lastActivityAt === 'string' ? Date.parse(item.lastActivityAt) : NaN;
  return (item.status === 'ACTIVE' || item.status === 'PAUSED') && at < before && item.idleNotifiedFor !== item.lastActivityAt;
}

/** Not yet notified for this idle period (`period`: an attribute or a value placeholder). */
const notNotifiedFor = (period: string) => expr(`attribute_not_exists(idleNotifiedFor) OR idleNotifiedFor <> ${period}`);

function toCandidate(item: Item): IdleCandidate | null {
  const lastActivityAt = typeof item.lastActivityAt === 'string' ? Date.parse(item.lastActivityAt) : NaN;
  const fields = [item.tenantId, item.userId, item.sessionId, item.topicId, item.status];
  if (Number.isNaN(lastActivityAt) || fields.some((f) => typeof f !== 'string')) return null;
  return {
    tenantId: String(item.tenantId),
    userId: String(item.userId),
    sessionId: String(item.sessionId),
    topicId: String(item.topicId),
    status: String(item.status),
    lastActivityAt,
  };
}

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { IdleCandidate, IdleNoticeStore } from '../notify/notify-idle';
import { BY_IDLE_INDEX, IDLE_SHARDS, idleGsiPk, nowSeconds, sessionKey } from './keys';
import { guarded } from './errors';

type Item = Record<string, unknown>;

/**
 * notify-idle on DynamoDB: candidates come from the sparse, sharded byIdle index (one
 * query per shard, key condition gsi3sk < cutoff, never a scan); the claim, the mark and
 * the lease are attributes of the session item, changed by conditional UpdateItem only.
 * The service's whole-item puts drop them, which is right: new activity, new period.
 */
export class DynamoIdleNoticeStore implements IdleNoticeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async *findIdle(before: number, now: number): AsyncIterable<IdleCandidate[]> {
    for (let shard = 0; shard < IDLE_SHARDS; shard++) {
      let startKey: Item | undefined;
      do {
        const out = await guarded(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: BY_IDLE_INDEX,
              KeyConditionExpression: 'gsi3pk = :p AND gsi3sk < :cut',
              FilterExpression: '#ttl > :now AND (attribute_not_exists(idleNotifiedFor) OR idleNotifiedFor <> lastActivityAt)',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':p': idleGsiPk(shard), ':cut': new Date(before).toISOString(), ':now': nowSeconds(now) },
              ScanIndexForward: true,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        startKey = out.LastEvaluatedKey;
        const batch = (out.Items ?? []).map(toCandidate).filter((c): c is IdleCandidate => c !== null);
        if (batch.length) yield batch;
      } while (startKey);
    }
  }

  async claim(c: IdleCandidate, runId: string, leaseUntil: number, now: number): Promise<boolean> {
    return this.update(c, {
      UpdateExpression: 'SET idleClaimFor = :seen, idleClaimUntil = :until, idleClaimBy = :run',
      ConditionExpression:
        'lastActivityAt = :seen AND #status IN (:active, :paused) AND #ttl > :nowSec' +
        ' AND (attribute_not_exists(idleNotifiedFor) OR idleNotifiedFor <> :seen)' +
        ' AND (attribute_not_exists(idleClaimFor) OR idleClaimFor <> :seen OR idleClaimUntil < :now)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':seen': iso(c.lastActivityAt),
        ':until': leaseUntil,
        ':run': runId,
        ':active': 'ACTIVE',
        ':paused': 'PAUSED',
        ':nowSec': nowSeconds(now),
        ':now': now,
      },
    });
  }

  confirm(c: IdleCandidate, runId: string): Promise<boolean> {
    return this.update(c, {
      UpdateExpression: 'SET idleNotifiedFor = :seen REMOVE idleClaimFor, idleClaimUntil, idleClaimBy',
      ConditionExpression: 'idleClaimBy = :run AND idleClaimFor = :seen',
      ExpressionAttributeValues: { ':seen': iso(c.lastActivityAt), ':run': runId },
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
  private async update(c: IdleCandidate, input: Omit<UpdateCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    try {
      await guarded(() => this.db.send(new UpdateCommand({ TableName: this.table, Key: sessionKey(c.tenantId, c.sessionId), ...input })));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }
}

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

const iso = (ms: number) => new Date(ms).toISOString();

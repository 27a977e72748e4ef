import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { nowSeconds } from './keys';

/**
 * DynamoDB Local's TTL sweeper stops for a whole table as soon as one expired item
 * lacks a GSI key attribute, and our messages are not in the per-user index. So for
 * the embedded store only, this does what AWS's TTL does: delete items whose `ttl`
 * has passed. Reads never depend on it (they hide expired items themselves).
 */
export async function reapExpired(db: DynamoDBDocumentClient, table: string, now = Date.now()): Promise<number> {
  let start: Record<string, unknown> | undefined;
  let deleted = 0;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#ttl <= :now',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': nowSeconds(now) },
        ExclusiveStartKey: start,
      }),
    );
    start = page.LastEvaluatedKey;
    // Deleted one by one with the expiry as condition, as DynamoDB's TTL does: an item
    // rewritten since the scan (a new hold over an expired one) must survive.
    for (const Key of page.Items ?? []) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: table,
            Key,
            ConditionExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': nowSeconds(now) },
          }),
        );
        deleted++;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
  } while (start);
  return deleted;
}

/** Runs reapExpired every `intervalMs` until stopped; failures are logged and retried next time. */
export function startReaper(db: DynamoDBDocumentClient, table: string, intervalMs: number, onError: (e: unknown) => void) {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = reapExpired(db, table).catch(onError);
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

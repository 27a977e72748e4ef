import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keyOf } from '../store/keys';
import { expired, params, TABLE_KEYS } from '../store/schema';
import { conditional, TableIO } from '../store/table-io';

/**
 * DynamoDB Local's TTL sweeper stops for a whole table as soon as one expired item
 * lacks a GSI key attribute, and our messages are not in the per-user index. So for
 * the embedded store only, this does what AWS's TTL does: delete items whose `ttl`
 * has passed. Reads never depend on it (they hide expired items themselves).
 */
export async function reapExpired(db: DynamoDBDocumentClient, table: string, now = Date.now()): Promise<number> {
  const io = new TableIO(db, table, { guard: false });
  let deleted = 0;
  for await (const page of io.scanPages({ ...params({ FilterExpression: expired(now) }), ProjectionExpression: TABLE_KEYS })) {
    // Deleted one by one with the expiry as condition, as DynamoDB's TTL does: an item
    // rewritten since the scan (a new hold over an expired one) must survive.
    for (const item of page) {
      if (await conditional(io.delete({ Key: keyOf(item), ...params({ ConditionExpression: expired(now) }) }))) deleted++;
    }
  }
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

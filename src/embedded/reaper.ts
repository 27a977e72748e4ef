import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keyOf } from '../store/keys';
import { expired, params, TABLE_KEYS } from '../store/schema';
import { conditional, TableIO } from '../store/table-io';

/**
 * DynamoDB Local's TTL sweeper stops for a table once an expired item lacks a GSI key, so the
 * embedded store deletes expired items itself. Reads never depend on it.
 */
export async function reapExpired(db: DynamoDBDocumentClient, table: string, now = Date.now()): Promise<number> {
  const io = new TableIO(db, table, { guard: false });
  let deleted = 0;
  for await (const page of io.scanPages({ ...params({ FilterExpression: expired(now) }), ProjectionExpression: TABLE_KEYS })) {
    // Conditioned on the expiry, as DynamoDB's TTL is: an item rewritten since the scan survives.
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

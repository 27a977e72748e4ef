import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { adminIndexAttributes, ADMIN_INDEX_ATTRIBUTES } from './admin-items';
import { toSession } from './items';
import { keyOf } from './keys';
import { expr, INDEXES, params, set } from './schema';
import { conditional, TableIO } from './table-io';

/**
 * One-off upgrade: gives session items written before the admin indexes existed their
 * index keys. A scan is acceptable here (it runs once, when ensureTable adds the
 * indexes), never on a request path. Each update is conditioned on the version it read,
 * so a concurrent session write (which sets the keys itself) is never overwritten.
 */
export async function backfillAdminIndexKeys(db: DynamoDBDocumentClient, table: string): Promise<number> {
  const io = new TableIO(db, table, { guard: false });
  const unindexed = expr(`#type = :session AND attribute_not_exists(${INDEXES.byTenantTopic.pk})`, { ':session': 'SESSION' }, { '#type': 'type' });
  let updated = 0;
  for await (const page of io.scanPages(params({ FilterExpression: unindexed }))) {
    for (const item of page) {
      const session = toSession(item);
      const keys = adminIndexAttributes(session, session.lastActivityAt);
      const assignments = ADMIN_INDEX_ATTRIBUTES.filter((n) => keys[n] !== undefined).map((n) => expr(`${n} = :${n}`, { [`:${n}`]: keys[n] }));
      const update = params({ UpdateExpression: set(...assignments), ConditionExpression: expr('version = :v', { ':v': item.version }) });
      if (await conditional(io.update({ Key: keyOf(item), ...update }))) updated++;
    }
  }
  return updated;
}

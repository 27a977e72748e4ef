import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { adminKeysSet, UNINDEXED_SESSIONS } from './items/session-indexes';
import { toSession, versionIs } from './items/session';
import { keyOf } from './keys';
import { params } from './schema';
import { conditional, TableIO } from './table-io';

/**
 * One-off upgrade: index keys for sessions written before the admin indexes (a scan, only
 * then). Conditioned on the version read, so a concurrent session write wins.
 */
export async function backfillAdminIndexKeys(db: DynamoDBDocumentClient, table: string): Promise<number> {
  const io = new TableIO(db, table, { guard: false });
  let updated = 0;
  for await (const page of io.scanPages(params({ FilterExpression: UNINDEXED_SESSIONS }))) {
    for (const item of page) {
      const session = toSession(item);
      const update = params({ UpdateExpression: adminKeysSet(session), ConditionExpression: versionIs(session.version) });
      if (await conditional(io.update({ Key: keyOf(item), ...update }))) updated++;
    }
  }
  return updated;
}

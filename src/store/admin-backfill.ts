import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { adminIndexAttributes, ADMIN_INDEX_ATTRIBUTES } from './admin-items';
import { toSession } from './items';

/**
 * One-off upgrade: gives session items written before the admin indexes existed their
 * index keys. A scan is acceptable here (it runs once, when ensureTable adds the
 * indexes), never on a request path. Each update is conditioned on the version it read,
 * so a concurrent session write (which sets the keys itself) is never overwritten.
 */
export async function backfillAdminIndexKeys(db: DynamoDBDocumentClient, table: string): Promise<number> {
  let start: Record<string, unknown> | undefined;
  let updated = 0;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#type = :session AND attribute_not_exists(gsi4pk)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':session': 'SESSION' },
        ExclusiveStartKey: start,
      }),
    );
    start = page.LastEvaluatedKey;
    for (const item of page.Items ?? []) {
      const keys = adminIndexAttributes(toSession(item));
      const names = ADMIN_INDEX_ATTRIBUTES.filter((n) => keys[n] !== undefined);
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}`,
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': item.version, ...Object.fromEntries(names.map((n) => [`:${n}`, keys[n]])) },
          }),
        );
        updated++;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
  } while (start);
  return updated;
}

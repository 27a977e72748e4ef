import { DynamoDBDocumentClient, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { guarded } from './errors';
import { nowSeconds } from './keys';

type Item = Record<string, unknown>;

/**
 * A filter drops items (expired, other statuses) after DynamoDB has read them, so one
 * Query may return fewer than a page. This reads on until `limit + 1` items are found
 * (the extra one tells whether there is a next page) or the index is exhausted.
 */
export async function queryFilteredPage(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>,
  limit: number,
  startKey?: Item,
): Promise<Item[]> {
  const found: Item[] = [];
  do {
    const request: QueryCommandInput = {
      ...input,
      Limit: Math.min(Math.max(limit + 1 - found.length, 10), 1000),
      ExclusiveStartKey: startKey,
    };
    const out = await guarded(() => db.send(new QueryCommand(request)));
    found.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey && found.length <= limit);
  return found;
}

/** The filter every session listing applies: not expired, and optionally one of `statuses`. */
export function sessionFilter(now: number, statuses: readonly string[] | null) {
  const values: Record<string, unknown> = { ':now': nowSeconds(now) };
  const names: Record<string, string> = { '#ttl': 'ttl' };
  let expression = '#ttl > :now';
  if (statuses) {
    statuses.forEach((s, i) => (values[`:s${i}`] = s));
    expression += ` AND #status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`;
    names['#status'] = 'status';
  }
  return { FilterExpression: expression, ExpressionAttributeNames: names, values };
}

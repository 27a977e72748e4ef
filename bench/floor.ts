import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newSessionId } from '../src/domain/ids';
import { Session } from '../src/domain/session';
import { holdItem, messageItem, sessionItem } from '../src/store/items';
import { BY_USER_INDEX, holdKey, MESSAGE_SK_FIRST, MESSAGE_SK_LAST, nowSeconds, sessionKey, sessionPk, toTtl, userGsiPk } from '../src/store/keys';
import { COACH_TEXT, USER_TEXT } from './seed';

/**
 * The floor: the very DynamoDB calls each operation needs (same keys, same item
 * payloads, same conditions, consistent reads), issued straight from the SDK with the
 * server's client configuration, with no HTTP, GraphQL, auth or domain code around them.
 */
const DAY = 24 * 3600;
const ACTIVE_TTL = 30 * DAY;

export class Floor {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private get(key: { pk: string; sk: string }) {
    return this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
  }

  private lastMessages(pk: string, limit: number, forward: boolean) {
    return this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':pk': pk, ':lo': MESSAGE_SK_FIRST, ':hi': MESSAGE_SK_LAST },
        ScanIndexForward: forward,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
  }

  /** sessionCheck: one consistent GetItem of the topic's hold. */
  async sessionCheck(tenantId: string, topicId: string) {
    await this.get(holdKey(tenantId, topicId));
  }

  /** startSession of an ACTIVE session + messages(last: 20): the hold, then the page. */
  async resume(tenantId: string, topicId: string) {
    const hold = (await this.get(holdKey(tenantId, topicId))).Item!;
    await this.lastMessages(sessionPk(tenantId, String(hold.sessionId)), 21, false);
  }

  /** startSession of a free topic: the hold (absent), then one transaction of hold + session + opening. */
  async create(tenantId: string, topicId: string) {
    const now = Date.now();
    await this.get(holdKey(tenantId, topicId));
    const s = session(tenantId, 'u', topicId, newSessionId(now), now, 1, 1);
    const childTtl = toTtl(s.expiresAt) + DAY;
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table,
              Item: holdItem(s, childTtl),
              ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':now': nowSeconds(now) },
            },
          },
          { Put: { TableName: this.table, Item: sessionItem(s, childTtl), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: this.table,
              Item: messageItem(tenantId, { sessionId: s.id, seq: 1, role: 'ASSISTANT', content: COACH_TEXT, createdAt: now }, childTtl),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  }

  /** sendMessage: read the session, then two versioned transactions (user message, reply), each with the hold. */
  async sendMessage(tenantId: string, sessionId: string) {
    const item = (await this.get(sessionKey(tenantId, sessionId))).Item!;
    let version = Number(item.version);
    let count = Number(item.messageCount);
    const childTtl = Number(item.childTtl);
    for (const [role, content] of [
      ['USER', USER_TEXT],
      ['ASSISTANT', COACH_TEXT],
    ] as const) {
      const now = Date.now();
      const next = session(tenantId, String(item.userId), String(item.topicId), sessionId, now, count + 1, version + 1, Date.parse(String(item.createdAt)));
      const cond = { ExpressionAttributeNames: { '#ttl': 'ttl' } };
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: sessionItem(next, childTtl),
                ConditionExpression: 'version = :v AND #ttl > :now',
                ...cond,
                ExpressionAttributeValues: { ':v': version, ':now': nowSeconds(now) },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: holdItem(next, childTtl),
                ConditionExpression: 'sessionId = :sid AND #ttl > :now',
                ...cond,
                ExpressionAttributeValues: { ':sid': sessionId, ':now': nowSeconds(now) },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: messageItem(tenantId, { sessionId, seq: count + 1, role, content, createdAt: now }, toTtl(next.expiresAt) + DAY),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      version++;
      count++;
    }
  }

  /** session { messages(first: 50) }: the session, then one page (+1 to know whether there is more). */
  async sessionPage(tenantId: string, sessionId: string) {
    await this.get(sessionKey(tenantId, sessionId));
    await this.lastMessages(sessionPk(tenantId, sessionId), 51, true);
  }

  /** mySessions(first: 50): one Query of the user's index partition (+1 for hasNextPage). */
  async mySessions(tenantId: string, userId: string) {
    await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: 'gsi1pk = :u',
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':u': userGsiPk(tenantId, userId), ':now': nowSeconds(Date.now()) },
        ScanIndexForward: false,
        Limit: 51,
      }),
    );
  }
}

function session(tenantId: string, userId: string, topicId: string, id: string, now: number, messageCount: number, version: number, createdAt = now): Session {
  return {
    id,
    tenantId,
    userId,
    topicId,
    status: 'ACTIVE',
    createdAt,
    updatedAt: now,
    lastActivityAt: now,
    endedAt: null,
    expiresAt: now + ACTIVE_TTL * 1000,
    messageCount,
    version,
  };
}

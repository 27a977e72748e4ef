import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newSessionId } from '../src/domain/ids';
import { lastSeqOf, Message, Session, touched } from '../src/domain/session';
import { DEFAULT_SETTINGS } from '../src/defaults';
import { indexedAtOf, nextIndexedAt } from '../src/store/items/session-indexes';
import { sessionKey, sessionPk, toSession, userGsiPk } from '../src/store/items/session';
import { holdKey } from '../src/store/items/hold';
import { MESSAGE_SK_FIRST, MESSAGE_SK_LAST } from '../src/store/items/message';
import { BY_USER_INDEX, nowSeconds, params, toTtl } from '../src/store/schema';
import { keptOrUnexpired, outcomesAfter } from '../src/store/items/outcome';
import { Transaction } from '../src/store/table-io';
import { appendMessageTx, appendReplyTx, createSessionTx, SessionWrite } from '../src/store/transactions';
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

  /**
   * startSession of an ACTIVE session + messages(last: 20): the hold (which session), the
   * session (the hold carries only what sessionCheck needs, so that replies never write it),
   * then the page.
   */
  async resume(tenantId: string, topicId: string) {
    const hold = (await this.get(holdKey(tenantId, topicId))).Item!;
    await this.get(sessionKey(tenantId, String(hold.sessionId)));
    await this.lastMessages(sessionPk(tenantId, String(hold.sessionId)), 21, false);
  }

  /** startSession of a free topic: the hold (absent), then one transaction of hold + session + opening. */
  async create(tenantId: string, topicId: string) {
    const now = Date.now();
    await this.get(holdKey(tenantId, topicId));
    const s = session(tenantId, 'u', topicId, newSessionId(now), now, 1, 1);
    const opening: Message = { sessionId: s.id, seq: 1, role: 'ASSISTANT', content: COACH_TEXT, createdAt: now };
    await this.transact(createSessionTx(this.table, s, opening, toTtl(s.expiresAt) + DAY, now));
  }

  /**
   * sendMessage: read the session, then the user's message (a versioned update of the
   * session's changed attributes, the hold's, the message) and the reply at the seq kept for
   * it (the message, the count). The same request builders as the server (transactions.ts).
   */
  async sendMessage(tenantId: string, sessionId: string) {
    const writeReply = await this.appendMessage(tenantId, sessionId);
    await writeReply();
  }

  /** sendMessage's calls before the model call (the session, the message's write); returns the reply's write. */
  async appendMessage(tenantId: string, sessionId: string): Promise<() => Promise<unknown>> {
    const item = (await this.get(sessionKey(tenantId, sessionId))).Item!;
    const s = toSession(item);
    const floor = Number(item.childTtl);
    const indexedAt = indexedAtOf(item);
    const now = Date.now();
    const seq = lastSeqOf(s) + 1;
    const next: Session = { ...touched(s, 'ACTIVE', now, DEFAULT_SETTINGS), messageCount: s.messageCount + 1, turnCount: (s.turnCount ?? 0) + 1, lastSeq: seq + 1 };
    const write: SessionWrite = { previous: s, next, floor: { before: floor, after: floor }, indexedAt: { before: indexedAt, after: nextIndexedAt(indexedAt, next) } };
    const message: Message = { sessionId, seq, role: 'USER', content: USER_TEXT, createdAt: now, authorId: s.userId };
    await this.transact(appendMessageTx(this.table, write, message, null, toTtl(next.expiresAt) + DAY, now));
    return () => {
      const at = Date.now();
      const reply: Message = { sessionId, seq: seq + 1, role: 'ASSISTANT', content: COACH_TEXT, createdAt: at, replyTo: seq };
      return this.transact(appendReplyTx(this.table, next, reply, toTtl(next.expiresAt) + DAY, at));
    };
  }

  /** A model adapter's other outcomes: one Query of the user's outcome items (what listOutcomes sends, first page of 100). */
  outcomes(tenantId: string, userId: string) {
    const p = params({ KeyConditionExpression: outcomesAfter(tenantId, userId, null), FilterExpression: keptOrUnexpired(Date.now()) });
    return this.db.send(new QueryCommand({ TableName: this.table, ...p, ConsistentRead: true, Limit: 101 }));
  }

  /** A model adapter's history: the session's newest messages (the coach's window, +1). */
  recentMessages(tenantId: string, sessionId: string, limit: number) {
    return this.lastMessages(sessionPk(tenantId, sessionId), limit + 1, false);
  }

  private transact<P extends string>(tx: Transaction<P>) {
    return this.db.send(new TransactWriteCommand({ TransactItems: tx.map(([, item]) => item), ClientRequestToken: randomUUID() }));
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

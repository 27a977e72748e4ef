import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { badInput } from '../domain/errors';
import { isSessionId } from '../domain/ids';
import { isLive, Message, Session } from '../domain/session';
import {
  ClientMessageRecord,
  DuplicateClientMessageError,
  MessagePageRequest,
  SessionPage,
  SessionPageRequest,
  SessionRepository,
  StaleSessionError,
  TopicHeldError,
} from '../sessions/repository';
import {
  BY_USER_INDEX,
  clientMessageKey,
  holdKey,
  Key,
  MESSAGE_SK_FIRST,
  MESSAGE_SK_LAST,
  messageKey,
  messageSk,
  nowSeconds,
  sessionKey,
  sessionPk,
  toTtl,
  userGsiPk,
} from './keys';
import { holdItem, isLiveItem, messageItem, sessionItem, toMessage, toSession } from './items';
import { guarded } from './errors';
import { queryFilteredPage, sessionFilter } from './filtered-query';
import { AdminQueries } from './admin-queries';
import { AdminPageRequest, ErasureCounts } from '../sessions/repository';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Children (messages, idempotency records) carry a ttl of their own. They must not
 * expire before their session, nor outlive it by more than a day, while the session's
 * ttl slides forward with every write. Children are written with ttl = session ttl +
 * CHILD_SLACK; the session item remembers the lowest child ttl (`childTtl`), and when
 * the session's ttl passes it (after a day of activity) or drops below the children's
 * (on ending), all children are rewritten once. So a refresh costs O(messages) at most
 * once a day per live session, and sendMessage stays constant otherwise.
 */
export const CHILD_SLACK_SECONDS = 24 * 3600;

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const TRANSACT_MAX = 100;

/** The DynamoDB implementation of the service's repository port (single table, see keys.ts). */
export class DynamoSessionRepository implements SessionRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  // ---- reads ---------------------------------------------------------------

  async findHolder(tenantId: string, topicId: string, now: number): Promise<Session | null> {
    const item = await this.get(holdKey(tenantId, topicId));
    return isLiveItem(item, nowSeconds(now)) && isLive(item.status as never) ? this.remember(item) : null;
  }

  async getSession(tenantId: string, sessionId: string, now: number): Promise<Session | null> {
    const item = await this.get(sessionKey(tenantId, sessionId));
    return isLiveItem(item, nowSeconds(now)) ? this.remember(item) : null;
  }

  async getSessions(tenantId: string, sessionIds: readonly string[], now: number): Promise<(Session | null)[]> {
    // The common case (one `session(id)` per request) is a plain GetItem: same read units, a lighter call.
    const items =
      sessionIds.length === 1 ? [await this.get(sessionKey(tenantId, sessionIds[0]))] : await this.batchGet(sessionIds.map((id) => sessionKey(tenantId, id)));
    const nowSec = nowSeconds(now);
    return items.map((item) => (isLiveItem(item, nowSec) ? this.remember(item) : null));
  }

  async getClientMessage(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<ClientMessageRecord | null> {
    const item = await this.get(clientMessageKey(tenantId, sessionId, clientMessageId));
    return isLiveItem(item, nowSeconds(now)) ? toRecord(item) : null;
  }

  async markReplyFailed(tenantId: string, sessionId: string, clientMessageId: string, now: number): Promise<void> {
    try {
      await guarded(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: clientMessageKey(tenantId, sessionId, clientMessageId),
            UpdateExpression: 'SET replyFailed = :yes',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replySeq) AND #ttl > :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':yes': true, ':now': nowSeconds(now) },
          }),
        ),
      );
    } catch (e) {
      // A reply got recorded meanwhile (a concurrent retry): nothing to note.
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  async getMessages(tenantId: string, sessionId: string, seqs: readonly number[], now: number): Promise<Message[]> {
    const items = await this.batchGet(seqs.map((seq) => messageKey(tenantId, sessionId, seq)));
    const nowSec = nowSeconds(now);
    return items.filter((i): i is Item => isLiveItem(i, nowSec)).map((i) => toMessage(i, sessionId));
  }

  async listMessages(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Promise<Message[]> {
    const forward = page.direction === 'forward';
    const lo = forward && page.from !== null ? messageSk(page.from + 1) : MESSAGE_SK_FIRST;
    const hi = !forward && page.from !== null ? messageSk(Math.max(page.from - 1, 0)) : MESSAGE_SK_LAST;
    if (lo > hi) return [];
    const out = await guarded(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': sessionPk(tenantId, sessionId), ':lo': lo, ':hi': hi },
          ScanIndexForward: forward,
          Limit: page.limit,
          ConsistentRead: true,
        }),
      ),
    );
    const nowSec = nowSeconds(now);
    const messages = (out.Items ?? []).filter((i) => isLiveItem(i, nowSec)).map((i) => toMessage(i, sessionId));
    return forward ? messages : messages.reverse();
  }

  async listUserSessions(tenantId: string, userId: string, page: SessionPageRequest, now: number): Promise<SessionPage> {
    const gsi1pk = userGsiPk(tenantId, userId);
    const { values, ...filter } = sessionFilter(now, page.statuses);
    const startKey = page.cursor ? decodeSessionCursor(page.cursor, tenantId, gsi1pk) : undefined;
    const found = await queryFilteredPage(
      this.db,
      {
        TableName: this.table,
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: 'gsi1pk = :u',
        ...filter,
        ExpressionAttributeValues: { ...values, ':u': gsi1pk },
        ScanIndexForward: false,
      },
      page.limit,
      startKey,
    );
    const items = found.slice(0, page.limit);
    return {
      sessions: items.map((i) => this.remember(i)),
      cursors: items.map(encodeSessionCursor),
      hasNextPage: found.length > page.limit,
    };
  }

  async ping(): Promise<void> {
    await this.get({ pk: 'PING', sk: 'PING' }, false);
  }

  // ---- admin (src/store/admin-queries.ts) ------------------------------------

  private readonly admin = new AdminQueries(this.db, this.table, (item) => this.remember(item));

  listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    return this.admin.listIdleSessions(tenantId, before, page, now);
  }

  listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    return this.admin.listTenantSessions(tenantId, topicIds, page, now);
  }

  eraseUserSessions(tenantId: string, userId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts> {
    return this.admin.eraseUserSessions(tenantId, userId, topicIds, now);
  }

  // ---- writes --------------------------------------------------------------

  async createSession(session: Session, first: Message, now: number): Promise<void> {
    const childTtl = toTtl(session.expiresAt) + CHILD_SLACK_SECONDS;
    await this.transact(
      [
        {
          Put: {
            TableName: this.table,
            Item: holdItem(session, childTtl),
            // A hold past its ttl is absent even if DynamoDB has not deleted it yet.
            ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': nowSeconds(now) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: this.table, Item: sessionItem(session, childTtl), ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: this.table, Item: messageItem(session.tenantId, first, childTtl), ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      (index, old) => {
        if (index === 0 && old) return new TopicHeldError(toSession(old));
        return new StaleSessionError(session.id);
      },
    );
    this.childTtls.set(session, childTtl);
  }

  async replaceSession(previous: Session, ended: Session, session: Session, first: Message, now: number): Promise<void> {
    const childTtl = toTtl(session.expiresAt) + CHILD_SLACK_SECONDS;
    await this.transact(
      [
        this.versionedSessionPut(previous, ended, now, await this.childTtlFor(previous, ended, now)),
        {
          Put: {
            TableName: this.table,
            Item: holdItem(session, childTtl),
            ConditionExpression: 'sessionId = :old AND #ttl > :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':old': previous.id, ':now': nowSeconds(now) },
          },
        },
        { Put: { TableName: this.table, Item: sessionItem(session, childTtl), ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: this.table, Item: messageItem(session.tenantId, first, childTtl), ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      () => new StaleSessionError(previous.id),
    );
    this.childTtls.set(session, childTtl);
    await this.settleChildren(ended);
  }

  async updateSession(previous: Session, next: Session, now: number): Promise<void> {
    const childTtl = await this.childTtlFor(previous, next, now);
    await this.transact(
      [this.versionedSessionPut(previous, next, now, childTtl), this.holdWrite(previous, next, now, childTtl)],
      () => new StaleSessionError(previous.id),
    );
    this.childTtls.set(next, childTtl);
    if (!isLive(next.status)) await this.settleChildren(next);
  }

  async appendMessage(previous: Session, next: Session, message: Message, clientMessageId: string | null, now: number): Promise<void> {
    const childTtl = await this.childTtlFor(previous, next, now);
    const ttl = toTtl(next.expiresAt) + CHILD_SLACK_SECONDS;
    const items: TransactItem[] = [
      this.versionedSessionPut(previous, next, now, childTtl),
      this.holdWrite(previous, next, now, childTtl),
      { Put: { TableName: this.table, Item: messageItem(next.tenantId, message, ttl), ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    if (clientMessageId) items.push(this.clientMessageWrite(next, message, clientMessageId, ttl));
    await this.transact(items, (index, old) => {
      if (index === 3 && old) return new DuplicateClientMessageError(toRecord(old));
      return new StaleSessionError(previous.id);
    });
    this.childTtls.set(next, childTtl);
  }

  // ---- internals -----------------------------------------------------------

  /** The session item, written only over the version that was read and only while it has not expired. */
  private versionedSessionPut(previous: Session, next: Session, now: number, childTtl: number): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: sessionItem(next, childTtl),
        ConditionExpression: 'version = :v AND #ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':v': previous.version, ':now': nowSeconds(now) },
      },
    };
  }

  /** Live: the hold mirrors the session. Ended: the hold goes, freeing the topic. */
  private holdWrite(previous: Session, next: Session, now: number, childTtl: number): TransactItem {
    const key = holdKey(previous.tenantId, previous.topicId);
    const condition = {
      ConditionExpression: 'sessionId = :sid AND #ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':sid': previous.id, ':now': nowSeconds(now) },
    };
    return isLive(next.status)
      ? { Put: { TableName: this.table, Item: holdItem(next, childTtl), ...condition } }
      : { Delete: { TableName: this.table, Key: key, ...condition } };
  }

  private clientMessageWrite(session: Session, message: Message, clientMessageId: string, ttl: number): TransactItem {
    const key = clientMessageKey(session.tenantId, session.id, clientMessageId);
    if (message.role === 'USER') {
      return {
        Put: {
          TableName: this.table,
          Item: { ...key, type: 'CLIENT_MESSAGE', userSeq: message.seq, ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    // Only one reply is ever recorded for a client message id, even if two retries race.
    return {
      Update: {
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET replySeq = :seq, #ttl = :ttl',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replySeq)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':seq': message.seq, ':ttl': ttl },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * The child-ttl floor to record with `next`. When the session's new ttl has passed the
   * children's floor, raise every child first, so none expires before the session.
   */
  private async childTtlFor(previous: Session, next: Session, now: number): Promise<number> {
    const floor = await this.currentChildTtl(previous);
    const sessionTtl = toTtl(next.expiresAt);
    if (!isLive(next.status) || floor >= sessionTtl) return isLive(next.status) ? floor : sessionTtl + CHILD_SLACK_SECONDS;
    const target = sessionTtl + CHILD_SLACK_SECONDS;
    await this.raiseChildTtl(previous, target, now);
    return target;
  }

  /**
   * The child-ttl floor of sessions this process read or wrote, keyed by the very object
   * handed to the service, so the common write path needs no extra read.
   */
  private readonly childTtls = new WeakMap<Session, number>();

  private remember(item: Item): Session {
    const session = toSession(item);
    if (typeof item.childTtl === 'number') this.childTtls.set(session, item.childTtl);
    return session;
  }

  private async currentChildTtl(session: Session): Promise<number> {
    const known = this.childTtls.get(session);
    if (known !== undefined) return known;
    const item = await this.get(sessionKey(session.tenantId, session.id), true, 'childTtl');
    return typeof item?.childTtl === 'number' ? item.childTtl : 0;
  }

  /**
   * Raises every child's ttl, but only while the session is still the version that was
   * read and has not expired: a write that is going to fail must not revive an expired
   * session's messages, nor undo the lower ttl an ending just gave them.
   */
  private async raiseChildTtl(previous: Session, ttl: number, now: number): Promise<void> {
    const guard: TransactItem = {
      ConditionCheck: {
        TableName: this.table,
        Key: sessionKey(previous.tenantId, previous.id),
        ConditionExpression: 'version = :v AND #ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':v': previous.version, ':now': nowSeconds(now) },
      },
    };
    for await (const children of this.childPages(previous)) {
      const updates = children.map((c): TransactItem => ({
        Update: {
          TableName: this.table,
          Key: { pk: c.pk, sk: c.sk },
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':ttl': ttl },
        },
      }));
      for (let i = 0; i < updates.length; i += TRANSACT_MAX - 1) {
        await this.transact([guard, ...updates.slice(i, i + TRANSACT_MAX - 1)], () => new StaleSessionError(previous.id));
      }
    }
  }

  /**
   * After a session ends, its children follow its (usually shorter) terminal expiry. No
   * raise can interleave (the ending moved the version on), and messages never change,
   * so whole-item batch puts are safe for them; records get targeted updates.
   */
  private async settleChildren(ended: Session): Promise<void> {
    const ttl = toTtl(ended.expiresAt) + CHILD_SLACK_SECONDS;
    for await (const children of this.childPages(ended)) {
      const messages = children.filter((i) => i.type === 'MESSAGE').map((i) => ({ ...i, ttl }));
      for (let i = 0; i < messages.length; i += BATCH_WRITE_MAX) await this.batchPut(messages.slice(i, i + BATCH_WRITE_MAX));
      for (const record of children.filter((i) => i.type === 'CLIENT_MESSAGE')) {
        await guarded(() =>
          this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: record.pk, sk: record.sk },
              UpdateExpression: 'SET #ttl = :ttl',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':ttl': ttl },
            }),
          ),
        );
      }
    }
  }

  /** The session's messages and records, a query page at a time. */
  private async *childPages(session: Session): AsyncGenerator<Item[]> {
    let start: Item | undefined;
    do {
      const out = await guarded(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': sessionPk(session.tenantId, session.id) },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        ),
      );
      start = out.LastEvaluatedKey;
      yield (out.Items ?? []).filter((i) => i.type === 'MESSAGE' || i.type === 'CLIENT_MESSAGE');
    } while (start);
  }

  private async get(key: Key, consistent = true, projection?: string): Promise<Item | undefined> {
    const out = await guarded(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: key,
          ConsistentRead: consistent,
          ...(projection ? { ProjectionExpression: projection } : {}),
        }),
      ),
    );
    return out.Item;
  }

  /** BatchGetItem in chunks of 100, retrying unprocessed keys; results in key order. */
  private async batchGet(keys: Key[]): Promise<(Item | undefined)[]> {
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let pending: Key[] | undefined = dedupe(keys.slice(i, i + BATCH_GET_MAX));
      for (let attempt = 0; pending && pending.length; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        if (attempt > 8) throw new Error('BatchGetItem left keys unprocessed after retries');
        const request: Key[] = pending;
        const out = await guarded(() =>
          this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: request, ConsistentRead: true } } })),
        );
        for (const item of out.Responses?.[this.table] ?? []) found.set(`${item.pk}|${item.sk}`, item);
        pending = out.UnprocessedKeys?.[this.table]?.Keys as Key[] | undefined;
      }
    }
    return keys.map((k) => found.get(`${k.pk}|${k.sk}`));
  }

  private async batchPut(items: Item[]): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      if (attempt > 8) throw new Error('BatchWriteItem left items unprocessed after retries');
      const request = pending;
      const out = await guarded(() => this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: request } })));
      pending = (out.UnprocessedItems?.[this.table] ?? []) as typeof pending;
    }
  }

  /**
   * TransactWriteItems; a cancelled transaction becomes the domain error that `onCancel`
   * picks from the first failed condition (with the item it found, when DynamoDB returns it).
   */
  private async transact(items: TransactItem[], onCancel: (index: number, old: Item | undefined) => Error): Promise<void> {
    try {
      await guarded(() => this.db.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const reasons = e.CancellationReasons ?? [];
      const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (index < 0) {
        // TransactionConflict: another transaction touched the same items; the caller retries.
        throw onCancel(-1, undefined);
      }
      const old = reasons[index].Item ? unmarshall(reasons[index].Item) : undefined;
      throw onCancel(index, old);
    }
  }
}

function toRecord(item: Item): ClientMessageRecord {
  return {
    userSeq: Number(item.userSeq),
    replySeq: typeof item.replySeq === 'number' ? item.replySeq : null,
    replyFailed: item.replyFailed === true,
  };
}

/** Opaque mySessions cursor: the last edge's position in the caller's index partition. */
function encodeSessionCursor(item: Item): string {
  return Buffer.from(String(item.gsi1sk)).toString('base64url');
}

/** Rebuilds the index key from a cursor, only ever within the caller's own partition. */
function decodeSessionCursor(cursor: string, tenantId: string, gsi1pk: string): Item {
  const gsi1sk = cursor.length <= 100 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#(ses_[0-9A-Z]{26})$/.exec(gsi1sk);
  if (!match || !isSessionId(match[1])) throw badInput('Invalid cursor', { argumentName: 'after' });
  return { ...sessionKey(tenantId, match[1]), gsi1pk, gsi1sk };
}

function dedupe(keys: Key[]): Key[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.pk}|${k.sk}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

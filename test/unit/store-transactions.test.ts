/**
 * The pure builders of the session repository's writes (src/store/transactions.ts): which
 * items a transaction holds, in which order, under which conditions. No I/O.
 */
import { ended, Message, Session, touched } from '../../src/domain/session';
import { clientMessageKey, holdKey, Key, messageKey, sessionKey } from '../../src/store/keys';
import { TransactItem, Transaction } from '../../src/store/table-io';
import {
  appendMessageTx,
  childTtlUpdate,
  createSessionTx,
  markReplyFailedUpdate,
  raiseChildTtlTxs,
  replaceSessionTx,
  updateSessionTx,
} from '../../src/store/transactions';
import { FOCUS } from './fixtures';
import { liveSession } from '../support/session-fixture';

const TABLE = 'sessions';
const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const NOW_SEC = T0 / 1000 + 5;
const NOW = NOW_SEC * 1000;
const settings = FOCUS.settings;

const session = (n: number, over: Partial<Session> = {}) => liveSession(n, T0, settings, { version: 3, ...over });
const message = (s: Session, seq: number, role: Message['role'] = 'USER'): Message => ({ sessionId: s.id, seq, role, content: 'hi', createdAt: T0 });

const names = <P extends string>(tx: Transaction<P>) => tx.map(([name]) => name);
const part = <P extends string>(tx: Transaction<P>, name: P): TransactItem => tx.find(([n]) => n === name)![1];
const keyOf = (item: TransactItem): Key =>
  (item.Put?.Item ?? item.Delete?.Key ?? item.Update?.Key ?? item.ConditionCheck?.Key) as Key;

test('createSession: hold, session, first message; the hold is taken only if absent or expired, and names its holder when not', () => {
  const s = session(1);
  const tx = createSessionTx(TABLE, s, message(s, 1, 'ASSISTANT'), 999, NOW);
  expect(names(tx)).toEqual(['hold', 'session', 'firstMessage']);
  expect(tx.map(([, item]) => item.Put!.TableName)).toEqual([TABLE, TABLE, TABLE]);
  expect(tx.map(([, item]) => keyOf(item))).toMatchObject([holdKey('t1', 'focus'), sessionKey('t1', s.id), messageKey('t1', s.id, 1)]);
  expect(part(tx, 'hold').Put).toMatchObject({
    ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':now': NOW_SEC },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  expect(part(tx, 'session').Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { childTtl: 999 } });
  expect(part(tx, 'session').Put!.ExpressionAttributeValues).toBeUndefined();
  expect(part(tx, 'firstMessage').Put!.Item).toMatchObject({ type: 'MESSAGE', ttl: 999 });
});

test('replaceSession: the ended session over its version, then the hold handed over, the new session and its first message', () => {
  const old = session(1);
  const done = ended(old, 'ABANDONED', T0 + 1000, settings);
  const next = session(2);
  const tx = replaceSessionTx(TABLE, old, { session: done, childTtl: 111 }, next, message(next, 1, 'ASSISTANT'), 222, NOW);
  expect(names(tx)).toEqual(['ended', 'hold', 'session', 'firstMessage']);
  expect(part(tx, 'ended').Put).toMatchObject({
    Item: { sessionId: old.id, status: 'ABANDONED', childTtl: 111 },
    ConditionExpression: 'version = :v AND #ttl > :now',
    ExpressionAttributeValues: { ':v': 3, ':now': NOW_SEC },
  });
  expect(part(tx, 'hold').Put).toMatchObject({
    Item: { sessionId: next.id, childTtl: 222 },
    ConditionExpression: 'sessionId = :old AND #ttl > :now',
    ExpressionAttributeValues: { ':old': old.id, ':now': NOW_SEC },
  });
});

test('updateSession: a live session keeps its hold in step; an ended one deletes it, under the same condition', () => {
  const s = session(1);
  const paused = touched(s, 'PAUSED', T0 + 1000, settings);
  const live = updateSessionTx(TABLE, s, { ...paused, version: 4 }, 500, NOW);
  expect(names(live)).toEqual(['session', 'hold']);
  expect(part(live, 'hold').Put).toMatchObject({ Item: { status: 'PAUSED', childTtl: 500 }, ConditionExpression: 'sessionId = :sid AND #ttl > :now' });

  const gone = updateSessionTx(TABLE, s, ended(s, 'COMPLETED', T0 + 1000, settings), 500, NOW);
  expect(part(gone, 'hold').Put).toBeUndefined();
  expect(part(gone, 'hold').Delete).toEqual({
    TableName: TABLE,
    Key: holdKey('t1', 'focus'),
    ConditionExpression: 'sessionId = :sid AND #ttl > :now',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':sid': s.id, ':now': NOW_SEC },
  });
});

describe('appendMessage', () => {
  const s = session(1);
  const next = { ...touched(s, 'ACTIVE', T0 + 1000, settings), messageCount: 2, version: 4 };
  const ttl = { childTtl: 700, messageTtl: 800 };

  test('without a client message id: session, hold, message', () => {
    const tx = appendMessageTx(TABLE, s, next, message(s, 2), null, ttl, NOW);
    expect(names(tx)).toEqual(['session', 'hold', 'message']);
    expect(part(tx, 'message').Put).toMatchObject({ Item: { seq: 2, ttl: 800 }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(part(tx, 'session').Put!.Item).toMatchObject({ childTtl: 700 });
  });

  test('a USER message creates the record (position 3, named clientMessage), returning an existing one', () => {
    const tx = appendMessageTx(TABLE, s, next, message(s, 2), 'cm-1', ttl, NOW);
    expect(names(tx)).toEqual(['session', 'hold', 'message', 'clientMessage']);
    expect(tx[3][0]).toBe('clientMessage');
    expect(part(tx, 'clientMessage').Put).toEqual({
      TableName: TABLE,
      Item: { ...clientMessageKey('t1', s.id, 'cm-1'), type: 'CLIENT_MESSAGE', userSeq: 2, ttl: 800 },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('an ASSISTANT message completes the record once', () => {
    const tx = appendMessageTx(TABLE, s, next, message(s, 3, 'ASSISTANT'), 'cm-1', ttl, NOW);
    expect(part(tx, 'clientMessage').Update).toEqual({
      TableName: TABLE,
      Key: clientMessageKey('t1', s.id, 'cm-1'),
      UpdateExpression: 'SET replySeq = :seq, #ttl = :ttl',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replySeq)',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':seq': 3, ':ttl': 800 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });
});

test('raiseChildTtl: every child in transactions of at most 100 items, each guarded by the session version', () => {
  const s = session(1);
  const children = Array.from({ length: 250 }, (_, i) => messageKey('t1', s.id, i + 1));
  const txs = raiseChildTtlTxs(TABLE, s, children, 4242, NOW);
  expect(txs.map((tx) => tx.length)).toEqual([100, 100, 53]);
  for (const tx of txs) {
    expect(tx[0][0]).toBe('guard');
    expect(tx[0][1].ConditionCheck).toMatchObject({ Key: sessionKey('t1', s.id), ConditionExpression: 'version = :v AND #ttl > :now' });
    expect(tx.slice(1).every(([name]) => name === 'child')).toBe(true);
  }
  expect(txs.flatMap((tx) => tx.slice(1).map(([, item]) => item.Update!.Key))).toEqual(children);
  expect(txs[0][1][1].Update).toEqual(childTtlUpdate(TABLE, children[0], 4242));
  expect(childTtlUpdate(TABLE, children[0], 4242)).toEqual({
    TableName: TABLE,
    Key: children[0],
    UpdateExpression: 'SET #ttl = :ttl',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':ttl': 4242 },
  });
  expect(raiseChildTtlTxs(TABLE, s, [], 4242, NOW)).toEqual([]);
});

test('markReplyFailed: only on an existing, unexpired record without a reply', () => {
  const key = clientMessageKey('t1', 'ses_x', 'cm-1');
  expect(markReplyFailedUpdate(key, NOW)).toEqual({
    Key: key,
    UpdateExpression: 'SET replyFailed = :yes',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replySeq) AND #ttl > :now',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':yes': true, ':now': NOW_SEC },
  });
});

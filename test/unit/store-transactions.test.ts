/**
 * The pure builders of the session repository's writes (src/store/transactions.ts): which
 * items a transaction holds, in which order, under which conditions, and that existing
 * items are updated by their changed attributes only. No I/O.
 */
import { ended, Message, Session, touched } from '../../src/domain/session';
import { clientMessageKey } from '../../src/store/items/client-message';
import { holdKey } from '../../src/store/items/hold';
import { mentionKey } from '../../src/store/items/mention';
import { messageKey } from '../../src/store/items/message';
import { outcomeKey } from '../../src/store/items/outcome';
import { sessionKey } from '../../src/store/items/session';
import { transferKey } from '../../src/store/items/transfer';
import { Key } from '../../src/store/keys';
import { TransactItem, Transaction } from '../../src/store/table-io';
import {
  appendMessageTx,
  appendReplyTx,
  childTtlUpdate,
  completeSessionTx,
  createSessionTx,
  markReplyFailedUpdate,
  raiseChildTtlTxs,
  replaceSessionTx,
  SessionWrite,
  transferSessionTx,
  updateSessionTx,
} from '../../src/store/transactions';
import { diffUpdate } from '../../src/store/schema';
import { FOCUS } from './fixtures';
import { liveSession } from '../support/session-fixture';

const TABLE = 'sessions';
const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const NOW_SEC = T0 / 1000 + 5;
const NOW = NOW_SEC * 1000;
const settings = FOCUS.settings;

const session = (n: number, over: Partial<Session> = {}) => liveSession(n, T0, settings, { version: 3, ...over });
const message = (s: Session, seq: number, role: Message['role'] = 'USER'): Message => ({ sessionId: s.id, seq, role, content: 'hi', createdAt: T0 });
const write = (previous: Session, next: Session, floor = 500, indexedAt = previous.lastActivityAt): SessionWrite => ({
  previous,
  next,
  floor: { before: floor, after: floor },
  indexedAt: { before: indexedAt, after: indexedAt },
});

const names = <P extends string>(tx: Transaction<P>) => tx.map(([name]) => name);
const part = <P extends string>(tx: Transaction<P>, name: P): TransactItem => tx.find(([n]) => n === name)![1];
const keyOf = (item: TransactItem): Key =>
  (item.Put?.Item ?? item.Delete?.Key ?? item.Update?.Key ?? item.ConditionCheck?.Key) as Key;
/** The attributes an UpdateItem sets, by name. */
function setsOf(item: TransactItem): Record<string, unknown> {
  const u = item.Update!;
  const text = u.UpdateExpression!;
  const set = /SET (.*?)(?: REMOVE | ADD |$)/.exec(text)?.[1] ?? '';
  return Object.fromEntries(
    set
      .split(', ')
      .filter(Boolean)
      .map((a) => a.split(' = '))
      .map(([n, v]) => [u.ExpressionAttributeNames![n] ?? n, u.ExpressionAttributeValues![v]]),
  );
}

test('createSession: hold, session, first message; the hold is taken only if absent or expired, and names its holder when not', () => {
  const s = session(1);
  const tx = createSessionTx(TABLE, s, message(s, 1, 'ASSISTANT'), 999, NOW);
  expect(names(tx)).toEqual(['hold', 'session', 'firstMessage', 'mention']);
  expect(tx.map(([, item]) => (item.Put ?? item.Update)!.TableName)).toEqual([TABLE, TABLE, TABLE, TABLE]);
  expect(tx.map(([, item]) => keyOf(item))).toMatchObject([holdKey('t1', 'focus'), sessionKey('t1', s.id), messageKey('t1', s.id, 1), mentionKey('t1', s.id, s.userId)]);
  // The owner's mention: how erasure and export find the session after TTL removed its item.
  expect(setsOf(part(tx, 'mention'))).toMatchObject({ type: 'MENTION', sessionId: s.id, userId: s.userId, owner: true, ttl: 999, gsi1pk: `T#t1#M#${s.userId}` });
  expect(part(tx, 'hold').Put).toMatchObject({
    ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':now': NOW_SEC },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  // The hold carries what sessionCheck shows, nothing a reply changes.
  expect(Object.keys(part(tx, 'hold').Put!.Item!).sort()).toEqual(
    ['lastActivityAt', 'pk', 'sessionId', 'sk', 'status', 'tenantId', 'topicId', 'ttl', 'turnCount', 'type', 'userId'].sort(),
  );
  expect(part(tx, 'session').Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { childTtl: 999 } });
  expect(part(tx, 'session').Put!.ExpressionAttributeValues).toBeUndefined();
  expect(part(tx, 'firstMessage').Put!.Item).toMatchObject({ type: 'MESSAGE', ttl: 999 });
});

test('replaceSession: the ended session over its version, then the hold handed over, the new session and its first message', () => {
  const old = session(1);
  const done = ended(old, 'ABANDONED', T0 + 1000, settings);
  const next = session(2);
  const tx = replaceSessionTx(TABLE, { ...write(old, done, 111), floor: { before: 500, after: 111 } }, next, message(next, 1, 'ASSISTANT'), 222, NOW);
  expect(names(tx)).toEqual(['ended', 'hold', 'session', 'firstMessage', 'mention']);
  expect(part(tx, 'ended').Update).toMatchObject({ Key: sessionKey('t1', old.id), ExpressionAttributeValues: expect.objectContaining({ ':v': 3, ':now': NOW_SEC }) });
  // Ending: over the version and the message count read (a reply adds to the count without a version).
  expect(part(tx, 'ended').Update!.ConditionExpression).toBe('version = :v AND #ttl > :now AND messageCount = :mc');
  expect(setsOf(part(tx, 'ended'))).toMatchObject({ status: 'ABANDONED', childTtl: 111, version: 4 });
  expect(part(tx, 'hold').Put).toMatchObject({
    Item: { sessionId: next.id },
    ConditionExpression: 'sessionId = :old AND #ttl > :now',
    ExpressionAttributeValues: { ':old': old.id, ':now': NOW_SEC },
  });
});

test('updateSession: only the changed attributes; a live session keeps its hold in step, an ended one deletes it', () => {
  const s = session(1);
  const paused = touched(s, 'PAUSED', T0 + 1000, settings);
  const live = updateSessionTx(TABLE, write(s, paused), NOW);
  expect(names(live)).toEqual(['session', 'hold']);
  expect(Object.keys(setsOf(part(live, 'session'))).sort()).toEqual(['lastActivityAt', 'status', 'ttl', 'updatedAt', 'version'].sort());
  // Within the minute of the last activity: byUser's key is unchanged, so not sent (no index write).
  expect(setsOf(part(live, 'session'))).not.toHaveProperty('gsi1sk');
  expect(part(live, 'session').Update!.UpdateExpression).toContain('REMOVE');
  expect(setsOf(part(live, 'hold'))).toEqual({ status: 'PAUSED', lastActivityAt: new Date(T0 + 1000).toISOString(), ttl: paused.expiresAt / 1000 });
  expect(part(live, 'hold').Update!.ConditionExpression).toBe('sessionId = :sid AND #ttl > :now');

  const gone = updateSessionTx(TABLE, write(s, ended(s, 'COMPLETED', T0 + 1000, settings)), NOW);
  expect(part(gone, 'hold').Update).toBeUndefined();
  expect(part(gone, 'hold').Delete).toEqual({
    TableName: TABLE,
    Key: holdKey('t1', 'focus'),
    ConditionExpression: 'sessionId = :sid AND #ttl > :now',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':sid': s.id, ':now': NOW_SEC },
  });
  // Ending leaves the sparse admin indexes.
  expect(part(gone, 'session').Update!.UpdateExpression).toMatch(/REMOVE .*#u\d+/);
  const removed = Object.values(part(gone, 'session').Update!.ExpressionAttributeNames!);
  for (const k of ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk']) expect(removed).toContain(k);
});

test('transferSession: the versioned move, an append-only history entry, and mentions of the users it names', () => {
  const s = session(1);
  const moved = { ...touched(s, 'ACTIVE', T0 + 1000, settings), userId: 'bob', transfer: { at: T0 + 1000, by: 'ada', from: s.userId } };
  const entry = { sessionId: s.id, seq: moved.version, at: T0 + 1000, from: s.userId, to: 'bob', by: 'ada', topicId: s.topicId, withContent: false };
  const tx = transferSessionTx(TABLE, write(s, moved), entry, 777, NOW);
  expect(names(tx)).toEqual(['session', 'hold', 'transfer', 'listedFrom', 'listedTo', 'mentionFrom', 'mentionTo', 'mentionBy']);
  expect(part(tx, 'transfer').Put).toMatchObject({
    Item: { ...transferKey('t1', s.id, moved.version), type: 'TRANSFER', fromUserId: s.userId, toUserId: 'bob', byUserId: 'ada', ttl: 777 },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  expect(keyOf(part(tx, 'mentionTo'))).toEqual(mentionKey('t1', s.id, 'bob'));
  // The admin who moved it is mentioned without becoming an owner (erasing them reaches the history, not the session).
  expect(part(tx, 'mentionBy').Update!.UpdateExpression).toContain('#owner = if_not_exists(#owner, :owner)');
  expect(setsOf(part(tx, 'mentionFrom'))).toMatchObject({ owner: true, userId: s.userId });
  // An admin moving their own session: one mention of them (a transaction names an item once).
  const own = transferSessionTx(TABLE, write(s, moved), { ...entry, by: s.userId }, 777, NOW);
  expect(names(own)).toEqual(['session', 'hold', 'transfer', 'listedFrom', 'listedTo', 'mentionFrom', 'mentionTo']);
});

test('completeSession: the ending write and the outcome, which has no ttl unless a retention is configured', () => {
  const s = session(1);
  const done = ended(s, 'COMPLETED', T0 + 1000, settings);
  const outcome = { tenantId: 't1', userId: s.userId, topicId: s.topicId, sessionId: s.id, completedAt: T0 + 1000, result: { a: 1 }, resultError: null, expiresAt: null };
  const tx = completeSessionTx(TABLE, write(s, done), outcome, NOW);
  expect(names(tx)).toEqual(['session', 'hold', 'outcome']);
  expect(part(tx, 'outcome').Put!.Item).toMatchObject({ ...outcomeKey('t1', s.userId, s.topicId), type: 'OUTCOME', result: '{"a":1}' });
  expect(part(tx, 'outcome').Put!.Item).not.toHaveProperty('ttl');
  const kept = completeSessionTx(TABLE, write(s, done), { ...outcome, expiresAt: T0 + 86_400_000 }, NOW);
  expect(part(kept, 'outcome').Put!.Item).toMatchObject({ ttl: (T0 + 86_400_000) / 1000 });
});

test('a write that moves the children floor up also requires the message count it read (a reply since was not raised)', () => {
  const s = session(1);
  const next = touched(s, 'ACTIVE', T0 + 1000, settings);
  const tx = updateSessionTx(TABLE, { ...write(s, next), floor: { before: 500, after: 900 } }, NOW);
  expect(part(tx, 'session').Update!.ConditionExpression).toBe('version = :v AND #ttl > :now AND messageCount = :mc');
});

describe('appendMessage', () => {
  const s = session(1);
  const next = { ...touched(s, 'ACTIVE', T0 + 1000, settings), messageCount: 2, turnCount: 1, lastSeq: 3 };

  test('without a client message id: session, hold, message; the count is added to, not set', () => {
    const tx = appendMessageTx(TABLE, write(s, next), message(s, 2), null, 800, NOW);
    expect(names(tx)).toEqual(['session', 'hold', 'message']);
    expect(part(tx, 'message').Put).toMatchObject({ Item: { seq: 2, ttl: 800 }, ConditionExpression: 'attribute_not_exists(pk)' });
    const session = part(tx, 'session').Update!;
    expect(session.UpdateExpression).toMatch(/ADD #u\d+ :u\d+$/);
    expect(setsOf(part(tx, 'session'))).not.toHaveProperty('messageCount');
    expect(setsOf(part(tx, 'session'))).toMatchObject({ lastSeq: 3, turnCount: 1, version: 4 });
    expect(setsOf(part(tx, 'hold'))).toMatchObject({ turnCount: 1 });
  });

  test('a USER message creates the record (position 3, named clientMessage), returning an existing one', () => {
    const tx = appendMessageTx(TABLE, write(s, next), message(s, 2), 'cm-1', 800, NOW);
    expect(names(tx)).toEqual(['session', 'hold', 'message', 'clientMessage']);
    expect(tx[3][0]).toBe('clientMessage');
    expect(part(tx, 'clientMessage').Put).toEqual({
      TableName: TABLE,
      Item: { ...clientMessageKey('t1', s.id, 'cm-1'), type: 'CLIENT_MESSAGE', userSeq: 2, ttl: 800 },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('an ASSISTANT message (a late reply of an earlier layout) completes the record once', () => {
    const tx = appendMessageTx(TABLE, write(s, next), message(s, 3, 'ASSISTANT'), 'cm-1', 800, NOW);
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

test('appendReply: the reserved seq, counted without a version, only while live, unexpired and above the children floor', () => {
  const s = session(1);
  const reply = { ...message(s, 3, 'ASSISTANT'), replyTo: 2, createdAt: NOW };
  const tx = appendReplyTx(TABLE, s, reply, 800, NOW);
  // A turn: the topic's and the user's counters of the month count it (no tokens recorded here).
  expect(names(tx)).toEqual(['reply', 'session', 'usage', 'userUsage']);
  expect(part(tx, 'reply').Put).toMatchObject({
    Item: { seq: 3, replyTo: 2, ttl: 800 },
    ConditionExpression: 'attribute_not_exists(pk)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  expect(part(tx, 'session').Update).toMatchObject({
    Key: sessionKey('t1', s.id),
    UpdateExpression: 'SET updatedAt = :at ADD messageCount :one',
    ConditionExpression: '#status IN (:active, :paused) AND #ttl > :now AND (attribute_not_exists(childTtl) OR childTtl <= :replyTtl)',
  });
  expect(part(tx, 'session').Update!.ConditionExpression).not.toContain('version');
});

test('appendReply with usage: the session, the topic counter and the user counter ADD it, without conditions', () => {
  const s = session(1);
  const reply = { ...message(s, 3, 'ASSISTANT'), replyTo: 2, createdAt: NOW, usage: { inputTokens: 120, outputTokens: 30 } };
  const tx = appendReplyTx(TABLE, s, reply, 800, NOW);
  expect(part(tx, 'reply').Put!.Item).toMatchObject({ inputTokens: 120, outputTokens: 30 });
  expect(part(tx, 'session').Update).toMatchObject({
    UpdateExpression: 'SET updatedAt = :at ADD messageCount :one, inputTokens :in, outputTokens :out',
    ExpressionAttributeValues: expect.objectContaining({ ':in': 120, ':out': 30 }),
  });
  const month = new Date(NOW).toISOString().slice(0, 7);
  for (const [name, key] of [['usage', { pk: 'T#t1#TOPIC#focus', sk: `USAGE#${month}` }], ['userUsage', { pk: `T#t1#USER#${s.userId}`, sk: `USAGE#${month}` }]] as const) {
    const update = part(tx, name).Update!;
    expect(update.Key).toEqual(key);
    expect(update.UpdateExpression).toContain('ADD inputTokens :in, outputTokens :out, turns :turns');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':in': 120, ':out': 30, ':turns': 1 });
    expect(update.ConditionExpression).toBeUndefined();
  }
  // A regenerate's reply: tokens, but not another turn.
  const replaced = appendReplyTx(TABLE, s, { ...reply, revision: 1 }, 800, NOW, { token: 'tok', clientMessageId: 're-1' });
  expect(part(replaced, 'usage').Update!.ExpressionAttributeValues).toMatchObject({ ':turns': 0, ':in': 120 });
});

test('diffUpdate: SET the changed, REMOVE the gone, ADD the counters; null when nothing changes', () => {
  expect(diffUpdate({ a: 1, b: 'x', c: true }, { a: 1, b: 'y', d: 2 }, { n: 3 }, ['e'])).toEqual({
    text: 'SET #u0 = :u0, #u1 = :u1 REMOVE #u2, #u3 ADD #u4 :u2',
    names: { '#u0': 'b', '#u1': 'd', '#u2': 'c', '#u3': 'e', '#u4': 'n' },
    values: { ':u0': 'y', ':u1': 2, ':u2': 3 },
  });
  expect(diffUpdate({ a: 1 }, { a: 1 })).toBeNull();
  expect(diffUpdate({ a: 1 }, { a: 1 }, { n: 0 })).toBeNull();
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

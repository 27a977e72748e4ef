/**
 * The rules both repositories apply (domain/erasure.ts, domain/child-ttl.ts): the DynamoDB
 * store and the in-memory fake call these, so these tests pin them once.
 */
import { CHILD_SLACK_MS, childExpiresAt, nextChildFloor } from '../../src/domain/child-ttl';
import { erasureReach, redactedMessage, redactedSession, redactedTransfer, redactionWalker } from '../../src/domain/erasure';
import { ended, Message } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { ERASED_CONTENT, ERASED_RESULT, TransferEntry } from '../../src/domain/user-data';
import { liveSession } from '../support/session-fixture';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const msg = (seq: number, role: 'USER' | 'ASSISTANT', over: Partial<Message> = {}): Message => ({ sessionId: 's', seq, role, content: `m${seq}`, createdAt: T0, ...over });

test('an erasure reaches a whole session when it is the user\'s or nobody can read it; else only what is theirs', () => {
  expect(erasureReach(null, 'eve')).toBe('whole');
  expect(erasureReach({ userId: 'eve' }, 'eve')).toBe('whole');
  expect(erasureReach({ userId: 'bob' }, 'eve')).toBe('theirs');
});

test('the walker redacts their messages, replies to them, and a welcome back after their last word; nothing else', () => {
  const conversation = [
    msg(1, 'ASSISTANT'), // opening: stays
    msg(2, 'USER', { authorId: 'eve', clientMessageId: 'c2' }),
    msg(3, 'ASSISTANT', { replyTo: 2 }),
    msg(4, 'ASSISTANT'), // welcome back after eve's words
    msg(5, 'USER', { authorId: 'bob' }),
    msg(6, 'ASSISTANT', { replyTo: 5 }),
    msg(7, 'ASSISTANT', { replyTo: 2 }), // a late reply to eve
    msg(8, 'ASSISTANT'), // welcome back after bob's words
  ];
  const redacts = redactionWalker('eve');
  expect(conversation.map((m) => redacts(m))).toEqual([null, 'theirs', 'answer', 'answer', null, null, 'answer', null]);
  expect(redactedMessage(conversation[1])).toEqual({ sessionId: 's', seq: 2, role: 'USER', content: ERASED_CONTENT, createdAt: T0 });
});

test('a redacted session names the pseudonym, moves its version, and loses a result extracted from their words', () => {
  const base = liveSession(1, T0, DEFAULT_SETTINGS, { userId: 'bob' });
  const done = {
    ...ended(base, 'COMPLETED', T0 + 1000, DEFAULT_SETTINGS),
    result: { a: 1 },
    transfer: { at: T0, by: 'eve', from: 'eve' },
    owners: [{ userId: 'eve', fromSeq: 1 }, { userId: 'bob', fromSeq: 3 }],
    sharedBy: ['eve'],
  };
  const out = redactedSession(done, 'eve', 'erased:x', true)!;
  expect(out.resultDropped).toBe(true);
  expect(out.session).toMatchObject({
    version: done.version + 1,
    redactions: 1,
    result: null,
    resultError: ERASED_RESULT,
    transfer: { at: T0, by: 'erased:x', from: 'erased:x' },
    owners: [{ userId: 'erased:x', fromSeq: 1 }, { userId: 'bob', fromSeq: 3 }],
    sharedBy: ['erased:x'],
  });
  // Named only: a new version, nothing else of the conversation.
  const named = redactedSession({ ...base, sharedBy: ['eve'] }, 'eve', 'erased:x', false)!;
  expect(named).toEqual({ session: { ...base, sharedBy: ['erased:x'], version: base.version + 1 }, resultDropped: false });
  expect(redactedSession(base, 'eve', 'erased:x', false)).toBeNull();
});

test('a transfer entry naming the user names the pseudonym; one that does not stays', () => {
  const t: TransferEntry = { sessionId: 's', seq: 2, at: T0, from: 'eve', to: 'bob', by: 'eve', topicId: null, withContent: false };
  expect(redactedTransfer(t, 'eve', 'p')).toEqual({ ...t, from: 'p', by: 'p' });
  expect(redactedTransfer(t, 'zed', 'p')).toBeNull();
});

test('children expire a day after their session; raised when the session passes their floor, settled when it ends', () => {
  const s = liveSession(2, T0, DEFAULT_SETTINGS);
  expect(childExpiresAt(s)).toBe(s.expiresAt + CHILD_SLACK_MS);
  expect(nextChildFloor(s.expiresAt + 1000, s)).toEqual({ floor: s.expiresAt + 1000, raise: false });
  expect(nextChildFloor(s.expiresAt, s)).toEqual({ floor: s.expiresAt, raise: false });
  expect(nextChildFloor(s.expiresAt - 1000, s)).toEqual({ floor: childExpiresAt(s), raise: true });
  const over = ended(s, 'CANCELLED', T0 + 1000, DEFAULT_SETTINGS);
  expect(nextChildFloor(childExpiresAt(s), over)).toEqual({ floor: childExpiresAt(over), raise: false });
});

import { DomainError } from '../../src/domain/errors';
import { messageId, newSessionId, parseMessageId, parseMessageRef } from '../../src/domain/ids';

const session = newSessionId(Date.UTC(2025, 0, 1));

test('a message id is `<sessionId>:<seq>` and parses back to its seq', () => {
  expect(messageId(session, 7)).toBe(`${session}:7`);
  for (const seq of [1, 42, 999_999_999]) expect(parseMessageId(session, messageId(session, seq))).toBe(seq);
});

test('a regenerated reply\'s id carries its revision: `<sessionId>:<seq>r<revision>`', () => {
  expect(messageId(session, 7, 0)).toBe(`${session}:7`);
  expect(messageId(session, 7, 2)).toBe(`${session}:7r2`);
  expect(parseMessageRef(session, `${session}:7r2`)).toEqual({ seq: 7, revision: 2 });
  expect(parseMessageRef(session, `${session}:7`)).toEqual({ seq: 7, revision: 0 });
  expect(parseMessageId(session, `${session}:7r2`)).toBe(7);
});

test.each([
  ['not an id', 'nope'],
  ['revision 0 spelled out', `${session}:3r0`],
  ['an empty revision', `${session}:3r`],
  ['seq 0', `${session}:0`],
  ['a negative seq', `${session}:-1`],
  ['more than 9 digits', `${session}:1234567890`],
  ['another session', `${newSessionId(Date.UTC(2025, 0, 2))}:1`],
  ['no session', ':1'],
])('%s is BAD_USER_INPUT on messageId', (_name, id) => {
  let caught: unknown;
  try {
    parseMessageId(session, id);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect(caught).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: 'messageId is not a message of this session',
    details: { argumentName: 'messageId' },
  });
});

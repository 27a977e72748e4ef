import { DomainError } from '../../src/domain/errors';
import { messageId, newSessionId, parseMessageId } from '../../src/domain/ids';

const session = newSessionId(Date.UTC(2025, 0, 1));

test('a message id is `<sessionId>:<seq>` and parses back to its seq', () => {
  expect(messageId(session, 7)).toBe(`${session}:7`);
  for (const seq of [1, 42, 999_999_999]) expect(parseMessageId(session, messageId(session, seq))).toBe(seq);
});

test.each([
  ['not an id', 'nope'],
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

import { getOperationAST, parse } from 'graphql';
import { loggableVariables } from '../../src/observability/loggable-variables';

describe('loggableVariables, remembered per parsed operation', () => {
  const doc = parse(`
    mutation M($t: ID!, $text: String!, $s: ID!) { sendMessage(sessionId: $s, content: $text) { id } startSession(topicId: $t) { session { id } } }
  `);
  const op = getOperationAST(doc)!;

  test('each request logs its own values of the safe variables, never the unsafe one, the second time as the first', () => {
    for (const [s, t] of [['s1', 't1'], ['s2', 't2'], ['s1', 't1']]) {
      expect(loggableVariables(doc, op, { s, t, text: 'private words' })).toEqual({ s, t });
    }
  });

  test('absent, undefined and too long values are left out; nothing left is undefined', () => {
    expect(loggableVariables(doc, op, { t: 'x'.repeat(129), text: 'private' })).toBeUndefined();
    expect(loggableVariables(doc, op, { s: undefined, t: 'x'.repeat(128) })).toEqual({ t: 'x'.repeat(128) });
  });

  test('a variable that also feeds an unsafe argument is never logged', () => {
    const both = parse('mutation N($x: ID!) { sendMessage(sessionId: $x, content: $x) { id } }');
    const n = getOperationAST(both)!;
    expect(loggableVariables(both, n, { x: 'a' })).toBeUndefined();
    expect(loggableVariables(both, n, { x: 'b' })).toBeUndefined();
  });
});

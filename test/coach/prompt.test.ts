import { runInNewContext } from 'node:vm';
import { alternating, parseJsonReply, withinBudget } from '../../src/coach/prompt';
import { textPieces } from '../../src/coach/stream';
import { conversation } from './fixtures';

test('alternating merges consecutive turns of one role and starts with the user', () => {
  const msgs = conversation(4); // U A U ... newest is the user's: 1 A, 2 U, 3 A, 4 U
  const doubled = [...msgs.slice(0, 2), { ...msgs[1], seq: 3, content: 'again' }, { ...msgs[3], seq: 4 }];
  expect(alternating(doubled)).toEqual([{ role: 'user', text: 'message 2\n\nagain\n\nmessage 4' }]);
});

test('withinBudget keeps the newest messages in order and never drops the newest one', () => {
  expect(withinBudget(conversation(10), { maxMessages: 3, maxChars: 1000 }).map((m) => m.seq)).toEqual([8, 9, 10]);
  const huge = conversation(3).map((m) => ({ ...m, content: 'y'.repeat(500) }));
  expect(withinBudget(huge, { maxMessages: 10, maxChars: 100 }).map((m) => m.seq)).toEqual([3]);
});

describe('model output is scanned in linear time', () => {
  // A quadratic scan of 200k characters takes tens of seconds here, a linear one milliseconds.
  // Nothing is timed: a call still running after a generous 3 s is stopped (vm's watchdog
  // interrupts even a regex), so the old code fails in seconds instead of blocking the run.
  const bounded = <T>(call: () => T): T => runInNewContext('call()', { call }, { timeout: 3000 }) as T;
  const spaces = ' '.repeat(200_000);

  test('parseJsonReply over 200k spaces inside the answer', () => {
    expect(bounded(() => parseJsonReply(`{"a": 1}${spaces}and some prose`))).toEqual({ a: 1 });
    expect(bounded(() => parseJsonReply(`\`\`\`json\n{"b": 2}${spaces}\n\`\`\``))).toEqual({ b: 2 });
  });

  test('textPieces over 200k spaces', () => {
    expect(bounded(() => textPieces(spaces))).toEqual([spaces]);
    expect(bounded(() => textPieces(`one two three four${spaces}`))).toEqual(['one two three ', `four${spaces}`]);
  });
});

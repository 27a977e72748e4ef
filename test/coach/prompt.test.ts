import { alternating, withinBudget } from '../../src/coach/prompt';
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

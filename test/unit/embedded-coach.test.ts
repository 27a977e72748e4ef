import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { CoachTurn } from '../../src/coach/port';
import { Message, Session } from '../../src/domain/session';
import { Topic } from '../../src/domain/topic';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { FOCUS } from './fixtures';

const coreValues = BUILTIN_TOPICS.find((t) => t.id === 'core_values')!;

const session: Session = {
  id: 'ses_01KDWCJ2M0149RAFMWBDQD4FPB',
  tenantId: 't1',
  userId: 'alice',
  topicId: 'core_values',
  status: 'ACTIVE',
  createdAt: 0,
  updatedAt: 0,
  lastActivityAt: 0,
  endedAt: null,
  expiresAt: 1_000_000,
  messageCount: 2,
  version: 2,
};

function turn(content: string, seq = 2, topic: Topic = coreValues): CoachTurn {
  const userMessage: Message = { sessionId: session.id, seq, role: 'USER', content, createdAt: 0 };
  return {
    topic,
    session: { ...session, topicId: topic.id, messageCount: seq },
    userMessage,
    recentMessages: async () => {
      throw new Error('the embedded coach should not need the history');
    },
  };
}

const coach = new EmbeddedCoach();

test('the opening is the topic opening message', async () => {
  expect(await coach.opening(coreValues)).toBe(coreValues.openingMessage);
  expect(await coach.opening(FOCUS)).toBe(FOCUS.openingMessage);
});

test('deterministic: the same input gives the same reply, also from another instance', async () => {
  const input = 'I felt proud when I helped a colleague ship on time.';
  const a = await coach.reply(turn(input, 4));
  const b = await coach.reply(turn(input, 4));
  const c = await new EmbeddedCoach().reply(turn(input, 4));
  expect(b).toBe(a);
  expect(c).toBe(a);
});

test('reflects the user\'s own words', async () => {
  const reply = await coach.reply(turn('Honesty matters most to me. Also some other things.'));
  expect(reply).toContain('Honesty matters most to me');
  expect(reply).not.toContain('Also some other things');
});

test('is not an echo: it adds a question of its own', async () => {
  const input = 'I like building things.';
  const reply = await coach.reply(turn(input));
  expect(reply).not.toBe(input);
  expect(reply.length).toBeGreaterThan(input.length + 20);
  expect(reply.trim().endsWith('?')).toBe(true);
});

test('differs across turns for the same words', async () => {
  const input = 'I am not sure yet.';
  const replies = await Promise.all([2, 4, 6, 8].map((seq) => coach.reply(turn(input, seq))));
  expect(new Set(replies).size).toBe(replies.length);
});

test('differs across topics', async () => {
  const input = 'I am not sure yet.';
  const goals = BUILTIN_TOPICS.find((t) => t.id === 'goals')!;
  expect(await coach.reply(turn(input, 2, coreValues))).not.toBe(await coach.reply(turn(input, 2, goals)));
});

test('a topic without its own questions still gets a sensible reply', async () => {
  const reply = await coach.reply(turn('Email keeps pulling me away.', 2, FOCUS));
  expect(reply).toContain('Email keeps pulling me away');
  expect(reply.trim().endsWith('?')).toBe(true);
});

test('long messages are shortened when reflected, and quotes do not nest', async () => {
  const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen';
  const reply = await coach.reply(turn(long));
  expect(reply).toContain('one two three four five six seven eight nine ten eleven twelve thirteen fourteen...');
  expect(reply).not.toContain('fifteen');
  const quoted = await coach.reply(turn('My manager said "ship it" and I froze.'));
  expect(quoted).toContain("My manager said 'ship it' and I froze");
});

test('whitespace in the user message is normalised in the reflection', async () => {
  const reply = await coach.reply(turn('  I   value\n\n  fairness.  '));
  expect(reply).toContain('I value fairness');
  expect(reply).not.toMatch(/value\s{2,}|\n/);
});

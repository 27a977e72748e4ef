import { Message, Session } from '../../src/domain/session';
import { Topic } from '../../src/domain/topic';
import { CoachTurn } from '../../src/coach/port';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';

export const topic: Topic = BUILTIN_TOPICS.find((t) => t.id === 'core_values')!;

export function conversation(n: number): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    sessionId: 'ses_X',
    seq: i + 1,
    role: (n - 1 - i) % 2 === 0 ? 'USER' : 'ASSISTANT', // the newest is the user's
    content: `message ${i + 1}`,
    createdAt: 1_700_000_000_000 + i,
  }));
}

/** A turn whose history is `messages`; records the limits the adapter asked for. */
export function turnOf(messages: Message[]) {
  const asked: number[] = [];
  const turn: CoachTurn = {
    topic,
    session: { id: 'ses_X' } as Session,
    userMessage: messages[messages.length - 1],
    recentMessages: async (limit) => {
      asked.push(limit);
      return messages.slice(-limit);
    },
  };
  return { turn, asked };
}

/** An OpenAI-compatible chat completion answering `content`, as the stub servers send it. */
export const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'stub-model',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

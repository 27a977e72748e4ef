import { Message } from '../domain/session';
import { Topic } from '../domain/topic';

/** How much of a conversation a model adapter sends: never the whole history of a long one. */
export interface HistoryBudget {
  /** At most this many most recent messages... */
  maxMessages: number;
  /** ...and at most this many characters of them (the newest message is always kept). */
  maxChars: number;
}

export const DEFAULT_BUDGET: HistoryBudget = { maxMessages: 20, maxChars: 12_000 };

export function systemPrompt(topic: Topic): string {
  return [
    `You are a thoughtful professional coach in a session on "${topic.name}".`,
    topic.description ? `Topic: ${topic.description}` : '',
    `Instructions: ${topic.instructions}`,
    'Ask one open question at a time, reflect the user\'s own words, keep replies short (under 120 words), and never claim to be human.',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The newest messages that fit the budget, oldest first. */
export function withinBudget(messages: readonly Message[], budget: HistoryBudget): Message[] {
  const newestFirst = [...messages].sort((a, b) => b.seq - a.seq).slice(0, budget.maxMessages);
  const kept: Message[] = [];
  let chars = 0;
  for (const m of newestFirst) {
    if (kept.length > 0 && chars + m.content.length > budget.maxChars) break;
    kept.push(m);
    chars += m.content.length;
  }
  return kept.reverse();
}

/**
 * Conversations for APIs that want strictly alternating turns starting with the user
 * (Bedrock Converse): leading coach messages are dropped, consecutive ones merged.
 */
export function alternating(messages: readonly Message[]): { role: 'user' | 'assistant'; text: string }[] {
  const turns: { role: 'user' | 'assistant'; text: string }[] = [];
  for (const m of messages) {
    const role = m.role === 'USER' ? 'user' : 'assistant';
    if (turns.length === 0 && role === 'assistant') continue;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.text += `\n\n${m.content}`;
    else turns.push({ role, text: m.content });
  }
  return turns;
}

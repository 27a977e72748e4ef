import { Message } from '../domain/session';
import { Topic } from '../domain/topic';

/** How much of a conversation a model adapter sends: never the whole history of a long one. */
export interface HistoryBudget {
  /** At most this many most recent messages... */
  maxMessages: number;
  /** ...and at most this many characters of them (the newest message is always kept). */
  maxChars: number;
}



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

/** For APIs that want strict user-first alternation (Bedrock Converse). */
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

/** "5 days", "3 hours", "20 minutes", "less than a minute": how long a session was idle, in words. */
export function idleDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return 'less than a minute';
}

/** The system instruction for a welcome back (model adapters). */
export function welcomeBackPrompt(topic: Topic, idleMs: number): string {
  return [
    systemPrompt(topic),
    `The user is coming back to this session after ${idleDuration(idleMs)} away.`,
    'Write a brief, warm welcome back (at most 60 words) that recalls where the conversation stood, ' +
      "quoting or paraphrasing the user's last point, and ask whether to pick up from there. Do not start a new topic.",
  ].join('\n');
}

/** The system instruction for result extraction (model adapters): JSON only, matching the topic's schema. */
export function resultPrompt(topic: Topic): string {
  return [
    `You extract the outcome of a finished coaching session on "${topic.name}".`,
    topic.description ? `Topic: ${topic.description}` : '',
    'Read the transcript and answer with a single JSON object, and nothing else (no prose, no code fences), ' +
      'that matches this JSON Schema. Use only what the user actually said or agreed to; keep it in their words.',
    `JSON Schema: ${JSON.stringify(topic.resultSchema ?? { type: 'object', properties: {} })}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** The conversation as one text block ("User: ...", "Coach: ..."), for a single-turn request. */
export function transcript(messages: readonly Message[]): string {
  return messages.map((m) => `${m.role === 'USER' ? 'User' : 'Coach'}: ${m.content}`).join('\n\n');
}

/** Tolerates code fences or a sentence around the JSON object; throws when there is none. */
export function parseJsonReply(text: string): unknown {
  const trimmed = withoutFences(text.trim());
  try {
    return JSON.parse(trimmed);
  } catch {
    const start = trimmed.indexOf('{');
    const end = trimmed.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        return JSON.parse(trimmed.slice(start, end + 1));
      } catch {
        // fall through
      }
    }
    throw new Error('the model did not answer with JSON');
  }
}

/** By hand: a regex like /\s*```$/ backtracks quadratically over a model's whitespace. */
function withoutFences(text: string): string {
  let out = text;
  const open = /^```(?:json)?/i.exec(out);
  if (open) out = out.slice(open[0].length).trimStart();
  if (out.endsWith('```')) out = out.slice(0, -3).trimEnd();
  return out;
}

/** How much of the conversation an extraction sends: more than a reply, still bounded. */
export const extractionBudget = (budget: HistoryBudget): HistoryBudget => ({ maxMessages: 200, maxChars: budget.maxChars * 4 });

import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from './port';
import { cleanTitle } from './memory-prompt';
import { Topic } from '../domain/topic';
import { Message } from '../domain/session';
import { ResultSchema } from '../domain/result-schema';
import { idleDuration } from './prompt';
import { pause, textPieces } from './stream';

/** The pause between two pieces of a streamed reply: enough for a frontend to show it being written. */
export const EMBEDDED_PIECE_DELAY_MS = 30;

/** A deterministic offline coach (explore -> deepen -> name -> commit): same input, same reply. */
export class EmbeddedCoach implements Coach {
  readonly name = 'embedded';

  constructor(private readonly opts: { pieceDelayMs?: number } = {}) {}

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply({ topic, userMessage, onUsage }: CoachTurn): Promise<string> {
    const turn = Math.ceil(userMessage.seq / 2); // user messages take even seqs after the opening
    const echo = keyPhrase(userMessage.content);
    const questions = QUESTIONS.get(topic.id) ?? GENERIC_QUESTIONS;
    const stage = STAGES[Math.min(turn - 1, STAGES.length - 1)];
    const question = questions[(turn - 1) % questions.length];
    const reflection = echo ? `You said "${echo}". ${stage}` : stage;
    const text = `${reflection} ${question}`;
    onUsage?.({ inputTokens: estimate(userMessage.content), outputTokens: estimate(text) });
    return text;
  }

  /** The same reply, a few words at a time, paced like a model writing it (offline and deterministic). */
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    const delay = this.opts.pieceDelayMs ?? EMBEDDED_PIECE_DELAY_MS;
    const pieces = textPieces(await this.reply(turn));
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && delay > 0) await pause(delay, turn.signal);
      yield pieces[i];
    }
  }

  /** "Welcome back! It has been 5 days. Last time you told me: '...'. Shall we pick up from there?" */
  async welcomeBack({ topic, idleMs, recentMessages, onUsage }: WelcomeBackTurn): Promise<string> {
    const recent = await recentMessages(10);
    const lastUser = [...recent].reverse().find((m) => m.role === 'USER');
    const since = idleMs >= 60_000 ? `It has been ${idleDuration(idleMs)}.` : 'Good to see you again.';
    const recall = lastUser
      ? `Last time you told me: '${keyPhrase(lastUser.content)}'.`
      : `We had just started on ${topic.name.toLowerCase()}.`;
    const text = `Welcome back! ${since} ${recall} Shall we pick up from there?`;
    onUsage?.({ inputTokens: estimate(recent.map((m) => m.content).join('')), outputTokens: estimate(text) });
    return text;
  }

  /** Deterministic: fills the schema from the user's own words (core values: the value words they named). */
  async extractResult({ topic, messages, onUsage }: ResultRequest): Promise<unknown> {
    const said = messages.filter((m) => m.role === 'USER');
    const schema = topic.resultSchema;
    if (!schema) return {};
    const result = topic.id === 'core_values' && schema.properties.values ? { values: coreValues(said, schema.properties.values) } : fill(schema, said.map((m) => m.content).reverse());
    onUsage?.({ inputTokens: estimate(messages.map((m) => m.content).join('')), outputTokens: estimate(JSON.stringify(result) ?? '') });
    return result;
  }

  /** The earlier summary plus a key phrase of each folded user message; past `maxChars` the middle goes (the start and the latest stay). */
  async summarize({ summary, messages, maxChars, onUsage }: SummaryRequest): Promise<string> {
    const phrases = messages.filter((m) => m.role === 'USER').map((m) => keyPhrase(m.content)).filter(Boolean);
    const text = (summary ? [summary, ...phrases] : phrases).join('; ');
    onUsage?.({ inputTokens: estimate((summary ?? '') + messages.map((m) => m.content).join('')), outputTokens: estimate(text) });
    if (text.length <= maxChars) return text;
    const head = Math.floor(maxChars / 3);
    return `${text.slice(0, head)} ... ${text.slice(text.length - (maxChars - head - 5))}`;
  }

  /** The first user message's key phrase, or the topic's name. */
  async title({ topic, userMessage, onUsage }: TitleRequest): Promise<string> {
    const title = cleanTitle(keyPhrase(userMessage.content)) || topic.name;
    onUsage?.({ inputTokens: estimate(userMessage.content), outputTokens: estimate(title) });
    return title;
  }
}

/** The embedded coach's token estimate: about four characters a token, of what it reads and writes (docs/coach.md#token-usage). */
const estimate = (text: string) => Math.ceil(text.length / 4);

/** Value words and the stems that name them, in a fixed order (deterministic). */
const VALUE_WORDS: [RegExp, string][] = [
  [/\bhonest(y)?\b|\btruth/i, 'Honesty'],
  [/\bintegrity\b/i, 'Integrity'],
  [/\bgrow(th|ing|s)?\b|\blearn(ing|s)?\b/i, 'Growth'],
  [/\bhelp(ing|s|ed)?\b|\bsupport(ing|s)?\b|\bserv(e|ing)\b/i, 'Helping others'],
  [/\bcurio(us|sity)\b/i, 'Curiosity'],
  [/\bkind(ness)?\b|\bcompassion/i, 'Kindness'],
  [/\brespect(ed|ing)?\b/i, 'Respect'],
  [/\bfair(ness)?\b|\bjustice\b/i, 'Fairness'],
  [/\btrust(ed|ing)?\b/i, 'Trust'],
  [/\bfreedom\b|\bautonom(y|ous)\b|\bindependen(t|ce)\b/i, 'Autonomy'],
  [/\bcreativ(e|ity)\b|\bcreat(e|ing)\b/i, 'Creativity'],
  [/\bcourage(ous)?\b|\bbrave(ry)?\b/i, 'Courage'],
  [/\bexcellen(t|ce)\b|\bquality\b|\bcraft/i, 'Excellence'],
  [/\bteam(work)?\b|\bcollaborat(e|ion|ing)\b|\btogether\b/i, 'Collaboration'],
  [/\bfamily\b/i, 'Family'],
  [/\bbalance\b/i, 'Balance'],
  [/\bresponsib(le|ility)\b|\baccountab(le|ility)\b|\bownership\b/i, 'Responsibility'],
  [/\bimpact\b|\bdifference\b/i, 'Impact'],
];

function coreValues(said: Message[], schema: ResultSchema): { name: string; meaning: string }[] {
  const max = schema.type === 'array' ? (schema.maxItems ?? 7) : 7;
  const itemSchema = schema.type === 'array' ? schema.items : null;
  const meaningMax = itemSchema?.type === 'object' && itemSchema.properties.meaning?.type === 'string' ? (itemSchema.properties.meaning.maxLength ?? 200) : 200;
  const found = new Map<string, string>();
  for (const m of said) {
    for (const sentence of sentences(m.content)) {
      for (const [pattern, name] of VALUE_WORDS) {
        if (!found.has(name) && pattern.test(sentence)) found.set(name, clip(sentence, meaningMax));
      }
    }
  }
  return [...found].slice(0, max).map(([name, meaning]) => ({ name, meaning }));
}

/** A value for `schema` from the user's statements (newest first). */
function fill(schema: ResultSchema, statements: string[]): unknown {
  switch (schema.type) {
    case 'object': {
      const filled = Object.entries(schema.properties).map(([name, sub]) => [name, fill(sub, statements)] as const);
      return Object.fromEntries(filled.filter(([, value]) => value !== undefined));
    }
    case 'array': {
      const n = Math.min(statements.length, schema.maxItems ?? 5);
      return statements.slice(0, n).map((s) => fill(schema.items, [s]));
    }
    case 'string':
      return statements.length ? clip(sentences(statements[0])[0] ?? statements[0], schema.maxLength ?? 500) : undefined;
    default:
      return undefined;
  }
}

const sentences = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?])\s/)
    .filter(Boolean);

function clip(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= max ? clean : `${clean.slice(0, Math.max(max - 3, 0)).trimEnd()}...`;
}

const STAGES = [
  'Thank you for starting there; that tells me what is on your mind.',
  'I notice that matters to you. Let us stay with it a little longer.',
  'There is a pattern forming in what you describe.',
  'It sounds like you are getting closer to naming it.',
  'You have come a long way in this conversation.',
];

const GENERIC_QUESTIONS = [
  'What makes this important to you right now?',
  'Can you tell me about a moment when this showed up clearly?',
  'What would it look like if this were fully true in your work?',
  'What is one small step you could take this week?',
];

/** By topic id; a Map, so that a tenant's topic called "constructor" gets the generic questions. */
const QUESTIONS = new Map<string, string[]>(Object.entries({
  core_values: [
    'When did you last feel fully yourself at work, and what were you doing?',
    'What value was being honoured in that moment?',
    'When has one of your values been stepped on, and how did that feel?',
    'If you had to keep only three values, which would they be?',
    'How would someone who works with you see those values in action?',
  ],
  purpose: [
    'Who do you most want your work to make a difference for?',
    'What problem in the world do you feel pulled to work on?',
    'When have you felt that your work truly mattered?',
    'How would you finish the sentence "I exist to ..."?',
    'What would change tomorrow if you lived that purpose fully?',
  ],
  vision: [
    'Imagine it is five years from now and things went well: what do you see?',
    'Who is around you in that picture, and what are they doing?',
    'What is the boldest part of that picture, the one you hesitate to say out loud?',
    'What has to be true one year from now for that future to be on track?',
    'How would you describe that vision in a single sentence?',
  ],
  strengths: [
    'What do people come to you for, even when it is not your job?',
    'Which tasks leave you with more energy than you started with?',
    'When did a strength of yours make the difference for a team?',
    'Where might one of your strengths be overused?',
    'How could you use your top strength more deliberately next week?',
  ],
  goals: [
    'What outcome would make the next quarter a success for you?',
    'How will you know you have achieved it; what will you measure?',
    'What has stopped you from reaching a goal like this before?',
    'Who could support you, and what would you ask of them?',
    'What is the very first step, and when will you take it?',
  ],
}));

/** The user's own words, shortened to a clause, to reflect back. */
function keyPhrase(content: string): string {
  const clean = content.replace(/\s+/g, ' ').trim();
  const first = clean.split(/(?<=[.!?])\s/)[0] ?? clean;
  const words = first.split(' ');
  const phrase = words.length > 14 ? `${words.slice(0, 14).join(" ")}...` : withoutEndPunctuation(first);
  return phrase.replace(/"/g, "'");
}


/** `text` without its closing run of . ! ?, by a scan: /[.!?]+$/ backtracks quadratically over a long run elsewhere. */
function withoutEndPunctuation(text: string): string {
  let end = text.length;
  while (end > 0 && '.!?'.includes(text[end - 1])) end--;
  return text.slice(0, end);
}

import { Coach, CoachTurn } from './port';
import { Topic } from "../domain/topic";


/**
 * A deterministic coach that works offline. It follows a simple, real coaching
 * arc per topic (explore -> deepen -> name -> commit), reflects the user's own
 * words back, and asks one open question at a time. Same input, same reply.
 */
export class EmbeddedCoach implements Coach {
  readonly name = 'embedded';

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply({ topic, userMessage }: CoachTurn): Promise<string> {
    const turn = Math.ceil(userMessage.seq / 2); // user messages take even seqs after the opening
    const echo = keyPhrase(userMessage.content);
    const questions = QUESTIONS[topic.id] ?? GENERIC_QUESTIONS;
    const stage = STAGES[Math.min(turn - 1, STAGES.length - 1)];
    const question = questions[(turn - 1) % questions.length];
    const reflection = echo ? `You said "${echo}". ${stage}` : stage;
    return `${reflection} ${question}`;
  }
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

const QUESTIONS: Record<string, string[]> = {
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
};

/** The user's own words, shortened to a clause, to reflect back. */
function keyPhrase(content: string): string {
  const clean = content.replace(/\s+/g, ' ').trim();
  const first = clean.split(/(?<=[.!?])\s/)[0] ?? clean;
  const words = first.split(' ');
  const phrase = words.length > 14 ? `${words.slice(0, 14).join(" ")}...` : first.replace(/[.!?]+$/, "");
  return phrase.replace(/"/g, "'");
}


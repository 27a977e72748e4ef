import { Topic } from '../domain/topic';
import { DEFAULT_SETTINGS } from '../defaults';
import { ResultObjectSchema } from '../domain/result-schema';

const text = (maxLength: number, description: string) => ({ type: 'string' as const, maxLength, description });

/** What completeSession extracts per built-in topic (see src/domain/result-schema.ts). */
export const BUILTIN_RESULT_SCHEMAS: Record<string, ResultObjectSchema> = {
  core_values: {
    type: 'object',
    properties: {
      values: {
        type: 'array',
        minItems: 1,
        maxItems: 7,
        description: 'The core values the user named, most important first',
        items: {
          type: 'object',
          properties: { name: text(60, 'The value, in a word or two'), meaning: text(300, 'What it means to the user, in their words') },
          required: ['name', 'meaning'],
          additionalProperties: false,
        },
      },
    },
    required: ['values'],
    additionalProperties: false,
  },
  purpose: {
    type: 'object',
    properties: { statement: text(500, 'The purpose statement: "I exist to ..."'), servedWho: text(300, 'Who the work is for') },
    required: ['statement'],
    additionalProperties: false,
  },
  vision: {
    type: 'object',
    properties: { picture: text(1000, 'The future the user described'), oneYear: text(500, 'What must be true one year from now') },
    required: ['picture'],
    additionalProperties: false,
  },
  strengths: {
    type: 'object',
    properties: {
      strengths: { type: 'array', minItems: 1, maxItems: 5, items: text(300, 'A strength, with the story that shows it') },
      nextStep: text(300, 'One deliberate way to use a strength more'),
    },
    required: ['strengths'],
    additionalProperties: false,
  },
  goals: {
    type: 'object',
    properties: { goal: text(500, 'The goal, specific and measurable'), firstStep: text(300, 'The first step and when') },
    required: ['goal'],
    additionalProperties: false,
  },
};

/** The built-in catalogue; TOPICS_FILE extends it (an entry with a built-in id replaces it). */
export const BUILTIN_TOPICS: Topic[] = [
  {
    id: 'core_values',
    name: 'Core values',
    description: 'Find the few values that guide your choices at work, in your own words.',
    instructions:
      'Help the user discover three to five core values. Ask about peak moments and moments of frustration, ' +
      'reflect their words back, and help them name each value with a short definition. Ask one question at a time.',
    openingMessage:
      "Welcome! Let's explore your core values: the principles that guide how you work and decide. " +
      'To begin, think of a recent moment at work when you felt proud or fully yourself. What was happening?',
    settings: DEFAULT_SETTINGS,
    resultSchema: BUILTIN_RESULT_SCHEMAS.core_values,
  },
  {
    id: 'purpose',
    name: 'Purpose',
    description: 'Put into words why your work matters and to whom.',
    instructions:
      'Help the user articulate a personal purpose statement. Explore who they serve, what difference they want ' +
      'to make and what gives them meaning. Close by drafting one sentence with them.',
    openingMessage:
      "Hello! Today we'll work on your purpose: why your work matters to you and to others. " +
      'What part of your work gives you the strongest sense of meaning?',
    settings: DEFAULT_SETTINGS,
    resultSchema: BUILTIN_RESULT_SCHEMAS.purpose,
  },
  {
    id: 'vision',
    name: 'Vision',
    description: 'Picture where you want to be in a few years and what it takes to get there.',
    instructions:
      'Guide the user to describe a vivid, concrete picture of their future three to five years out, then work back ' +
      'to what must be true in one year. Keep it positive and specific.',
    openingMessage:
      "Let's shape your vision. Imagine it is a few years from now and things have gone really well. " +
      'Where are you, and what are you doing?',
    settings: DEFAULT_SETTINGS,
    resultSchema: BUILTIN_RESULT_SCHEMAS.vision,
  },
  {
    id: 'strengths',
    name: 'Strengths',
    description: 'Recognise what you do best and how to use it more.',
    instructions:
      'Help the user identify their top strengths from concrete stories, notice where a strength is overused, and ' +
      'plan one deliberate way to use a strength more.',
    openingMessage:
      "Let's look at your strengths. Think of a task you were glad to do and that went well. What was it?",
    settings: DEFAULT_SETTINGS,
    resultSchema: BUILTIN_RESULT_SCHEMAS.strengths,
  },
  {
    id: 'goals',
    name: 'Goals',
    description: 'Turn an intention into a goal you can measure and act on.',
    instructions:
      'Coach the user to one meaningful goal for the next quarter: make it specific and measurable, explore ' +
      'obstacles and support, and end with a first step and a date.',
    openingMessage:
      "Let's set a goal together. What would you most like to have achieved three months from now?",
    settings: DEFAULT_SETTINGS,
    resultSchema: BUILTIN_RESULT_SCHEMAS.goals,
  },
];

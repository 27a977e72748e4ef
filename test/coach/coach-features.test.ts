import { OpenAICoach } from '../../src/coach/openai-coach';
import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { parseJsonReply } from '../../src/coach/prompt';
import { Session } from '../../src/domain/session';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { startStub } from '../support/stub-http';
import { completion, conversation, topic } from './fixtures';

const converse = (text: string) => ({
  output: { message: { role: 'assistant', content: [{ text }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  metrics: { latencyMs: 1 },
});
const budget = { maxMessages: 4, maxChars: 10_000 };
const openai = (url: string) => new OpenAICoach({ baseURL: `${url}/v1`, apiKey: 'sk-test', model: 'stub-model', timeoutMs: 2000, maxRetries: 0, budget });
const bedrock = (url: string) =>
  new BedrockCoach({
    modelId: 'anthropic.stub-v1:0',
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    timeoutMs: 2000,
    maxRetries: 0,
    budget,
  });
const session = { id: 'ses_X' } as Session;
const welcomeTurn = () => ({ topic, session, idleMs: 5 * 86_400_000, recentMessages: async (limit: number) => conversation(9).slice(-limit) });
const request = { topic, session, messages: conversation(6) };

describe('OpenAI-compatible adapter', () => {
  test('welcome back: a system instruction to welcome the user back after 5 days, the recent conversation, then the return', async () => {
    const stub = await startStub(() => ({ body: completion(' Welcome back! ') }));
    try {
      expect(await openai(stub.url).welcomeBack(welcomeTurn())).toBe('Welcome back!');
      const body = stub.requests[0].body;
      expect(body.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('coming back to this session after 5 days') });
      expect(body.messages[0].content).toContain(topic.instructions);
      expect(body.messages.slice(1, -1).map((m: { content: string }) => m.content)).toEqual(['message 6', 'message 7', 'message 8', 'message 9']);
      expect(body.messages[body.messages.length - 1].role).toBe('user');
    } finally {
      await stub.close();
    }
  });

  test('extraction: JSON mode, the schema in the instruction, the transcript; the JSON is parsed', async () => {
    const stub = await startStub(() => ({ body: completion('{"values":[{"name":"Trust","meaning":"Keeping my word"}]}') }));
    try {
      expect(await openai(stub.url).extractResult(request)).toEqual({ values: [{ name: 'Trust', meaning: 'Keeping my word' }] });
      const body = stub.requests[0].body;
      expect(body.response_format).toEqual({ type: 'json_object' });
      expect(body.messages[0].content).toContain(JSON.stringify(topic.resultSchema));
      expect(body.messages[1].content).toContain('User: message 6');
      expect(body.messages[1].content).toContain('Coach: message 1');
    } finally {
      await stub.close();
    }
  });

  test('extraction: an answer that is not JSON is an error', async () => {
    const stub = await startStub(() => ({ body: completion('Your values are trust and growth.') }));
    try {
      await expect(openai(stub.url).extractResult(request)).rejects.toThrow(/did not answer with JSON/);
    } finally {
      await stub.close();
    }
  });
});

describe('Bedrock Converse adapter', () => {
  test('welcome back: the instruction as system, turns ending with the user', async () => {
    const stub = await startStub(() => ({ body: converse('Welcome back, shall we continue?') }));
    try {
      expect(await bedrock(stub.url).welcomeBack(welcomeTurn())).toBe('Welcome back, shall we continue?');
      const body = stub.requests[0].body;
      expect(body.system[0].text).toContain('after 5 days');
      expect(body.messages[0].role).toBe('user');
      expect(body.messages[body.messages.length - 1]).toEqual({ role: 'user', content: [{ text: 'message 9\n\n(I am back after a break.)' }] });
    } finally {
      await stub.close();
    }
  });

  test('extraction: JSON by instruction, parsed even inside a code fence; prose is an error', async () => {
    let answer = '```json\n{"values":[{"name":"Growth","meaning":"Learning every day"}]}\n```';
    const stub = await startStub(() => ({ body: converse(answer) }));
    try {
      expect(await bedrock(stub.url).extractResult(request)).toEqual({ values: [{ name: 'Growth', meaning: 'Learning every day' }] });
      const body = stub.requests[0].body;
      expect(body.system[0].text).toMatch(/single JSON object/);
      expect(body.messages).toHaveLength(1);
      expect(body.messages[0].content[0].text).toContain('User: message 6');
      answer = 'I could not decide.';
      await expect(bedrock(stub.url).extractResult(request)).rejects.toThrow(/JSON/);
    } finally {
      await stub.close();
    }
  });
});

test('parseJsonReply tolerates fences and surrounding prose, and refuses non-JSON', () => {
  expect(parseJsonReply('{"a":1}')).toEqual({ a: 1 });
  expect(parseJsonReply('Here it is: {"a":[1,2]} hope it helps')).toEqual({ a: [1, 2] });
  expect(() => parseJsonReply('{"a":')).toThrow();
});

describe('embedded coach', () => {
  const coach = new EmbeddedCoach();
  test('welcome back: deterministic, recalls the last thing the user said', async () => {
    const turn = {
      ...welcomeTurn(),
      recentMessages: async () => [{ sessionId: 'ses_X', seq: 2, role: 'USER' as const, content: 'I value honesty above all. Also speed.', createdAt: 0 }],
    };
    const text = await coach.welcomeBack(turn);
    expect(text).toBe("Welcome back! It has been 5 days. Last time you told me: 'I value honesty above all'. Shall we pick up from there?");
    expect(await coach.welcomeBack(turn)).toBe(text);
    expect(await coach.welcomeBack({ ...turn, idleMs: 3 * 3_600_000 })).toContain('It has been 3 hours.');
  });

  test('extraction: core values from the words the user used; other topics fill their schema', async () => {
    const user = (content: string, seq: number) => ({ sessionId: 'ses_X', seq, role: 'USER' as const, content, createdAt: 0 });
    expect(await coach.extractResult({ ...request, messages: [user('Trust and teamwork matter. I hate unfairness, fairness is key.', 2)] })).toEqual({
      values: [
        { name: 'Trust', meaning: 'Trust and teamwork matter.' },
        { name: 'Collaboration', meaning: 'Trust and teamwork matter.' },
        { name: 'Fairness', meaning: 'I hate unfairness, fairness is key.' },
      ],
    });
    const goals = BUILTIN_TOPICS.find((t) => t.id === 'goals')!;
    expect(await coach.extractResult({ topic: goals, session, messages: [user('Ship the beta by June. Then rest.', 2)] })).toEqual({
      goal: 'Ship the beta by June.',
      firstStep: 'Ship the beta by June.',
    });
  });
});

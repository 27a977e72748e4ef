import { OpenAICoach } from '../../src/coach/openai-coach';
import { startStub } from '../support/stub-http';
import { completion, conversation, topic, turnOf } from './fixtures';

const coachFor = (url: string, extra: Partial<ConstructorParameters<typeof OpenAICoach>[0]> = {}) =>
  new OpenAICoach({
    baseURL: `${url}/v1`,
    apiKey: 'sk-test',
    model: 'stub-model',
    timeoutMs: 2000,
    maxRetries: 0,
    budget: { maxMessages: 4, maxChars: 10_000 },
    ...extra,
  });

test('sends the topic instructions and only the recent conversation, and returns the reply', async () => {
  const stub = await startStub(() => ({ body: completion('  What matters most to you?  ') }));
  try {
    const { turn, asked } = turnOf(conversation(9));
    expect(await coachFor(stub.url).reply(turn)).toBe('What matters most to you?');
    expect(asked).toEqual([4]);
    const [req] = stub.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body.model).toBe('stub-model');
    expect(req.body.messages[0].role).toBe('system');
    expect(req.body.messages[0].content).toContain(topic.instructions);
    // The budget: the 4 newest messages, oldest first, ending with the user's.
    expect(req.body.messages.slice(1)).toEqual([
      { role: 'assistant', content: 'message 6' },
      { role: 'user', content: 'message 7' },
      { role: 'assistant', content: 'message 8' },
      { role: 'user', content: 'message 9' },
    ]);
  } finally {
    await stub.close();
  }
});

test('a character budget drops older messages but always keeps the newest', async () => {
  const stub = await startStub(() => ({ body: completion('ok') }));
  try {
    const long = conversation(5).map((m) => ({ ...m, content: m.content + 'x'.repeat(100) }));
    await coachFor(stub.url, { budget: { maxMessages: 10, maxChars: 250 } }).reply(turnOf(long).turn);
    expect(stub.requests[0].body.messages.slice(1).map((m: { content: string }) => m.content.slice(0, 9))).toEqual(['message 4', 'message 5']);
  } finally {
    await stub.close();
  }
});

test('server errors are retried a bounded number of times, then fail', async () => {
  let calls = 0;
  const stub = await startStub(() => {
    calls++;
    return calls < 3 ? { status: 500, body: { error: { message: 'boom' } } } : { body: completion('third time') };
  });
  try {
    expect(await coachFor(stub.url, { maxRetries: 2 }).reply(turnOf(conversation(3)).turn)).toBe('third time');
    expect(calls).toBe(3);
    calls = -10; // keep failing
    await expect(coachFor(stub.url, { maxRetries: 1 }).reply(turnOf(conversation(3)).turn)).rejects.toThrow();
    expect(calls).toBe(-8); // one try + one retry
  } finally {
    await stub.close();
  }
});

test('a slow model times out instead of holding the request', async () => {
  const stub = await startStub(() => ({ body: completion('too late'), delayMs: 5000 }));
  try {
    // The SDK gives up (aborting the request) long before the stub's 5 s answer.
    await expect(coachFor(stub.url, { timeoutMs: 300 }).reply(turnOf(conversation(3)).turn)).rejects.toThrow();
    expect(stub.requests).toHaveLength(1);
  } finally {
    await stub.close();
  }
});

test('an empty completion is an error, not an empty coach message', async () => {
  const stub = await startStub(() => ({ body: completion('   ') }));
  try {
    await expect(coachFor(stub.url).reply(turnOf(conversation(3)).turn)).rejects.toThrow(/no text/);
  } finally {
    await stub.close();
  }
});

test("the service's deadline (turn.signal) aborts the model request", async () => {
  const stub = await startStub(() => ({ body: completion('too late'), delayMs: 5000 }));
  try {
    const { turn } = turnOf(conversation(3));
    const controller = new AbortController();
    const pending = coachFor(stub.url, { timeoutMs: 60_000 }).reply({ ...turn, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
  } finally {
    await stub.close();
  }
});

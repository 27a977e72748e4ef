import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { startStub } from '../support/stub-http';
import { conversation, topic, turnOf } from './fixtures';

const converse = (text: string) => ({
  output: { message: { role: 'assistant', content: [{ text }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  metrics: { latencyMs: 1 },
});

const coachFor = (url: string, extra: Partial<ConstructorParameters<typeof BedrockCoach>[0]> = {}) =>
  new BedrockCoach({
    modelId: 'anthropic.stub-v1:0',
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    timeoutMs: 2000,
    maxRetries: 0,
    budget: { maxMessages: 4, maxChars: 10_000 },
    ...extra,
  });

test('speaks Converse: system prompt, alternating turns starting with the user, signed request', async () => {
  const stub = await startStub(() => ({ body: converse('Tell me more.') }));
  try {
    expect(await coachFor(stub.url).reply(turnOf(conversation(9)).turn)).toBe('Tell me more.');
    const [req] = stub.requests;
    expect(req.method).toBe('POST');
    expect(decodeURIComponent(req.url)).toBe('/model/anthropic.stub-v1:0/converse');
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
    expect(req.body.system).toEqual([{ text: expect.stringContaining(topic.instructions) }]);
    // The 4 newest (6..9) start with the coach's message 6, which Converse does not allow first: dropped.
    expect(req.body.messages).toEqual([
      { role: 'user', content: [{ text: 'message 7' }] },
      { role: 'assistant', content: [{ text: 'message 8' }] },
      { role: 'user', content: [{ text: 'message 9' }] },
    ]);
    expect(req.body.inferenceConfig.maxTokens).toBeGreaterThan(0);
  } finally {
    await stub.close();
  }
});

test('throttling and server errors fail after bounded retries; a slow model times out', async () => {
  let calls = 0;
  const stub = await startStub(() => {
    calls++;
    return { status: 500, body: { message: 'internal' } };
  });
  try {
    await expect(coachFor(stub.url, { maxRetries: 1 }).reply(turnOf(conversation(4)).turn)).rejects.toThrow();
    expect(calls).toBe(2);
  } finally {
    await stub.close();
  }
  const slow = await startStub(() => ({ body: converse('late'), delayMs: 5000 }));
  try {
    await expect(coachFor(slow.url, { timeoutMs: 300 }).reply(turnOf(conversation(4)).turn)).rejects.toThrow();
  } finally {
    await slow.close();
  }
});

test("the service's deadline (turn.signal) aborts the Converse call", async () => {
  const stub = await startStub(() => ({ body: converse('late'), delayMs: 5000 }));
  try {
    const { turn } = turnOf(conversation(4));
    const controller = new AbortController();
    const pending = coachFor(stub.url, { timeoutMs: 60_000 }).reply({ ...turn, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
  } finally {
    await stub.close();
  }
});

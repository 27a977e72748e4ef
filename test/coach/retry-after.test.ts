import type { OutgoingHttpHeaders } from 'node:http';
import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { OpenAICoach } from '../../src/coach/openai-coach';
import { Coach } from '../../src/coach/port';
import { CoachRetryAfterError, retryAfterMs } from '../../src/coach/retry';
import { withCoachTimeout } from '../../src/coach/timeout';
import { startRawStub } from '../support/stub-http';
import { completion, conversation, turnOf } from './fixtures';
import { SSE_DONE, SSE_HEADERS, sseChunk } from '../support/model-streams';

type Answer = { status: number; headers?: OutgoingHttpHeaders; body: unknown };

/** A model endpoint that gives the answers in order (the last one from then on). */
async function scripted(answers: Answer[]) {
  let n = 0;
  return startRawStub((_req, res) => {
    const answer = answers[Math.min(n++, answers.length - 1)];
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
}

const converse = (text: string) => ({ output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn' });

/** The waits the adapter asked for, recorded instead of slept; the jitter's randomness fixed. */
function recorder(random = 0.5) {
  const slept: number[] = [];
  return { slept, retry: { sleep: async (ms: number) => void slept.push(ms), random: () => random } };
}

const adapters: { name: string; coach: (url: string, extra: object) => Coach; throttled: (headers: OutgoingHttpHeaders) => Answer; ok: Answer }[] = [
  {
    name: 'openai',
    coach: (url, extra) => new OpenAICoach({ baseURL: `${url}/v1`, apiKey: 'sk-test', model: 'm', timeoutMs: 10_000, maxRetries: 2, budget: { maxMessages: 4, maxChars: 10_000 }, ...extra }),
    throttled: (headers) => ({ status: 429, headers, body: { error: { message: 'Rate limit reached', type: 'requests' } } }),
    ok: { status: 200, body: completion('after the wait') },
  },
  {
    name: 'bedrock',
    coach: (url, extra) =>
      new BedrockCoach({
        modelId: 'anthropic.stub-v1:0',
        region: 'us-east-1',
        endpoint: url,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        timeoutMs: 10_000,
        maxRetries: 2,
        budget: { maxMessages: 4, maxChars: 10_000 },
        ...extra,
      }),
    throttled: (headers) => ({ status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException', ...headers }, body: { message: 'Too many requests' } }),
    ok: { status: 200, body: converse('after the wait') },
  },
];

describe.each(adapters)('$name: the provider\'s Retry-After', ({ coach, throttled, ok }) => {
  test('a 429 with Retry-After, then a 200: the retry waits what was asked, plus jitter', async () => {
    const stub = await scripted([throttled({ 'retry-after': '2' }), ok]);
    try {
      const low = recorder(0);
      expect(await coach(stub.url, { retry: low.retry }).reply(turnOf(conversation(3)).turn)).toBe('after the wait');
      expect(stub.requests).toHaveLength(2); // one refused, one answered
      expect(low.slept).toEqual([2000]); // never less than asked
    } finally {
      await stub.close();
    }
    const again = await scripted([throttled({ 'retry-after': '2' }), ok]);
    try {
      const high = recorder(0.99);
      await coach(again.url, { retry: high.retry }).reply(turnOf(conversation(3)).turn);
      // Spread over up to a quarter more (at most 1 s), so throttled callers do not return together.
      expect(high.slept[0]).toBeGreaterThan(2000);
      expect(high.slept[0]).toBeLessThanOrEqual(2500);
    } finally {
      await again.close();
    }
  });

  test('with the real wait, the second request follows the first', async () => {
    const stub = await scripted([throttled({ 'retry-after': '0.05' }), ok]);
    try {
      expect(await coach(stub.url, {}).reply(turnOf(conversation(3)).turn)).toBe('after the wait');
      expect(stub.requests).toHaveLength(2);
    } finally {
      await stub.close();
    }
  });

  test('a Retry-After beyond the deadline fails at once, without sleeping or asking again', async () => {
    const stub = await scripted([throttled({ 'retry-after': '60' }), ok]);
    try {
      const { slept, retry } = recorder();
      const { turn } = turnOf(conversation(3));
      // Under the service's 10 s deadline: had it slept, this would be a CoachTimeoutError.
      const call = withCoachTimeout(10_000, (signal) => coach(stub.url, { retry, timeoutMs: 60_000 }).reply({ ...turn, signal }));
      await expect(call).rejects.toThrow(CoachRetryAfterError);
      await expect(call).rejects.toThrow(/asked to wait 60000 ms, longer than the \d+ ms left/);
      expect(slept).toEqual([]);
      expect(stub.requests).toHaveLength(1);
    } finally {
      await stub.close();
    }
  });

  test('without Retry-After, retries back off with jitter, a bounded number of times', async () => {
    const stub = await scripted([throttled({})]);
    try {
      const { slept, retry } = recorder(1);
      await expect(coach(stub.url, { retry }).reply(turnOf(conversation(3)).turn)).rejects.toThrow();
      expect(stub.requests).toHaveLength(3); // maxRetries 2
      expect(slept).toEqual([500, 1000]);
    } finally {
      await stub.close();
    }
  });
});

test('retryAfterMs reads retry-after-ms, retry-after in seconds or as a date, and x-amz-retry-after', () => {
  const from = (headers: Record<string, string>) => retryAfterMs((name) => headers[name], Date.parse('2026-01-01T00:00:00Z'));
  expect(from({ 'retry-after-ms': '1500', 'retry-after': '9' })).toBe(1500);
  expect(from({ 'retry-after': '2.5' })).toBe(2500);
  expect(from({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' })).toBe(3000);
  expect(from({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' })).toBe(0);
  expect(from({ 'x-amz-retry-after': '700' })).toBe(700);
  expect(from({ 'retry-after': 'soon' })).toBeUndefined();
  expect(from({})).toBeUndefined();
});

test('a streamed reply retries its throttled request after the Retry-After', async () => {
  let n = 0;
  const stub = await startRawStub((_req, res) => {
    if (n++ === 0) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '1500' });
      return res.end(JSON.stringify({ error: { message: 'Rate limit reached' } }));
    }
    res.writeHead(200, SSE_HEADERS);
    res.end(sseChunk(null) + sseChunk('Streamed ') + sseChunk('after all', 'stop') + SSE_DONE);
  });
  try {
    const { slept, retry } = recorder(0);
    const coach = adapters[0].coach(stub.url, { retry });
    const pieces: string[] = [];
    for await (const piece of coach.replyStream!(turnOf(conversation(3)).turn)) pieces.push(piece);
    expect(pieces.join('')).toBe('Streamed after all');
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests.every((r) => r.body.stream === true)).toBe(true);
    expect(slept).toEqual([1500]);
  } finally {
    await stub.close();
  }
});

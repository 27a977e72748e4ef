import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { OpenAICoach } from '../../src/coach/openai-coach';
import type { TokenUsage } from '../../src/coach/port';
import { BEDROCK_STREAM_HEADERS, bedrockStream, SSE_DONE, SSE_HEADERS, sseChunk } from '../support/model-streams';
import { startRawStub, startStub } from '../support/stub-http';
import { completion, conversation, turnOf } from './fixtures';

// What each adapter reports through onUsage (docs/coach.md#token-usage), against local stubs of the wire formats.

const budget = { maxMessages: 4, maxChars: 10_000 };
const openai = (url: string) => new OpenAICoach({ baseURL: `${url}/v1`, apiKey: 'sk-test', model: 'stub-model', timeoutMs: 5000, maxRetries: 0, budget });
const bedrock = (url: string) =>
  new BedrockCoach({ modelId: 'stub', region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, timeoutMs: 5000, maxRetries: 0, budget });

/** A turn whose reports are collected. */
function reporting() {
  const reports: TokenUsage[] = [];
  return { turn: { ...turnOf(conversation(9)).turn, onUsage: (u: TokenUsage) => reports.push(u) }, reports };
}

const drain = async (pieces: AsyncIterable<string>) => {
  let text = '';
  for await (const p of pieces) text += p;
  return text;
};

test('OpenAI: a reply reports the completion usage; a streamed one asks for include_usage and reports the last chunk usage', async () => {
  const plain = await startStub(() => ({ body: { ...completion('Hi.'), usage: { prompt_tokens: 321, completion_tokens: 12, total_tokens: 333 } } }));
  const streamed = await startRawStub((_req, res) => {
    res.writeHead(200, SSE_HEADERS);
    const last = `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'stub-model', choices: [], usage: { prompt_tokens: 400, completion_tokens: 7, total_tokens: 407 } })}\n\n`;
    res.end(sseChunk('Tell ') + sseChunk('me.', 'stop') + last + SSE_DONE);
  });
  try {
    const a = reporting();
    expect(await openai(plain.url).reply(a.turn)).toBe('Hi.');
    expect(a.reports).toEqual([{ inputTokens: 321, outputTokens: 12 }]);
    const b = reporting();
    expect(await drain(openai(streamed.url).replyStream(b.turn))).toBe('Tell me.');
    expect(streamed.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(b.reports).toEqual([{ inputTokens: 400, outputTokens: 7 }]);
  } finally {
    await Promise.all([plain.close(), streamed.close()]);
  }
});

test("Bedrock: Converse's usage, and ConverseStream's metadata event", async () => {
  const plain = await startStub(() => ({
    body: { output: { message: { role: 'assistant', content: [{ text: 'Hi.' }] } }, stopReason: 'end_turn', usage: { inputTokens: 250, outputTokens: 9, totalTokens: 259 }, metrics: { latencyMs: 1 } },
  }));
  const streamed = await startRawStub((_req, res) => {
    res.writeHead(200, BEDROCK_STREAM_HEADERS);
    for (const frame of bedrockStream(['Tell ', 'me.'])) res.write(frame);
    res.end();
  });
  try {
    const a = reporting();
    expect(await bedrock(plain.url).reply(a.turn)).toBe('Hi.');
    expect(a.reports).toEqual([{ inputTokens: 250, outputTokens: 9 }]);
    const b = reporting();
    expect(await drain(bedrock(streamed.url).replyStream(b.turn))).toBe('Tell me.');
    // bedrockStream's metadata: 1 in, one out per piece.
    expect(b.reports).toEqual([{ inputTokens: 1, outputTokens: 2 }]);
  } finally {
    await Promise.all([plain.close(), streamed.close()]);
  }
});

test('the embedded coach estimates ceil(chars / 4) of what it reads and writes, streamed or not', async () => {
  const coach = new EmbeddedCoach({ pieceDelayMs: 0 });
  const a = reporting();
  const text = await coach.reply(a.turn);
  expect(a.reports).toEqual([{ inputTokens: Math.ceil(a.turn.userMessage.content.length / 4), outputTokens: Math.ceil(text.length / 4) }]);
  const b = reporting();
  expect(await drain(coach.replyStream(b.turn))).toBe(text);
  expect(b.reports).toEqual(a.reports);
});

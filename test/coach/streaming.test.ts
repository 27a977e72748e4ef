import type http from 'node:http';
import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { OpenAICoach } from '../../src/coach/openai-coach';
import { Coach, CoachTurn } from '../../src/coach/port';
import { replyPieces, textPieces, trimmedPieces } from '../../src/coach/stream';
import { BEDROCK_STREAM_HEADERS, bedrockEvent, bedrockException, bedrockStream, SSE_DONE, SSE_HEADERS, sseChunk } from '../support/model-streams';
import { startRawStub } from '../support/stub-http';
import { conversation, topic, turnOf } from './fixtures';

// Streamed replies (sendMessageStream) from each adapter, against local stubs of the wire formats.

const collect = async (pieces: AsyncIterable<string>) => {
  const out: string[] = [];
  for await (const p of pieces) out.push(p);
  return out;
};

/** Writes `chunks` one by one, `gapMs` apart; `end: false` leaves the response open. */
function writeSlowly(res: http.ServerResponse, chunks: (string | Buffer)[], gapMs: number, end = true) {
  let i = 0;
  const step = () => {
    if (res.destroyed) return;
    if (i < chunks.length) {
      res.write(chunks[i++]);
      setTimeout(step, gapMs).unref();
    } else if (end) res.end();
  };
  step();
}

/** Aborts the turn's signal on the first piece: the stream must fail, with nothing after that piece. */
async function expectAbortAfterFirstPiece(coach: Coach) {
  const controller = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    for await (const p of coach.replyStream!({ ...turnOf(conversation(3)).turn, signal: controller.signal })) {
      seen.push(p);
      if (seen.length === 1) controller.abort();
    }
  })();
  await expect(reading).rejects.toThrow();
  expect(seen).toEqual(['one ']);
}

describe('OpenAI-compatible: stream: true', () => {
  const coachFor = (url: string, timeoutMs = 5000) =>
    new OpenAICoach({ baseURL: `${url}/v1`, apiKey: 'sk-test', model: 'stub-model', timeoutMs, maxRetries: 0, budget: { maxMessages: 4, maxChars: 10_000 } });

  test('asks for a stream with the same request as reply(), and yields the deltas in order', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, SSE_HEADERS);
      writeSlowly(res, [sseChunk(null), sseChunk('What '), sseChunk('matters '), sseChunk('most?'), sseChunk(null, 'stop'), SSE_DONE], 5);
    });
    try {
      const { turn } = turnOf(conversation(9));
      const pieces = await collect(coachFor(stub.url).replyStream(turn));
      expect(pieces).toEqual(['What ', 'matters ', 'most?']);
      const [req] = stub.requests;
      expect(req.url).toBe('/v1/chat/completions');
      expect(req.body.stream).toBe(true);
      expect(req.body.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining(topic.instructions) });
      expect(req.body.messages).toHaveLength(5); // system + the 4-message budget
      expect(req.body.max_tokens).toBe(400);
    } finally {
      await stub.close();
    }
  });

  test('a stream cut off mid-way is an error after the pieces that arrived', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write(sseChunk('Half a '));
      setTimeout(() => res.socket?.destroy(), 30).unref();
    });
    try {
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const p of coachFor(stub.url).replyStream(turnOf(conversation(3)).turn)) seen.push(p);
        })(),
      ).rejects.toThrow();
      expect(seen).toEqual(['Half a ']);
    } finally {
      await stub.close();
    }
  });

  test("the service's signal aborts a stream that is still being written", async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, SSE_HEADERS);
      writeSlowly(res, [sseChunk('one '), sseChunk('two '), sseChunk('three '), sseChunk('four')], 200, false);
    });
    try {
      await expectAbortAfterFirstPiece(coachFor(stub.url, 60_000));
    } finally {
      await stub.close();
    }
  });

  test('an HTTP error before the stream starts fails it', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'overloaded' } }));
    });
    try {
      await expect(collect(coachFor(stub.url).replyStream(turnOf(conversation(3)).turn))).rejects.toThrow();
    } finally {
      await stub.close();
    }
  });
});

describe('Bedrock: ConverseStream', () => {
  const coachFor = (url: string, timeoutMs = 5000) =>
    new BedrockCoach({
      modelId: 'anthropic.stub-v1:0',
      region: 'us-east-1',
      endpoint: url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      timeoutMs,
      maxRetries: 0,
      budget: { maxMessages: 4, maxChars: 10_000 },
    });

  test('calls converse-stream with the Converse request, and yields the text deltas in order', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, BEDROCK_STREAM_HEADERS);
      writeSlowly(res, bedrockStream(['Tell ', 'me ', 'more.']), 5);
    });
    try {
      const pieces = await collect(coachFor(stub.url).replyStream(turnOf(conversation(9)).turn));
      expect(pieces).toEqual(['Tell ', 'me ', 'more.']);
      const [req] = stub.requests;
      expect(decodeURIComponent(req.url)).toBe('/model/anthropic.stub-v1:0/converse-stream');
      expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
      expect(req.body.system).toEqual([{ text: expect.stringContaining(topic.instructions) }]);
      expect(req.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
    } finally {
      await stub.close();
    }
  });

  test('an exception event mid-stream (modelStreamErrorException) fails it after the pieces that arrived', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, BEDROCK_STREAM_HEADERS);
      writeSlowly(
        res,
        [
          bedrockEvent('messageStart', { role: 'assistant' }),
          bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial ' } }),
          bedrockException('modelStreamErrorException', 'the model failed'),
        ],
        5,
      );
    });
    try {
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const p of coachFor(stub.url).replyStream(turnOf(conversation(3)).turn)) seen.push(p);
        })(),
      ).rejects.toThrow(/the model failed/);
      expect(seen).toEqual(['Partial ']);
    } finally {
      await stub.close();
    }
  });

  test('a stream that ends without messageStop is an error, not a silently short reply', async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, BEDROCK_STREAM_HEADERS);
      writeSlowly(res, [bedrockEvent('messageStart', { role: 'assistant' }), bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Cut' } })], 5);
    });
    try {
      await expect(collect(coachFor(stub.url).replyStream(turnOf(conversation(3)).turn))).rejects.toThrow(/stop reason/);
    } finally {
      await stub.close();
    }
  });

  test("the service's signal aborts a stream that is still being written", async () => {
    const stub = await startRawStub((_req, res) => {
      res.writeHead(200, BEDROCK_STREAM_HEADERS);
      writeSlowly(res, bedrockStream(['one ', 'two ', 'three ', 'four']), 200, false);
    });
    try {
      await expectAbortAfterFirstPiece(coachFor(stub.url, 60_000));
    } finally {
      await stub.close();
    }
  });
});

describe('the embedded coach and the stream helpers', () => {
  const turn = (content: string): CoachTurn => ({
    ...turnOf(conversation(3)).turn,
    userMessage: { sessionId: 'ses_X', seq: 4, role: 'USER', content, createdAt: 0 },
  });

  test('streams its deterministic reply in several pieces that concatenate to reply()', async () => {
    const coach = new EmbeddedCoach({ pieceDelayMs: 0 });
    const t = turn('I value honesty above all, even when it costs me.');
    const pieces = await collect(coach.replyStream(t));
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.join('')).toBe(await coach.reply(t));
    expect(await collect(coach.replyStream(t))).toEqual(pieces); // same input, same pieces
  });

  test('paces its pieces, and stops at once when the signal fires', async () => {
    const coach = new EmbeddedCoach({ pieceDelayMs: 50 });
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const p of coach.replyStream({ ...turn('Something to say about my work.'), signal: controller.signal })) {
        seen.push(p);
        if (seen.length === 2) controller.abort(new Error('stop'));
      }
    })();
    await expect(reading).rejects.toThrow('stop');
    expect(seen).toHaveLength(2);
  });

  test('textPieces keeps every character; trimmedPieces trims the whole, never yields an empty piece', async () => {
    for (const text of ['', '   ', 'one', '  lead and trail  ', 'a  b\n\nc d e f g', 'x '.repeat(50)]) {
      expect(textPieces(text).join('')).toBe(text);
    }
    const raw = ['', '  \n', '  Hello', ' ', '', ' world', '  ', '\n', '!', '  \n '];
    const out = await collect(trimmedPieces((async function* () { yield* raw; })()));
    expect(out.join('')).toBe(raw.join('').trim());
    expect(out.every((p) => p.length > 0)).toBe(true);
    expect(await collect(trimmedPieces((async function* () { yield* ['  ', '\n']; })()))).toEqual([]);
  });

  test('a coach without a stream of its own is served by reply(), as one piece', async () => {
    const plain = { name: 'plain', opening: async () => '', reply: async () => 'The whole reply.', welcomeBack: async () => '', extractResult: async () => ({}), summarize: async () => '', title: async () => '' };
    expect(await collect(replyPieces(plain, turn('hi')))).toEqual(['The whole reply.']);
  });
});

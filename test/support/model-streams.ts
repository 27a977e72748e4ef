import { EventStreamCodec } from '@smithy/core/event-streams';

// The wire formats of streamed model replies, for local stub servers (test/support/stub-http.ts).

/** OpenAI chat.completions with `stream: true`: one server-sent event per chunk, then [DONE]. */
export const sseChunk = (content: string | null, finishReason: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-stream',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'stub-model',
    choices: [{ index: 0, delta: content === null ? { role: 'assistant' } : { content }, finish_reason: finishReason }],
  })}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';
export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/** Bedrock ConverseStream: AWS event-stream binary frames (prelude, headers, JSON payload, CRCs). */
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);
const frame = (headers: Record<string, string>, body: unknown) =>
  Buffer.from(
    codec.encode({
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
      body: new Uint8Array(Buffer.from(JSON.stringify(body))),
    }),
  );

export const bedrockEvent = (eventType: string, body: unknown) =>
  frame({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, body);
export const bedrockException = (exceptionType: string, message: string) =>
  frame({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }, { message });
export const BEDROCK_STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'stub-request' };

/** A whole Converse stream of `pieces`: start, one delta each, stop, metadata. */
export function bedrockStream(pieces: string[], stopReason = 'end_turn'): Buffer[] {
  return [
    bedrockEvent('messageStart', { role: 'assistant' }),
    ...pieces.map((text) => bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
    bedrockEvent('messageStop', { stopReason }),
    bedrockEvent('metadata', { usage: { inputTokens: 1, outputTokens: pieces.length, totalTokens: pieces.length + 1 }, metrics: { latencyMs: 1 } }),
  ];
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat-completions server for the stream bench: a streamed request gets
 * its first chunk after `firstChunkMs`, then its chunks as far apart as the last user message
 * asks with `[pace:<ms>]` (10 ms without), and [DONE]; any
 * other request (a title, a summary) gets a short JSON completion at once.
 */
export interface OpenAiStub {
  url: string;
  requests(): { streamed: number; other: number };
  close(): Promise<void>;
}

const WORDS = 'That sounds like it matters to you. What would change if you acted on it this week, and who would notice first?'.split(' ');

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'bench', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

export async function startOpenAiStub(opts: { firstChunkMs: number; host?: string }): Promise<OpenAiStub> {
  let streamed = 0;
  let other = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as { stream?: boolean; messages?: { role: string; content: string }[] };
      if (!body.stream) {
        other++;
        res.writeHead(200, { 'content-type': 'application/json' });
        const message = { role: 'assistant', content: 'Acting on what matters' };
        res.end(JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created: 1, model: 'bench', choices: [{ index: 0, message, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } }));
        return;
      }
      streamed++;
      const asked = body.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '';
      const pace = Number(/\[pace:(\d+)\]/.exec(asked)?.[1] ?? 10);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      // Three words a chunk, as the embedded coach pieces its reply.
      const pieces: string[] = [];
      for (let i = 0; i < WORDS.length; i += 3) pieces.push((i ? ' ' : '') + WORDS.slice(i, i + 3).join(' '));
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (i === pieces.length) return res.end('data: [DONE]\n\n');
        res.write(chunk(pieces[i++]));
        setTimeout(next, pace);
      };
      setTimeout(next, opts.firstChunkMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => ({ streamed, other }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import 'reflect-metadata';
import http from 'node:http';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { createDynamoClient } from '../src/store/client';
import { gql, SECRET, token } from './seed';

/**
 * The coach's memory (docs/coach.md#memory) in model tokens: a server with COACH=openai against
 * an OpenAI-compatible stub over HTTP that counts what it is sent (about 4 characters a token)
 * and summarises only what it is sent, so a fact of message 1 reaches the model at message
 * 1,000 only through the chain of summaries. Per turn at 10, 100 and 1,000 messages: the reply
 * call's tokens, plus the memory calls (summaries, titles) amortised over the turns so far.
 */
export interface CoachMemoryPoint {
  messages: number;
  replyInputTokens: number;
  replyOutputTokens: number;
  /** Summary and title calls so far, and their tokens per turn so far (amortised). */
  memoryCalls: number;
  memoryTokensPerTurn: number;
  tokensPerTurn: number;
  /** What the reply call would have been sent with the whole history instead. */
  wholeHistoryInputTokens: number;
}

export interface CoachMemoryReport {
  points: CoachMemoryPoint[];
  factAtLastTurn: boolean;
  /** tokensPerTurn at 1,000 over tokensPerTurn at 100 (target: at most 1.5). */
  ratio1000to100: number;
  turnsPerSecond: number;
}

const FACT = 'FACT-biscuit';
const CHECKPOINTS = [10, 100, 1000];
const tokens = (chars: number) => Math.ceil(chars / 4);
/** About 60 words each way, as a coaching exchange runs. */
const USER = (turn: number) => `Turn ${turn}: this week I noticed that my energy drops after long meetings, and I want to protect two mornings for deep work. `.repeat(2);
const REPLY = 'That sounds important. What would protecting those mornings make possible for you, and what is the first conversation you would need to have to make it happen? '.repeat(2);

type Call = { kind: 'reply' | 'summary' | 'title' | 'other'; input: number; output: number; body: { messages: { role: string; content: string }[] } };

/** An OpenAI-compatible stub: answers by kind of call and records every call's size. */
async function startStub() {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Call['body'] & { response_format?: unknown };
      const system = body.messages[0]?.content ?? '';
      const last = body.messages[body.messages.length - 1]?.content ?? '';
      const kind: Call['kind'] = body.response_format ? 'other' : system.startsWith('You keep the running memory') ? 'summary' : system.startsWith('You name coaching') ? 'title' : 'reply';
      const content = kind === 'summary' ? summarise(last) : kind === 'title' ? 'Protecting mornings for deep work' : REPLY;
      const input = tokens(body.messages.reduce((n, m) => n + m.content.length, 0));
      calls.push({ kind, input, output: tokens(content.length), body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/v1`, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Only from what it was sent: the facts named in the memory so far or the new part, and a digest of both (bounded, like a model's). */
function summarise(input: string): string {
  const facts = [...new Set(input.match(/FACT-[a-z0-9]+/g) ?? [])].join(' ');
  const digest = input.replace(/FACT-[a-z0-9]+/g, '').replace(/\s+/g, ' ').slice(-1200);
  return `${facts} | ${digest}`.trim();
}

export async function coachMemoryBench(endpoint: string, table: string, log: (m: string) => void): Promise<CoachMemoryReport> {
  const stub = await startStub();
  const dynamo = createDynamoClient({ credentials: 'dynamodb-local', endpoint });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: SECRET,
    TABLE_NAME: table,
    DYNAMODB_ENDPOINT: endpoint,
    RATE_LIMIT_ENABLED: 'false',
    COACH: 'openai',
    COACH_MODEL: 'stub',
    OPENAI_BASE_URL: stub.url,
    COACH_MAX_RETRIES: '0',
  });
  const app = await startApp({ config, dynamo, log: silentLogger });
  try {
    const tok = await token('coach-memory');
    const url = app.server.url;
    const start = await gql<{ startSession: { id: string } }>(url, tok, 'mutation { startSession(topicId: "goals") { id } }');
    const sessionId = start.startSession.id;
    const points: CoachMemoryPoint[] = [];
    let historyChars = 0;
    const began = Date.now();
    const lastTurn = Math.max(...CHECKPOINTS) / 2;
    let factAtLastTurn = false;
    for (let turn = 1; turn <= lastTurn; turn++) {
      const content = turn === 1 ? `${FACT} My dog is called Biscuit and she comes to the office. ${USER(turn)}` : USER(turn);
      const before = stub.calls.length;
      await gql(url, tok, 'mutation($id: ID!, $c: String!) { sendMessage(sessionId: $id, content: $c) { reply { id } } }', { id: sessionId, c: content });
      // A person types slower than a fold: the next turn starts with the memory stored.
      await app.settled();
      historyChars += content.length + REPLY.length;
      const reply = stub.calls.slice(before).find((c) => c.kind === 'reply')!;
      const messages = 2 * turn; // the user's message of this turn is message 2 * turn (the opening is 1)
      if (CHECKPOINTS.includes(messages)) {
        const memory = stub.calls.filter((c) => c.kind === 'summary' || c.kind === 'title');
        const memoryTokens = memory.reduce((n, c) => n + c.input + c.output, 0);
        const point = {
          messages,
          replyInputTokens: reply.input,
          replyOutputTokens: reply.output,
          memoryCalls: memory.length,
          memoryTokensPerTurn: Math.round(memoryTokens / turn),
          tokensPerTurn: Math.round(reply.input + reply.output + memoryTokens / turn),
          wholeHistoryInputTokens: tokens(historyChars + 2000),
        };
        points.push(point);
        log(`coach memory: ${messages} messages, ${point.tokensPerTurn} tokens per turn (${point.memoryCalls} memory calls so far)`);
      }
      if (turn === lastTurn) {
        const [system, ...chat] = reply.body.messages;
        factAtLastTurn = system.content.includes(FACT) && !chat.some((m) => m.content.includes(FACT));
      }
    }
    const at = (n: number) => points.find((p) => p.messages === n)!.tokensPerTurn;
    return { points, factAtLastTurn, ratio1000to100: Math.round((at(1000) / at(100)) * 100) / 100, turnsPerSecond: Math.round((lastTurn / (Date.now() - began)) * 1000) };
  } finally {
    await app.stop();
    dynamo.destroy();
    await stub.close();
  }
}

export function printCoachMemory(r: CoachMemoryReport): string {
  const rows = r.points.map(
    (p) =>
      `| ${p.messages} | ${p.replyInputTokens} | ${p.replyOutputTokens} | ${p.memoryCalls} | ${p.memoryTokensPerTurn} | ${p.tokensPerTurn} | ${p.wholeHistoryInputTokens} |`,
  );
  return [
    '\n## Coach memory: model tokens per turn (bench/coach-memory.ts)\n',
    '| messages | reply input | reply output | memory calls so far | memory tokens / turn (amortised) | tokens / turn | whole history would send |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `1,000 vs 100 messages: ${r.ratio1000to100}x (target <= 1.5); the fact of message 1 reached the model at message 1,000 only through the summary: ${r.factAtLastTurn ? 'yes' : 'NO'}`,
    '',
  ].join('\n');
}

/** `node dist/bench/coach-memory.js`: this part alone, on a DynamoDB Local of its own. */
if (require.main === module) {
  void (async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { startEmbeddedDynamo } = await import('../src/embedded/dynamo-local');
    const { ensureTable } = await import('../src/store/table');
    const dynamo = await startEmbeddedDynamo({ javaHome: process.env.JAVA_HOME });
    try {
      const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
      await ensureTable(client, 'coach-memory', { ttl: false });
      client.destroy();
      const report = await coachMemoryBench(dynamo.endpoint, 'coach-memory', (m) => process.stderr.write(`[bench] ${m}\n`));
      process.stdout.write(printCoachMemory(report));
      if (report.ratio1000to100 > 1.5 || !report.factAtLastTurn) process.exitCode = 1;
    } finally {
      await dynamo.stop();
    }
  })();
}

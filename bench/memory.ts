import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { startEmbeddedDynamo } from '../src/embedded/dynamo-local';
import { createDynamoClient } from '../src/store/client';
import { ensureTable } from '../src/store/table';
import { DocumentGate, GATE_CACHE } from '../src/graphql/document-gate';
import { buildSchema } from '../src/schema';
import { DEFAULT_SHAPE_LIMITS } from '../src/defaults';
import type { ChildReply } from './child';
import { httpLoad, round } from './load';
import { body, DOCS, parallel, startSession, token } from './seed';
import { startServer } from './server';

/**
 * `npm run bench:memory`: where a server's memory goes under a steady read load (sessionCheck at
 * concurrency 16, as the main bench's memory point). RSS, V8's heap (used and reserved, per
 * space) and memory outside it (external, array buffers) at checkpoints, in two server
 * processes: one left to V8's own collections, one forced to a full GC before each reading.
 * RSS minus the reserved heap is what V8 does not hold: code, stacks, malloc'd buffers.
 * Then the document gate's estimate of a parsed document's bytes (GATE_CACHE.bytesPerChar)
 * against what parsed documents really hold here.
 * Options: --requests 100000 (the last checkpoint), --variant "<label> K=V ..." (another
 * server, e.g. "semi8 NODE_OPTIONS=--max-semi-space-size=8"), --gate-only (the estimate only).
 */
type Memory = Extract<ChildReply, { type: 'memory' }>;
const mb = (n: number) => round(n / 1024 / 1024, 1);

function row(label: string, m: Memory) {
  const space = (name: string) => `${mb(m.spaces[name]?.used ?? 0)}/${mb(m.spaces[name]?.size ?? 0)}`;
  return `| ${label} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.rss - m.heapTotal)} | ${mb(m.external)} | ${mb(m.arrayBuffers)} | ${space('new_space')} | ${space('old_space')} | ${space('code_space')} |`;
}

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const argv = process.argv.slice(2);
  const arg = (name: string) => (argv.indexOf(`--${name}`) >= 0 ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
  const total = Number(arg('requests') ?? 100_000);
  const checkpoints = [1000, 10_000, 30_000, total].filter((n, i, all) => n <= total && all.indexOf(n) === i);
  const variants = argv.flatMap((a, i) => (a === '--variant' ? [argv[i + 1]] : []));
  const log = (m: string) => process.stderr.write(`[memory] ${m}\n`);
  if (argv.includes('--gate-only')) return void process.stdout.write(gateEstimate() + '\n');
  const out: string[] = [`# Server memory under sessionCheck at 16 (load average ${loadavg().map((n) => round(n)).join(' ')})`, ''];

  const dynamo = await startEmbeddedDynamo({ javaHome: process.env.JAVA_HOME });
  const setup = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
  const table = 'memory';
  await ensureTable(setup, table, { ttl: false });
  const serverLog = join(mkdtempSync(join(tmpdir(), 'bench-memory-')), 'server.log');
  const sides: { label: string; forceGc: boolean; env: Record<string, string> }[] = [
    { label: 'no forced GC', forceGc: false, env: {} },
    { label: 'full GC before each reading', forceGc: true, env: {} },
    ...variants.map((v) => {
      const words = v.split(/\s+/);
      const env = Object.fromEntries(words.filter((w) => w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
      return { label: words.filter((w) => !w.includes('=')).join(' '), forceGc: false, env };
    }),
  ];
  try {
    for (const side of sides) {
      const child = await startServer(join(__dirname, 'child.js'), { DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: table, ...side.env }, serverLog);
      try {
        const tokens = await Promise.all(Array.from({ length: 16 }, (_, i) => token(`mem-${i}`)));
        await parallel(tokens, 8, (tok) => startSession(child.url, tok, 'core_values'));
        const reading = async () => {
          if (side.forceGc) await child.call('gc');
          return (await child.call('memory')) as Memory;
        };
        out.push(`## ${side.label}${Object.keys(side.env).length ? ` (${JSON.stringify(side.env)})` : ''}`, '');
        out.push('| after requests | RSS MB | heap used | heap reserved | RSS - heap reserved | external | array buffers | new space used/reserved | old space | code space |');
        out.push('|---|---|---|---|---|---|---|---|---|---|');
        out.push(row('start', await reading()));
        let done = 0;
        for (const at of checkpoints) {
          log(`${side.label}: to ${at} requests`);
          const r = await httpLoad({ url: child.url, concurrency: 16, amount: at - done, perConnection: (i) => ({ token: tokens[i], body: body(DOCS.sessionCheck, { topicId: 'core_values' }) }) });
          if (r.errors) throw new Error(`${r.errors} errors: ${r.firstError}`);
          done = at;
          out.push(row(String(at), await reading()));
        }
        if (!side.forceGc) {
          await child.call('gc');
          out.push(row(`${done}, then a full GC`, (await child.call('memory')) as Memory));
        }
        out.push('');
      } finally {
        await child.stop();
      }
    }
  } finally {
    setup.destroy();
    await dynamo.stop();
  }
  out.push(gateEstimate(), '');
  process.stdout.write(out.join('\n'));
}

/**
 * What a document holds per source character, here: 2,000 distinct documents of the frontend's
 * operations (each made distinct by an alias), as graphql-js parses them and as the gate keeps
 * them (its LRU entry and hash included).
 */
function gateEstimate(): string {
  const sources = Array.from({ length: 2000 }, (_, i) => {
    const doc = Object.values(DOCS)[i % Object.values(DOCS).length];
    return doc.replace('{', `{ a${i}: __typename `);
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return 'Gate estimate: run with --expose-gc (npm run bench:memory does).';
  const chars = sources.reduce((n, s) => n + s.length, 0);
  const perChar = (keep: (s: string) => unknown) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = sources.map(keep);
    gc();
    const bytes = process.memoryUsage().heapUsed - before;
    void held.length;
    return round(bytes / chars, 1);
  };
  const parsed = perChar((s) => parse(s));
  const gate = new DocumentGate(buildSchema(), { maxTokens: 5000, maxQueryDepth: 12, shape: DEFAULT_SHAPE_LIMITS, production: true });
  const kept = perChar((s) => gate.check(s));
  return `Per source character (${sources.length} documents, ${chars} characters): ${parsed} bytes as parsed, ${kept} as the gate keeps them (entries: ${gate.held.entries}); the gate estimates ${GATE_CACHE.bytesPerChar}, so its ${mb(GATE_CACHE.maxBytes)} MB bound holds about ${mb((GATE_CACHE.maxBytes / GATE_CACHE.bytesPerChar) * kept)} MB.`;
}

main().catch((e) => {
  process.stderr.write(`bench:memory failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../src/config';
import { startApp } from '../src/app';
import { createLogger } from '../src/logger';
import { configuredTarget, createDynamoClient } from '../src/store/client';
import type { RequestStats } from '../src/store/request-stats';

/**
 * The server under test, in a process of its own (forked by bench/run.ts), built exactly
 * as `npm start` builds it: startApp with the configured JSON logger. It listens on a free
 * loopback port and answers the bench over IPC: per-operation DynamoDB cost (read from the
 * per-request stats the HTTP layer keeps in res.locals), process totals and memory.
 */
export interface OpStats {
  /** GraphQL HTTP responses finished. */
  ops: number;
  /** DynamoDB requests per operation -> how many operations made that many. */
  histogram: Record<number, number>;
  requests: number;
  byCommand: Record<string, number>;
  readCapacity: number;
  writeCapacity: number;
  /** CPU time (user + system) of the server process since the last reset, in microseconds. */
  cpuMicros: number;
}

export type ChildRequest = { id: number; type: 'reset' | 'stats' | 'memory' | 'gc' | 'stop' };

export type ChildReply =
  | { type: 'ready'; url: string; pid: number }
  | { id: number; type: 'stats'; stats: OpStats }
  | { id: number; type: 'memory'; rss: number; heapUsed: number; external: number }
  | { id: number; type: 'done' };

const emptyOps = (): OpStats => ({ ops: 0, histogram: {}, requests: 0, byCommand: {}, readCapacity: 0, writeCapacity: 0, cpuMicros: 0 });

/**
 * BENCH_TOKEN_CACHE=1: an experiment, off by default. Wraps the verifier with the bounded
 * cache proposed for src/auth/verifier.ts (verified tokens by token string, until their
 * exp, at most 5 minutes, 10k entries, least recently used evicted) to measure its gain.
 */
function tokenCacheExperiment() {
  const mod = require('../src/auth/verifier') as typeof import('../src/auth/verifier');
  const create = mod.createVerifier;
  (mod as { createVerifier: typeof create }).createVerifier = (...args) => {
    const inner = create(...args);
    const cache = new Map<string, { viewer: Awaited<ReturnType<typeof inner.verify>>; until: number }>();
    return {
      async verify(token) {
        const now = Date.now() / 1000;
        const hit = cache.get(token);
        if (hit) {
          cache.delete(token);
          if (hit.until > now) {
            cache.set(token, hit);
            return hit.viewer;
          }
        }
        const viewer = await inner.verify(token);
        const exp = Number(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp);
        if (Number.isFinite(exp)) {
          cache.set(token, { viewer, until: Math.min(exp, now + 300) });
          if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
        }
        return viewer;
      },
    };
  };
}

async function main() {
  if (process.env.BENCH_TOKEN_CACHE === '1') tokenCacheExperiment();
  const config = loadConfig(process.env);
  // As main.ts makes it: pino, JSON lines on stderr (the bench sends them to a file).
  const log = createLogger({ level: config.logLevel });
  if (config.dynamo.mode === 'embedded') throw new Error('the bench server needs DYNAMODB_ENDPOINT');
  const dynamo = createDynamoClient(configuredTarget(config.dynamo, config.region));
  const app = await startApp({ config, dynamo, log });
  let ops = emptyOps();
  let cpuAtReset = process.cpuUsage();
  app.server.httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/graphql')) return;
    res.once('finish', () => {
      const s = (res as unknown as { locals?: { dynamoStats?: RequestStats } }).locals?.dynamoStats;
      if (!s) return;
      ops.ops++;
      ops.histogram[s.requests] = (ops.histogram[s.requests] ?? 0) + 1;
      ops.requests += s.requests;
      ops.readCapacity += s.readCapacity;
      ops.writeCapacity += s.writeCapacity;
      for (const [k, v] of Object.entries(s.byCommand)) ops.byCommand[k] = (ops.byCommand[k] ?? 0) + v;
    });
  });
  const send = (m: ChildReply) => process.send!(m);
  process.on('message', async (m: ChildRequest) => {
    switch (m.type) {
      case 'reset':
        ops = emptyOps();
        cpuAtReset = process.cpuUsage();
        return send({ id: m.id, type: 'done' });
      case 'stats':
      {
        const cpu = process.cpuUsage(cpuAtReset);
        return send({ id: m.id, type: 'stats', stats: { ...ops, cpuMicros: cpu.user + cpu.system } });
      }
      case 'gc':
        (globalThis as { gc?: () => void }).gc?.();
        return send({ id: m.id, type: 'done' });
      case 'memory': {
        const mem = process.memoryUsage();
        return send({ id: m.id, type: 'memory', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external });
      }
      case 'stop':
        await app.stop();
        dynamo.destroy();
        send({ id: m.id, type: 'done' });
        // Let the IPC message flush, then exit (flushes a --cpu-prof profile too).
        setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: app.server.url, pid: process.pid });
}

main().catch((e) => {
  process.stderr.write(`bench server failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

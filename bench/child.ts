import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Session } from 'node:inspector';
import { getHeapSpaceStatistics } from 'node:v8';
import { loadConfig } from '../src/config';
import { configuredTarget, createDynamoClient, documentClient } from '../src/store/client';
import { instrumentClient, RequestStats } from '../src/store/request-stats';

/**
 * A server under test, in a process of its own (forked by bench/run.ts), answering the
 * bench over IPC: per-operation DynamoDB cost, CPU, memory, and CPU profiles of a window.
 * BENCH_SERVER picks which:
 * - `ours` (default): the server built exactly as `npm start` builds it, startApp with the
 *   configured JSON logger;
 * - `framework`: the framework floor (bench/framework), served as BENCH_TRANSPORT says.
 * DynamoDB cost per operation: the process's DynamoDB requests and capacity since the last
 * reset, over the /graphql responses since then (the same count for every server).
 */
export interface OpStats {
  /** GraphQL HTTP responses finished. */
  ops: number;
  requests: number;
  byCommand: Record<string, number>;
  readCapacity: number;
  writeCapacity: number;
  /** CPU time (user + system) of the server process since the last reset, in microseconds. */
  cpuMicros: number;
}

export type ChildRequest = { id: number; type: 'reset' | 'stats' | 'memory' | 'gc' | 'stop' | 'profile-start' } | { id: number; type: 'profile-stop'; file: string };

export type ChildReply =
  | { type: 'ready'; url: string; pid: number }
  | { id: number; type: 'stats'; stats: OpStats }
  | { id: number; type: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; spaces: Record<string, { used: number; size: number }> }
  | { id: number; type: 'done' };

const emptyOps = (): OpStats => ({ ops: 0, requests: 0, byCommand: {}, readCapacity: 0, writeCapacity: 0, cpuMicros: 0 });

async function main() {
  const config = loadConfig(process.env);
  if (config.dynamo.mode === 'embedded') throw new Error('the bench server needs DYNAMODB_ENDPOINT');
  const dynamo = createDynamoClient(configuredTarget(config.dynamo, config.region));
  const server = process.env.BENCH_SERVER === 'framework' ? await startFramework(config.tableName, dynamo) : await startOurs(config, dynamo);
  let ops = emptyOps();
  let cpuAtReset = process.cpuUsage();
  let totalsAtReset = { ...server.totals, byCommand: { ...server.totals.byCommand } };
  server.httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/graphql')) return;
    // 'close' rather than 'finish': a request cut off when the load stops still made its DynamoDB calls.
    res.once('close', () => ops.ops++);
  });
  /** The process's DynamoDB requests and capacity since the reset. */
  const fromTotals = (): Omit<OpStats, 'ops' | 'cpuMicros'> => {
    const t = server.totals;
    const byCommand: Record<string, number> = {};
    for (const [k, v] of Object.entries(t.byCommand)) if (v !== (totalsAtReset.byCommand[k] ?? 0)) byCommand[k] = v - (totalsAtReset.byCommand[k] ?? 0);
    return { requests: t.requests - totalsAtReset.requests, byCommand, readCapacity: t.readCapacity - totalsAtReset.readCapacity, writeCapacity: t.writeCapacity - totalsAtReset.writeCapacity };
  };
  const profiler = new Session();
  profiler.connect();
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: unknown }>((resolve, reject) => profiler.post(method, params ?? {}, (err, r) => (err ? reject(err) : resolve(r as { profile?: unknown }))));
  const send = (m: ChildReply) => process.send!(m);
  process.on('message', async (m: ChildRequest) => {
    switch (m.type) {
      case 'reset':
        ops = emptyOps();
        cpuAtReset = process.cpuUsage();
        totalsAtReset = { ...server.totals, byCommand: { ...server.totals.byCommand } };
        return send({ id: m.id, type: 'done' });
      case 'stats': {
        const cpu = process.cpuUsage(cpuAtReset);
        return send({ id: m.id, type: 'stats', stats: { ...ops, ...fromTotals(), cpuMicros: cpu.user + cpu.system } });
      }
      case 'gc':
        (globalThis as { gc?: () => void }).gc?.();
        return send({ id: m.id, type: 'done' });
      case 'memory': {
        const mem = process.memoryUsage();
        const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, size: s.space_size }]));
        return send({ id: m.id, type: 'memory', rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, spaces });
      }
      case 'profile-start':
        await post('Profiler.enable');
        await post('Profiler.start');
        return send({ id: m.id, type: 'done' });
      case 'profile-stop': {
        const { profile } = await post('Profiler.stop');
        writeFileSync(m.file, JSON.stringify(profile));
        return send({ id: m.id, type: 'done' });
      }
      case 'stop':
        await server.stop();
        dynamo.destroy();
        send({ id: m.id, type: 'done' });
        setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: server.url, pid: process.pid });
}

interface BenchServer {
  url: string;
  httpServer: Server;
  totals: RequestStats;
  stop(): Promise<unknown>;
}

async function startOurs(config: ReturnType<typeof loadConfig>, dynamo: ReturnType<typeof createDynamoClient>): Promise<BenchServer> {
  const { startApp } = require('../src/app') as typeof import('../src/app');
  const { createLogger } = require('../src/logger') as typeof import('../src/logger');
  // As main.ts makes it: pino, JSON lines on stderr (the bench sends them to a file).
  // BENCH_COACH: the stream bench's embedded coach with a first-token delay (bench/streams/coach.ts).
  const { benchCoach } = require('./streams/coach') as typeof import('./streams/coach');
  const app = await startApp({ config, dynamo, log: createLogger({ level: config.logLevel }), coach: benchCoach(process.env.BENCH_COACH) });
  return { url: app.server.url, httpServer: app.server.httpServer, totals: app.dynamoTotals, stop: () => app.stop() };
}

async function startFramework(table: string, dynamo: ReturnType<typeof createDynamoClient>): Promise<BenchServer> {
  const { startFrameworkServer } = require('./framework/server') as typeof import('./framework/server');
  const totals = instrumentClient(dynamo);
  const transport = process.env.BENCH_TRANSPORT === 'express' ? 'express' : 'node';
  const s = await startFrameworkServer(documentClient(dynamo), table, transport, '127.0.0.1');
  return { url: s.url, httpServer: s.httpServer, totals, stop: s.stop };
}

main().catch((e) => {
  process.stderr.write(`bench server failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

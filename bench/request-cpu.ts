import 'reflect-metadata';
import { fork } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { Readable } from 'node:stream';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../src/config';
import { createDynamoClient, documentClient } from '../src/store/client';
import { holdItem } from '../src/store/items/hold';
import { sessionItem } from '../src/store/items/session';
import { newSessionId } from '../src/domain/ids';
import { body, DOCS, SECRET, token } from './seed';

/**
 * CPU per request of each server with DynamoDB answered by a stub inside the server's own
 * process (no DynamoDB Local, no network to it), driven by a keep-alive HTTP client in the
 * same process: a measure of what the HTTP, GraphQL and service layers cost, robust to a
 * machine shared with other work (CPU time, not throughput). The client's and the stub's
 * work is the same for every server, so differences between servers are the servers'.
 * Each server runs in a process of its own; they take turns, `rounds` times.
 *
 * Usage: node dist/bench/request-cpu.js [--only sessionCheck,mySessions] [--requests 4000] [--rounds 5]
 *        [--variant "<label> K=V ..."] (ours again, with more environment variables)
 *        [--cpu-prof <dir>] (a CPU profile of each side's first measured run, for bench/profile.ts)
 */
type Kind = 'ours' | 'framework';
const READS = {
  sessionCheck: body(DOCS.sessionCheck, { topicId: 'core_values' }),
  mySessions: body(DOCS.mySessions, { first: 50 }),
};
type Read = keyof typeof READS;

// ---- the server side (a child process) --------------------------------------------------

const now = Date.now();
const session = (i: number) => ({
  id: newSessionId(now - i),
  tenantId: 'acme',
  userId: 'u',
  topicId: i === 0 ? 'core_values' : 'purpose',
  status: 'ACTIVE' as const,
  createdAt: now - 3_600_000,
  updatedAt: now - 60_000,
  lastActivityAt: now - 60_000,
  endedAt: null,
  expiresAt: now + 30 * 86_400_000,
  messageCount: 3,
  version: 2,
  turnCount: 1,
});

/** DynamoDB's answers, by operation: the caller's hold, a page of 50 sessions, no tenant topics. */
function stubAnswer(target: string, input: { IndexName?: string }): object {
  if (target.endsWith('.GetItem')) return { Item: marshall(holdItem(session(0))), ConsumedCapacity: { TableName: 't', CapacityUnits: 1 } };
  if (target.endsWith('.Query') && input.IndexName) {
    return { Items: Array.from({ length: 51 }, (_, i) => marshall(sessionItem(session(i), 0))), Count: 51, ScannedCount: 51, ConsumedCapacity: { TableName: 't', CapacityUnits: 4 } };
  }
  return { Items: [], Count: 0, ScannedCount: 0 };
}

function stubClient(): DynamoDBClient {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: 'http://127.0.0.1:9' });
  (client.config as { requestHandler: unknown }).requestHandler = {
    handle: async (request: { headers: Record<string, string>; body: string | Uint8Array }) => {
      const input = JSON.parse(typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('utf8'));
      const json = JSON.stringify(stubAnswer(request.headers['x-amz-target'], input));
      return {
        response: { statusCode: 200, reason: 'OK', headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(json)) }, body: Readable.from([Buffer.from(json)]) },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return client;
}

async function serve(kind: Kind): Promise<string> {
  const dynamo = stubClient();
  if (kind === 'framework') {
    const { startFrameworkServer } = require('./framework/server') as typeof import('./framework/server');
    return (await startFrameworkServer(documentClient(dynamo), 't', 'node', '127.0.0.1')).url;
  }
  const { startApp } = require('../src/app') as typeof import('../src/app');
  const { createLogger } = require('../src/logger') as typeof import('../src/logger');
  const config = loadConfig({ ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: SECRET, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', TABLE_NAME: 'bench', RATE_LIMIT_ENABLED: process.env.RATE_LIMIT_ENABLED ?? 'false' });
  const app = await startApp({ config, dynamo, log: createLogger({ level: config.logLevel }) });
  return app.server.url;
}

async function drive(url: string, read: Read, requests: number, concurrency = 16): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const tok = await token('acme');
  const payload = READS[read];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${tok}`, 'x-bench-tenant': 'acme', 'x-bench-user': 'u', 'content-length': String(Buffer.byteLength(payload)) };
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || text.includes('"errors"')) reject(new Error(text.slice(0, 300)));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  let left = requests;
  const worker = async () => {
    while (left-- > 0) await one();
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return (cpu.user + cpu.system) / requests;
}

async function child() {
  const url = await serve(process.env.REQUEST_CPU_KIND as Kind);
  process.on('message', async (m: { read: Read; requests: number; profile?: string }) => {
    try {
      if (!m.profile) return void process.send!({ us: await drive(url, m.read, m.requests) });
      const session = new inspector.Session();
      session.connect();
      const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))));
      await post('Profiler.enable');
      await post('Profiler.start');
      const us = await drive(url, m.read, m.requests);
      writeFileSync(m.profile, JSON.stringify(((await post('Profiler.stop')) as { profile: object }).profile));
      session.disconnect();
      process.send!({ us });
    } catch (e) {
      process.send!({ error: String(e) });
    }
  });
  process.send!({ ready: true });
}

// ---- the driver -------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const arg = (name: string, fallback: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
  const reads = arg('only', 'sessionCheck,mySessions').split(',') as Read[];
  const requests = Number(arg('requests', '4000'));
  const rounds = Number(arg('rounds', '5'));
  const cpuProf = arg('cpu-prof', '');
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  const sides: { label: string; kind: Kind; env: Record<string, string> }[] = [
    { label: 'ours', kind: 'ours', env: {} },
    { label: 'framework floor', kind: 'framework', env: {} },
  ];
  argv.forEach((a, i) => {
    if (a !== '--variant') return;
    const words = argv[i + 1].split(/\s+/);
    const env = Object.fromEntries(words.filter((w) => w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    sides.push({ label: `ours (${words.filter((w) => !w.includes('=')).join(' ')})`, kind: 'ours', env });
  });
  const logFile = join(tmpdir(), `request-cpu-${process.pid}.log`);
  const log = openSync(logFile, 'a');
  console.log(`servers' logs: ${logFile}`);
  const procs = await Promise.all(
    sides.map(async (side) => {
      const proc = fork(__filename, [], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...side.env, REQUEST_CPU_KIND: side.kind },
        stdio: ['ignore', log, log, 'ipc'],
      });
      await new Promise((resolve, reject) => {
        proc.once('message', resolve);
        proc.once('exit', (code) => reject(new Error(`the ${side.label} server exited (${code}) before it was ready`)));
      });
      return proc;
    }),
  );
  const ask = (i: number, read: Read, n: number, profile?: string) =>
    new Promise<number>((resolve, reject) => {
      procs[i].once('message', (m: { us?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.us!)));
      procs[i].send({ read, requests: n, profile });
    });
  const profileOf = (k: number, read: Read, r: number) => (cpuProf && r === 0 ? join(cpuProf, `${sides[k].label.replace(/\W+/g, '-')}-${read}.cpuprofile`) : undefined);
  for (const read of reads) {
    for (let i = 0; i < sides.length; i++) await ask(i, read, Math.ceil(requests / 4)); // warm-up
    const runs = sides.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) for (let k = 0; k < sides.length; k++) runs[(k + r) % sides.length].push(await ask((k + r) % sides.length, read, requests, profileOf((k + r) % sides.length, read, r)));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const fw = median(runs[1]);
    console.log(`\n${read}: CPU µs per request (server + client + stub, one process), median of ${rounds}`);
    sides.forEach((s, i) => console.log(`  ${s.label.padEnd(36)} ${median(runs[i]).toFixed(0).padStart(6)}   vs framework floor ${(median(runs[i]) - fw >= 0 ? '+' : '') + (median(runs[i]) - fw).toFixed(0)}   runs ${runs[i].map((x) => x.toFixed(0)).join(' ')}`));
  }
  for (const p of procs) p.kill();
}

if (process.env.REQUEST_CPU_KIND) void child();
else void main();

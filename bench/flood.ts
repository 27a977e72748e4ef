import 'reflect-metadata';
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { createDynamoClient } from '../src/store/client';
import { startEmbeddedDynamo } from '../src/embedded/dynamo-local';
import { ensureTable } from '../src/store/table';
import { DOCS, token } from './seed';
import { startServer } from './server';

/**
 * `npm run bench:flood`: one user floods the server with documents that are expensive to
 * parse and validate (as fast as one WebSocket and one HTTP connection allow), while a user
 * of another tenant sends `sessionCheck` at a fixed 20 a second. Reports that user's latency
 * idle and under the flood (issue #19's target: p99 under 4x the idle p99), with the default
 * limits on. `--server <built child.js>` measures another build (e.g. an older main);
 * `--duration <s>` per phase (default 20); `--production` runs the server in production mode.
 */
const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
const DURATION_MS = Number(arg('duration') ?? 20) * 1000;
const SCRIPT = resolve(arg('server') ?? join(__dirname, 'child.js'));
const RATE = 20;

/** Documents graphql-js spends milliseconds on: many aliases, or many unknown fields with suggestions. Varied, so no cache helps. */
const heavy = (n: number) =>
  n % 2 === 0
    ? `{ ${Array.from({ length: 800 }, (_, i) => `a${n}x${i}: __typename`).join(' ')} }`
    : `{ ${Array.from({ length: 1240 }, (_, i) => `a${n}x${i}: sessionChek${i % 40}`).join(' ')} }`;

function post(url: URL, agent: Agent, body: string, auth: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolveDone) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () => resolveDone({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', () => resolveDone({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/**
 * sessionCheck at a fixed RATE a second for `ms`, whatever the answers' latency: each one's
 * latency. The tenant's users take turns (4 of them: one user may sustain 10 a second).
 */
async function victim(url: URL, auths: string[], ms: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true });
  const body = JSON.stringify({ query: DOCS.sessionCheck, variables: { topicId: 'purpose' } });
  const sent: Promise<{ status: number; ms: number }>[] = [];
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end; i++) {
    sent.push(post(url, agent, body, auths[i % auths.length]));
    await new Promise((r) => setTimeout(r, 1000 / RATE));
  }
  const results = await Promise.all(sent);
  agent.destroy();
  if (results.some((r) => r.status !== 200)) throw new Error(`the victim got ${results.filter((r) => r.status !== 200).length} non-200 answers`);
  return results.map((r) => r.ms);
}

/** The flood: one HTTP keep-alive connection back to back, one WebSocket sending as fast as it drains (reconnecting when closed). */
function flood(url: URL, auth: string) {
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  let stopped = false;
  let n = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const http = (async () => {
    while (!stopped) count(`http ${(await post(url, agent, JSON.stringify({ query: heavy(n++) }), auth)).status}`);
  })();
  const ws = (async () => {
    while (!stopped) {
      const socket = new WebSocket(url.href.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('message', (m) => {
        const msg = JSON.parse(String(m));
        count(`ws ${msg.type} ${msg.payload?.[0]?.extensions?.code ?? ''}`.trim());
      });
      socket.on('error', () => {});
      await new Promise<void>((done) => {
        socket.once('close', (code) => (count(`ws close ${code}`), done()));
        socket.once('open', async () => {
          socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: auth } }));
          while (!stopped && socket.readyState === WebSocket.OPEN) {
            if (socket.bufferedAmount < 1_000_000) {
              socket.send(JSON.stringify({ id: String(n), type: 'subscribe', payload: { query: `subscription ${heavy(n++)}` } }));
              count('ws subscribe sent');
            }
            await new Promise((r) => setImmediate(r));
          }
          socket.terminate();
        });
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      await Promise.all([http, ws]);
      agent.destroy();
      return Object.fromEntries([...counts].sort());
    },
  };
}

async function main() {
  const dynamo = await startEmbeddedDynamo({});
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
  const table = `flood-${Date.now()}`;
  await ensureTable(client, table, { log: () => {} });
  const logs = mkdtempSync(join(tmpdir(), 'flood-'));
  const server = await startServer(
    SCRIPT,
    {
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_NAME: table,
      RATE_LIMIT_ENABLED: 'true',
      LOG_LEVEL: 'warn',
      NODE_ENV: argv.includes('--production') ? 'production' : 'development',
    },
    join(logs, 'server.log'),
  );
  try {
    const url = new URL(server.url);
    const victimAuth = await Promise.all(['bob', 'carol', 'dave', 'erin'].map(async (u) => `Bearer ${await token('tenant-b', u)}`));
    await victim(url, victimAuth, 2000); // warm up
    const idle = await victim(url, victimAuth, DURATION_MS);
    await server.call('reset');
    const attack = flood(url, `Bearer ${await token('tenant-a', 'mallory')}`);
    const loaded = await victim(url, victimAuth, DURATION_MS);
    const counts = await attack.stop();
    const stats = await server.call('stats');
    const cpu = 'stats' in stats ? stats.stats.cpuMicros / 1e6 : NaN;
    const row = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms (${xs.length} requests)`;
    console.log(`server: ${SCRIPT} (${argv.includes('--production') ? 'production' : 'development'} mode, default limits)`);
    console.log(`idle:      ${row(idle)}`);
    console.log(`flooded:   ${row(loaded)}`);
    console.log(`p99 ratio: ${(pct(loaded, 99) / pct(idle, 99)).toFixed(2)} (target < 4)`);
    console.log(`server CPU during the flood: ${cpu.toFixed(1)} s in ${(DURATION_MS / 1000).toFixed(0)} s`);
    console.log('flood answers:', JSON.stringify(counts));
  } finally {
    await server.stop();
    client.destroy();
    await dynamo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

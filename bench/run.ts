import 'reflect-metadata';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { createDynamoClient, documentClient } from '../src/store/client';
import { startEmbeddedDynamo } from '../src/embedded/dynamo-local';
import { ensureTable } from '../src/store/table';
import { emptyStats, instrumentClient } from '../src/store/request-stats';
import { DynamoSessionRepository } from '../src/store/dynamo-session-repository';
import { Floor } from './floor';
import { pinProcesses } from './pin';
import { httpLoad, HttpCall, loop, round } from './load';
import { HttpSide, machine, mb, measurePoint, measureServer } from './measure';
import { options } from './options';
import { createPeerTable, runPeer, seedLangchain } from './peer';
import { body, DOCS, growConversation, parallel, startSession, token, USER_TEXT } from './seed';
import { printReport, Report, ScenarioReport } from './report';
import { startServer } from './server';
import { contention, operationCosts } from './write-path';
import type { Scenario } from './scenario';
import { readScenarios } from './scenarios/read';
import { startOtlpSink } from './otlp-sink';
import { coachMemoryBench, printCoachMemory } from './coach-memory';
import { streamsBench } from './streams/streams';
import { printStreams } from './streams/print';

/**
 * `npm run bench` (full) and `npm run bench:quick` (CI): DynamoDB Local in memory, the server
 * in a child process as `npm start` builds it, the seed, then each scenario against its
 * floors (the options and what each measures: bench/options.ts; a point: bench/measure.ts).
 * Prints the tables and writes them as JSON under bench/results/.
 */
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

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});


import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { OpStats } from '../child';
import { Floor } from '../floor';
import { round } from '../load';
import { gql, parallel, startSession, token, USER_TEXT } from '../seed';
import { startServer } from '../server';
import type { LoadReply, StreamRun } from './load-child';
import { ADDRESSES, Loader, serverEnv, sleep, startLoader, stats } from './rig';
import { SocketsReport, socketsRun } from './sockets';
import { startOpenAiStub } from './openai-stub';

/**
 * The stream scenario (docs/streams-bench.md): sendMessageStream over graphql-ws from a load
 * generator in its own process (bench/streams/load-child.ts), against a server process whose
 * coach waits FIRST_PIECE_MS before its first piece: the embedded coach (bench/streams/coach.ts)
 * or the OpenAI adapter against a local stub. Limits stay on: every socket is its own tenant
 * and user, spread over ADDRESSES loopback addresses (under the per-address socket bound).
 */
export const FIRST_PIECE_MS = 100;
/**
 * One point: `c` streams at once, `n` each one after the other, the coach's pieces `paceMs`
 * apart (asked for in the message, bench/streams/coach.ts: `[pace:<ms>]`), the first streams
 * started over `rampMs`. A 1,000-stream point is slow (2 s a piece, a stream ~26 s) so that
 * 1,000 streams are open at once at a turn rate (~40/s) DynamoDB Local here can take: at 250
 * ms (~300 turns/s) the store itself failed a quarter of the floor's turns, and at 1 s
 * (~80/s) the server's new connections to it still timed out (SERVICE_UNAVAILABLE).
 */
interface Level {
  c: number;
  n: number;
  paceMs: number;
  rampMs: number;
}
/** The quick run (CI): that the scenario works, in a few seconds; its figures mean little. */
const QUICK: Level[] = [
  { c: 1, n: 2, paceMs: 10, rampMs: 0 },
  { c: 20, n: 1, paceMs: 10, rampMs: 60 },
];
const FULL: Level[] = [
  { c: 1, n: 10, paceMs: 50, rampMs: 0 },
  { c: 100, n: 2, paceMs: 250, rampMs: 300 },
  { c: 1000, n: 1, paceMs: 2000, rampMs: 20_000 },
];
const withPace = (paceMs: number) => `${USER_TEXT} [pace:${paceMs}]`;

export interface StreamPoint {
  concurrency: number;
  streams: number;
  errors: number;
  firstError?: string;
  broken: number;
  duplicateReplies: number;
  paceMs: number;
  /** First delta at the client minus FIRST_PIECE_MS. */
  addedP50: number;
  addedP99: number;
  /** The store calls made before the model call, straight from the SDK, same concurrency. */
  floorP50: number;
  floorP99: number;
  /** The floor's failed turns (reported; only the server's errors fail the run). */
  floorErrors: number;
  /** Target (100 streams): addedP50 <= floorP50 + 5 ms. */
  withinTarget: boolean;
  deltasPerStream: number;
  serverCpuMicrosPerStream: number;
  serverCpuMicrosPerDelta: number;
  loadgenCpuMicrosPerStream: number;
}

export interface StreamCoachReport {
  /** embedded-words: the embedded coach one word a piece (three times the deltas: their marginal cost). */
  coach: 'embedded' | 'embedded-words' | 'openai-stub';
  /** DynamoDB requests a stream made before its model call (c=1, read during the first-piece wait). */
  beforeModel: Record<string, number>;
  points: StreamPoint[];
  /** After the points (when no turn failed): sessions whose stored message count is not what their turns wrote. */
  lostOrDuplicated?: number;
}

export interface StreamsReport {
  firstPieceMs: number;
  loadAverage: number[];
  addresses: number;
  coaches: StreamCoachReport[];
  sockets: SocketsReport | null;
}

export interface StreamsOptions {
  quick: boolean;
  dynamoEndpoint: string;
  table: string;
  serverLog: string;
  floor: Floor;
  log: (m: string) => void;
}

const pct = (list: number[], p: number) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
export async function streamsBench(o: StreamsOptions): Promise<StreamsReport> {
  const report: StreamsReport = { firstPieceMs: FIRST_PIECE_MS, loadAverage: loadavg().map((n) => round(n)), addresses: ADDRESSES.length, coaches: [], sockets: null };
  const loader = startLoader();
  try {
    const plans: { coach: StreamCoachReport['coach']; levels: Level[] }[] = o.quick
      ? [{ coach: 'embedded', levels: QUICK }]
      : [
          { coach: 'embedded', levels: FULL },
          { coach: 'embedded-words', levels: [FULL[1]] },
          { coach: 'openai-stub', levels: FULL },
        ];
    for (const plan of plans) report.coaches.push(await coachRun(o, loader, plan.coach, plan.levels));
    report.sockets = await socketsRun({ ...o, coach: `delayed:${FIRST_PIECE_MS}:10` }, loader, o.quick ? 200 : 10_000);
  } finally {
    loader.stop();
  }
  report.loadAverage = [...report.loadAverage, ...loadavg().map((n) => round(n))];
  return report;
}

async function coachRun(o: StreamsOptions, loader: Loader, coach: StreamCoachReport['coach'], levels: Level[]): Promise<StreamCoachReport> {
  const stub = coach === 'openai-stub' ? await startOpenAiStub({ firstChunkMs: FIRST_PIECE_MS }) : null;
  const env: Record<string, string> =
    coach !== 'openai-stub'
      ? { BENCH_COACH: `delayed:${FIRST_PIECE_MS}:10${coach === 'embedded-words' ? ':words' : ''}` }
      : { COACH: 'openai', COACH_MODEL: 'bench', OPENAI_BASE_URL: stub!.url, OPENAI_API_KEY: 'bench' };
  const server = await startServer(join(__dirname, '..', 'child.js'), serverEnv(o, env), o.serverLog);
  const maxC = Math.max(...levels.map((l) => l.c));
  const out: StreamCoachReport = { coach, beforeModel: {}, points: [] };
  try {
    o.log(`streams (${coach}): ${maxC} sessions and sockets`);
    const users = Array.from({ length: maxC }, (_, i) => `st-${coach}-${Date.now()}-${i}`);
    const tokens = await Promise.all(users.map((u) => token(u)));
    const sessions: string[] = [];
    await parallel(tokens, 32, async (tok, i) => void (sessions[i] = await startSession(server.url, tok, 'purpose')));
    /** Messages each session should hold: the opening, two a turn (the server's and the floor's). */
    const stored = new Array<number>(maxC).fill(1);
    const connected = await loader.call<Extract<LoadReply, { type: 'connected' }>>({ type: 'connect', url: server.url.replace(/^http/, 'ws'), tokens, addresses: ADDRESSES, from: 0 });
    if (connected.failed) throw new Error(`streams: ${connected.failed} sockets refused: ${connected.firstError}`);
    let runs = 0;
    let failures = 0;
    const streams = async ({ c, n: perSocket, paceMs, rampMs }: Level) => {
      const r = await loader.call<Extract<LoadReply, { type: 'streamed' }>>({ type: 'streams', sessions: sessions.slice(0, c), perSocket, content: withPace(paceMs), runId: `${coach}-${runs++}`, rampMs });
      for (let i = 0; i < c; i++) stored[i] += 2 * perSocket;
      failures += r.run.errors;
      return r.run;
    };
    // What a stream asks of the store before its model call: read while the coach waits.
    await server.call('reset');
    const probe = streams({ c: 1, n: 1, paceMs: 10, rampMs: 0 });
    await sleep(FIRST_PIECE_MS * 0.8);
    out.beforeModel = (await stats(server)).byCommand;
    await probe;
    o.log(`streams (${coach}): before the model call ${JSON.stringify(out.beforeModel)}`);
    if (!o.quick) await streams({ c: Math.min(maxC, 100), n: 1, paceMs: 10, rampMs: 300 }); // warm-up
    for (const level of levels) {
      const { c, n: perSocket } = level;
      o.log(`streams (${coach}): ${c} concurrent, ${perSocket} each, a piece every ${level.paceMs} ms`);
      await server.call('reset');
      // STREAMS_CPU_PROF=<dir>: a CPU profile of the server for each point (node dist/bench/profile.js reads it).
      const prof = process.env.STREAMS_CPU_PROF ? join(process.env.STREAMS_CPU_PROF, `streams-${coach}-c${c}.cpuprofile`) : null;
      if (prof) await server.call({ type: 'profile-start' });
      const run = await streams(level);
      if (prof) await server.call({ type: 'profile-stop', file: prof });
      const s = await stats(server);
      const floor = await floorRun(o.floor, coach, users.slice(0, c), sessions.slice(0, c), perSocket, level.rampMs, run.totalMs);
      floor.written.forEach((n, i) => (stored[i] += n));
      failures += floor.errors;
      out.points.push({ ...point(c, run, s, floor), paceMs: level.paceMs });
    }
    // A failed turn (stream or floor) may or may not have stored its message: counted only when none failed.
    if (failures === 0) out.lostOrDuplicated = await countLost(server.url, tokens, sessions, stored);
    await loader.call({ type: 'close' });
  } finally {
    await server.stop();
    await stub?.close();
  }
  return out;
}

function point(c: number, run: StreamRun, s: OpStats, { times: floor, errors: floorErrors }: { times: number[]; errors: number }): Omit<StreamPoint, 'paceMs'> {
  const added = run.firstDeltaMs.map((ms) => ms - FIRST_PIECE_MS);
  const p = {
    addedP50: round(pct(added, 50)),
    addedP99: round(pct(added, 99)),
    floorP50: round(pct(floor, 50)),
    floorP99: round(pct(floor, 99)),
    floorErrors,
  };
  return {
    concurrency: c,
    streams: run.streams,
    errors: run.errors,
    ...(run.firstError ? { firstError: run.firstError } : {}),
    broken: run.broken,
    duplicateReplies: run.duplicateReplies,
    ...p,
    withinTarget: p.addedP50 <= p.floorP50 + 5,
    deltasPerStream: round(run.deltas / Math.max(run.streams, 1), 1),
    serverCpuMicrosPerStream: round(s.cpuMicros / Math.max(run.streams, 1), 0),
    serverCpuMicrosPerDelta: round(s.cpuMicros / Math.max(run.deltas, 1), 0),
    loadgenCpuMicrosPerStream: round(run.cpuMicros / Math.max(run.streams, 1), 0),
  };
}

/**
 * The floor: each worker makes its turns' store calls in the server's order, straight from the
 * SDK: the calls before the model call (timed), the model's wait, then the reply's write.
 */
async function floorRun(floor: Floor, coach: StreamCoachReport['coach'], tenants: string[], sessions: string[], perWorker: number, rampMs: number, streamMs: number[]) {
  const times: number[] = [];
  let errors = 0;
  /** Messages the floor stored, per session (it writes on the server's sessions). */
  const written = sessions.map(() => 0);
  // The model's part of a stream, as long as the server's streams took (their median).
  const modelMs = Math.max(0, pct(streamMs, 50));
  await Promise.all(
    sessions.map(async (sessionId, w) => {
      if (rampMs > 0) await sleep((w * rampMs) / sessions.length);
      for (let k = 0; k < perWorker; k++) {
        try {
          const t0 = performance.now();
          const writeReply = await floor.appendMessage(tenants[w], sessionId);
          written[w]++;
          if (coach === 'openai-stub') await Promise.all([floor.recentMessages(tenants[w], sessionId, 20), floor.outcomes(tenants[w], 'u')]);
          times.push(performance.now() - t0);
          await sleep(modelMs);
          await writeReply();
          written[w]++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { times, errors, written };
}

/** Sessions whose stored message count is not what the turns wrote (a lost or doubled write). */
async function countLost(url: string, tokens: string[], sessions: string[], expected: number[]): Promise<number> {
  let wrong = 0;
  await parallel(sessions, 16, async (id, i) => {
    const d = await gql<{ session: { messageCount: number } }>(url, tokens[i], 'query Q($id: ID!) { session(id: $id) { messageCount } }', { id });
    if (d.session.messageCount !== expected[i]) wrong++;
  });
  return wrong;
}

import { join } from 'node:path';
import type { Transport } from './framework/server';

/**
 * The options of `npm run bench` (full) and `npm run bench:quick` (CI), bench/run.ts. Starts DynamoDB Local (in memory),
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
export interface Options {
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

export function options(argv: string[]): Options {
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

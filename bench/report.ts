import { LoadResult } from './load';
import { PeerPoint } from './peer';
import type { WritePathReport } from './write-path';
import type { CoachMemoryReport } from './coach-memory';
import type { StreamsReport } from './streams/streams';

export interface Side extends LoadResult {
  requestsPerOp: number;
  byCommandPerOp: Record<string, number>;
  rcuPerOp: number;
  wcuPerOp: number;
  /** CPU time per operation, microseconds: of the server process (server side) or of the floor's process. */
  cpuMicrosPerOp?: number;
  /** Server side only: CPU of the load generator (autocannon, in the bench process) per operation. */
  loadgenCpuMicrosPerOp?: number;
  firstError?: string;
}

export interface ScenarioPoint {
  concurrency: number;
  /** Ours. */
  server: Side;
  /** The DynamoDB floor. */
  floor: Side;
  /** ours / DynamoDB floor, throughput. */
  ratio: number;
  /** More HTTP sides measured in the same run: the framework floor(s), a baseline build. */
  others?: { label: string; framework: boolean; primary?: boolean; side: Side; paired?: PairedRatios }[];
}

/** Ours / another side, round by round (bench/run.ts `paired`): the median ratio and the range. */
export interface PairedRatios {
  rounds: number;
  rps: { median: number; min: number; max: number };
  p99: { median: number; min: number; max: number };
}

export interface ScenarioReport {
  name: string;
  title: string;
  points: ScenarioPoint[];
}

export interface GrowthPoint extends Side {
  size: number;
  grewBy: number;
}

export interface Report {
  kind: 'quick' | 'full';
  startedAt: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  scenarios: ScenarioReport[];
  growth: GrowthPoint[];
  peer: PeerPoint[];
  /** The conversation write path (bench/write-path.ts): contention, capacity per operation. */
  writePath?: WritePathReport;
  /** Model tokens per turn with the coach's memory (bench/coach-memory.ts). */
  coachMemory?: CoachMemoryReport;
  streams?: StreamsReport;
  memory: {
    requestsFirst: number;
    requestsTotal: number;
    errors: number;
    rssAfterFirstMb: number;
    rssAfterTotalMb: number;
    growthPct: number;
    heapUsedAfterFirstMb: number;
    heapUsedAfterTotalMb: number;
    heapUsedAfterGcMb: number;
  } | null;
  seconds: number;
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

const cmds = (s: Side) =>
  Object.entries(s.byCommandPerOp)
    .map(([k, v]) => `${v} ${k}`)
    .join(' + ') || '-';

/** Markdown tables (they go to the terminal and, pasted, into docs/performance.md). */
export function printReport(r: Report): string {
  let out = `\n# Benchmark (${r.kind}), ${r.startedAt}\n\n`;
  out += `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB, ${r.machine.os}, Node ${r.machine.node}, ${r.machine.java}, ${r.machine.dynamodbLocal}\n`;
  out += `Each point: ${r.settings.durationSec} s${Number(r.settings.rounds) > 1 ? `, read points ${r.settings.rounds} times with the sides interleaved (median)` : ''}. Server: ${r.settings.server}; load: ${r.settings.loadGenerator}.${r.settings.pinned ? ` Pinned: ${r.settings.pinned}.` : ''} Floor: the same DynamoDB calls from the SDK, same client config, same concurrency.\n\n`;
  for (const s of r.scenarios) {
    out += `## ${s.title}\n\n`;
    if (s.points[0]?.others?.length) {
      out += sideBySide(s);
      continue;
    }
    const p0 = s.points[0];
    out += `DynamoDB per operation: server ${p0.server.requestsPerOp} (${cmds(p0.server)}), floor ${p0.floor.requestsPerOp} (${cmds(p0.floor)})\n\n`;
    out += table(
      ['conc', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'DDB req/op', 'RCU/op', 'WCU/op', 'floor req/s', 'floor p50', 'floor p99', 'floor DDB req/op', 'ratio server/floor', 'CPU µs/op server (+autocannon) / floor'],
      s.points.map((p) => [
        p.concurrency,
        p.server.rps,
        p.server.p50,
        p.server.p99,
        p.server.errors,
        p.server.requestsPerOp,
        p.server.rcuPerOp,
        p.server.wcuPerOp,
        p.floor.rps,
        p.floor.p50,
        p.floor.p99,
        p.floor.requestsPerOp,
        p.ratio,
        `${p.server.cpuMicrosPerOp} (+${p.server.loadgenCpuMicrosPerOp}) / ${p.floor.cpuMicrosPerOp}`,
      ]),
    );
    for (const p of s.points) {
      if (p.server.firstError) out += `\nc=${p.concurrency} server error: ${p.server.firstError}\n`;
      if (p.floor.firstError) out += `\nc=${p.concurrency} floor error: ${p.floor.firstError}\n`;
    }
    out += '\n';
  }
  out += readTargets(r);
  if (r.growth.length) {
    out += `## Growth: sendMessage by conversation length (concurrency ${r.growth[0].concurrency}, one conversation per connection)\n\n`;
    out += table(
      ['messages at start', 'grew by (per conversation)', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'DDB req/op', 'RCU/op', 'WCU/op'],
      r.growth.map((g) => [g.size, g.grewBy, g.rps, g.p50, g.p99, g.errors, `${g.requestsPerOp} (${cmds(g)})`, g.rcuPerOp, g.wcuPerOp]),
    );
    out += '\n';
  }
  if (r.peer.length) {
    out += `## Peer: LangChain DynamoDBChatMessageHistory vs ours (same DynamoDB Local, concurrency ${r.peer[0].ours.concurrency}, one conversation per worker)\n\n`;
    out += table(
      ['messages', 'operation', 'ours req/s', 'ours p99', 'ours DDB req/op', 'ours RCU/op', 'ours WCU/op', 'LangChain req/s', 'LangChain p99', 'LangChain DDB req/op', 'LangChain RCU/op', 'LangChain WCU/op', 'ratio ours/LangChain', 'errors (ours/theirs)'],
      r.peer.map((p) => [
        p.size,
        PEER_OPS[p.op],
        p.ours.rps,
        p.ours.p99,
        p.ours.requestsPerOp,
        p.ours.rcuPerOp,
        p.ours.wcuPerOp,
        p.langchain.rps,
        p.langchain.p99,
        p.langchain.requestsPerOp,
        p.langchain.rcuPerOp,
        p.langchain.wcuPerOp,
        p.ratio,
        `${p.ours.errors}/${p.langchain.errors}`,
      ]),
    );
    out += '\n';
  }
  if (r.writePath) out += printWritePath(r.writePath);
  if (r.memory) {
    const m = r.memory;
    out += `## Memory (server process, sessionCheck at concurrency 16)\n\n`;
    out += table(
      ['', 'after first ' + m.requestsFirst, 'after ' + m.requestsTotal],
      [
        ['RSS MB', m.rssAfterFirstMb, `${m.rssAfterTotalMb} (${m.growthPct >= 0 ? '+' : ''}${m.growthPct}%)`],
        ['heap used MB', m.heapUsedAfterFirstMb, `${m.heapUsedAfterTotalMb} (after GC ${m.heapUsedAfterGcMb})`],
      ],
    );
    out += `\nerrors: ${m.errors}\n\n`;
  }
  out += `Total: ${r.seconds} s\n`;
  return out;
}

const PEER_OPS: Record<PeerPoint['op'], string> = {
  last50: 'load last 50',
  append: 'append 1',
  appendReply: 'append a reply',
};

function printWritePath(w: WritePathReport): string {
  let out = '## Contention: one user, one session, concurrent sends (each with its own clientMessageId)\n\n';
  out += table(
    ['processes', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'acknowledged', 'SESSION_BUSY', 'other errors', 'DDB req/op', 'WCU/op', 'RCU/op'],
    w.contention.map((c) => [c.processes, c.concurrency, c.rps, c.p50, c.p99, c.acknowledged, c.busy, c.otherErrors, c.requestsPerOp, c.wcuPerOp, c.rcuPerOp]),
  );
  for (const c of w.contention) if (c.firstOtherError) out += `\n${c.processes} process(es): first other error: ${c.firstOtherError}\n`;
  out += '\n## Capacity per operation (the server\'s counters, DynamoDB Local, one call at a time, real clock)\n\n';
  out += table(
    ['operation', 'calls', 'WCU/op', 'RCU/op', 'DDB req/op'],
    w.costs.map((c) => [c.operation, c.samples, c.wcuPerOp, c.rcuPerOp, c.requestsPerOp]),
  );
  return out + '\n';
}

const primaryFramework = (p: ScenarioPoint) => p.others?.find((o) => o.primary) ?? p.others?.find((o) => o.framework);
const frameworkOf = (p: ScenarioPoint) => primaryFramework(p)?.side;

/** A scenario measured against both floors: one row per side and concurrency. */
function sideBySide(s: ScenarioReport): string {
  const rows: (string | number)[][] = [];
  for (const p of s.points) {
    const fw = frameworkOf(p);
    const sides = [{ label: 'ours', side: p.server }, ...(p.others ?? []), { label: 'DynamoDB floor', side: p.floor }];
    for (const { label, side } of sides) {
      rows.push([
        p.concurrency,
        label,
        side.rps,
        side.p50,
        side.p99,
        side.errors,
        `${side.requestsPerOp} (${cmds(side)})`,
        side.cpuMicrosPerOp ?? '',
        round2(side.rps / p.floor.rps),
        fw ? round2(side.rps / fw.rps) : '',
        fw ? round2(side.p99 / fw.p99) : '',
      ]);
    }
  }
  let out = table(['conc', 'side', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'DDB req/op', 'CPU µs/op', 'req/s vs DynamoDB floor', 'req/s vs framework floor', 'p99 vs framework floor'], rows);
  for (const p of s.points) {
    for (const { label, side } of [{ label: 'ours', side: p.server }, ...(p.others ?? []), { label: 'DynamoDB floor', side: p.floor }]) {
      if (side.firstError) out += `\nc=${p.concurrency} ${label} error: ${side.firstError}\n`;
    }
  }
  return out + '\n';
}

/** Issue #13's targets for the reads measured against the framework floor. */
function readTargets(r: Report): string {
  const rows: (string | number)[][] = [];
  for (const s of r.scenarios) {
    for (const p of s.points) {
      const framework = primaryFramework(p);
      if (!framework || p.concurrency < 16) continue;
      const fw = framework.side;
      // With several rounds the target reads the paired ratios (median of the rounds' ratios).
      const pr = framework.paired;
      const ofMedians = { rps: round2(p.server.rps / fw.rps), p99: round2(p.server.p99 / fw.p99) };
      const rps = pr?.rps.median ?? ofMedians.rps;
      const p99 = pr?.p99.median ?? ofMedians.p99;
      const cell = (x: number, range?: { min: number; max: number }) => (range ? `${x} (${range.min}-${range.max})` : `${x}`);
      rows.push([
        s.name,
        p.concurrency,
        cell(rps, pr?.rps),
        cell(p99, pr?.p99),
        pr ? `${ofMedians.rps} / ${ofMedians.p99}` : '',
        p.ratio,
        round2(fw.rps / p.floor.rps),
        rps >= 0.9 && p99 <= 1.3 ? 'met' : 'missed',
      ]);
    }
  }
  if (!rows.length) return '';
  return (
    '## Read path against the framework floor (targets: req/s >= 0.9x, p99 <= 1.3x, at concurrency 16 and 64)\n\n' +
    'With several rounds, a ratio is the median of the rounds\' ratios (ours and the framework floor measured a few seconds apart), with their range; the ratio of the two median rounds follows.\n\n' +
    table(['read', 'conc', 'req/s ours / framework', 'p99 ours / framework', 'median rounds: req/s / p99', 'ours / DynamoDB floor', 'framework / DynamoDB floor', 'target'], rows) +
    '\n'
  );
}

const round2 = (n: number) => Math.round(n * 100) / 100;

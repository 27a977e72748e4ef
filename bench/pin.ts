import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * `--pin`: the servers under test on the last CPU, everything else (the bench process, that
 * is the load generator and the DynamoDB floor's loop, and DynamoDB Local's JVM) on the
 * others. A server then never waits for a core that the JVM or the load generator holds, so
 * its throughput follows its own CPU per request. Rounds spread less, not nothing: the framework
 * floor's sessionCheck at 64 stayed within 6% in 8 of 12 pinned rounds, and spread nearly 2x
 * in 4 unpinned ones (docs/performance.md). Every thread of each process is pinned (taskset -a);
 * threads started later inherit it. Needs taskset (util-linux) and two CPUs or more.
 */
export function pinProcesses(servers: number[], others: number[]): string {
  const n = cpus().length;
  if (n < 2) throw new Error('--pin needs two CPUs or more');
  const serverCpu = String(n - 1);
  const rest = n === 2 ? '0' : `0-${n - 2}`;
  const pin = (pid: number, list: string) => execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
  for (const pid of others) pin(pid, rest);
  for (const pid of servers) pin(pid, serverCpu);
  return `the servers on CPU ${serverCpu}; the load generator, the DynamoDB floor's loop and DynamoDB Local on CPU ${rest}`;
}

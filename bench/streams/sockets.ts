import { join } from 'node:path';
import { round } from '../load';
import { token } from '../seed';
import { startServer } from '../server';
import type { LoadReply } from './load-child';
import { ADDRESSES, Loader, mb, serverEnv, sleep, stats } from './rig';

/** Authenticated sockets held open in one server (no subscription; the idle timeout raised for the run). */
export interface SocketsReport {
  sockets: number;
  failed: number;
  firstError?: string;
  openSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapAfterMb: number;
  rssKbPerSocket: number;
  cpuMicrosPerSocketOpen: number;
  /** Server CPU while the sockets sat idle (keepalive pings only), per socket per minute. */
  idleCpuMicrosPerSocketMinute: number;
}

export async function socketsRun(o: { quick: boolean; dynamoEndpoint: string; table: string; serverLog: string; coach: string; log: (m: string) => void }, loader: Loader, n: number): Promise<SocketsReport> {
  o.log(`sockets: ${n} authenticated sockets held open`);
  const server = await startServer(join(__dirname, '..', 'child.js'), serverEnv(o, { BENCH_COACH: o.coach }), o.serverLog);
  try {
    const tokens = await Promise.all(Array.from({ length: n }, (_, i) => token(`sk-${Date.now()}-${i}`)));
    await server.call('gc');
    const before = (await server.call('memory')) as { rss: number };
    await server.call('reset');
    const c = await loader.call<Extract<LoadReply, { type: 'connected' }>>({ type: 'connect', url: server.url.replace(/^http/, 'ws'), tokens, addresses: ADDRESSES, from: 0 });
    const openCpu = (await stats(server)).cpuMicros;
    await server.call('gc');
    const after = (await server.call('memory')) as { rss: number; heapUsed: number };
    await server.call('reset');
    const idleMs = o.quick ? 1000 : 20_000;
    await sleep(idleMs);
    const idleCpu = (await stats(server)).cpuMicros;
    await loader.call({ type: 'close' });
    return {
      sockets: c.open,
      failed: c.failed,
      ...(c.firstError ? { firstError: c.firstError } : {}),
      openSeconds: round(c.ms / 1000, 1),
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      heapAfterMb: mb(after.heapUsed),
      rssKbPerSocket: round((after.rss - before.rss) / 1024 / Math.max(c.open, 1), 1),
      cpuMicrosPerSocketOpen: round(openCpu / Math.max(c.open, 1), 0),
      idleCpuMicrosPerSocketMinute: round((idleCpu / Math.max(c.open, 1)) * (60_000 / idleMs), 1),
    };
  } finally {
    await server.stop();
  }
}

import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { OpStats } from '../child';
import { round } from '../load';
import type { Child } from '../server';
import type { LoadReply, LoadRequest } from './load-child';

/** The stream bench's processes: the load generator, and the server's environment. */

/** 40 loopback addresses (127.0.1.1-40): 10,000 sockets are 250 an address, under the bound of 1,000. */
export const ADDRESSES = Array.from({ length: 40 }, (_, i) => `127.0.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const stats = async (c: Child) => ((await c.call('stats')) as { stats: OpStats }).stats;
export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** The load generator process and its IPC. */
export function startLoader() {
  const proc = fork(join(__dirname, 'load-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const pending = new Map<number, (r: LoadReply) => void>();
  proc.on('message', (m: LoadReply) => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  const call = <T extends LoadReply>(m: LoadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never) =>
    new Promise<T>((resolve) => {
      const id = next++;
      pending.set(id, resolve as (r: LoadReply) => void);
      proc.send({ ...m, id });
    });
  return { call, stop: () => proc.kill() };
}

export const serverEnv = (o: { dynamoEndpoint: string; table: string }, extra: Record<string, string>) => ({
  DYNAMODB_ENDPOINT: o.dynamoEndpoint,
  TABLE_NAME: o.table,
  // Real users' limits: on. The load is spread so that no user, tenant or address is over them.
  RATE_LIMIT_ENABLED: 'true',
  // The one bench override: room for 10,000 sockets and a few more (the default bound is 10,000).
  SUBSCRIPTION_MAX_SOCKETS: '12000',
  SUBSCRIPTION_IDLE_TIMEOUT_MS: '600000',
  ...extra,
});

export type Loader = ReturnType<typeof startLoader>;

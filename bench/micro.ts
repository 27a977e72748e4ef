import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createVerifier } from '../src/auth/verifier';
import { signToken } from '../src/auth/dev-token';
import { createLogger } from '../src/logger';
import { ExecutionArgs, parse, subscribe } from 'graphql';
import { buildSchema } from '../src/schema';
import { subscribeWithTemplates } from '../src/graphql/event-template';
import { deltaText } from '../src/conversation/stream-types';
import { SECRET } from './seed';

/**
 * Per-request costs that the profile points at, measured in isolation (µs per call), to
 * size the candidate optimisations: token verification (vs a cache hit), the per-operation
 * log line, AsyncLocalStorage's promise hooks, and a streamed reply's delta. Usage: node dist/bench/micro.js
 */
async function time(label: string, n: number, fn: () => unknown | Promise<unknown>) {
  for (let i = 0; i < Math.min(n, 2000); i++) await fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  const us = Number(process.hrtime.bigint() - t) / 1e3 / n;
  console.log(`${label.padEnd(60)} ${us.toFixed(2)} µs`);
  return us;
}

async function main() {
  const token = await signToken(SECRET, { tenantId: 'acme', userId: 'alice', expiresIn: '1h' });
  const verifier = createVerifier({ secret: SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined, tenantClaim: 'tenant_id', rolesClaim: 'roles', maxTokenLifetimeSeconds: 86400 });
  await time('jose HS256 verify + claims (per request today)', 20000, () => verifier.verify(token));
  const cache = new Map<string, { viewer: unknown; exp: number }>();
  cache.set(token, { viewer: await verifier.verify(token), exp: Date.now() / 1000 + 3600 });
  await time('cache hit (Map.get + exp check)', 200000, () => {
    const e = cache.get(token);
    return e && e.exp > Date.now() / 1000 ? e.viewer : null;
  });

  const dir = mkdtempSync(join(tmpdir(), 'micro-'));
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: join(dir, 'log'), sync: true }) });
  const fields = {
    requestId: 'b890a48f-07c6-4afb-8d40-bb00effd1216',
    operation: 'SessionCheck',
    operationType: 'query',
    tenant: 'b-8',
    user: 'u',
    durationMs: 4.4,
    code: 'OK',
    httpStatus: 200,
    dynamo: { requests: 1, readCapacity: 1, writeCapacity: 0, throttles: 0 },
    variables: { topicId: 'core_values' },
  };
  await time('per-operation log line (pino, censor formatter, sync file write)', 50000, () => log.info('graphql operation', fields));

  const chain = async () => {
    for (let i = 0; i < 50; i++) await Promise.resolve(i);
  };
  const without = await time('50 awaits, no AsyncLocalStorage', 20000, chain);
  const als = new AsyncLocalStorage<object>();
  const withAls = await time('50 awaits inside AsyncLocalStorage.run (promise hooks on)', 20000, () => als.run({}, chain));
  console.log(`AsyncLocalStorage overhead: ${(((withAls - without) / 50) * 1000).toFixed(0)} ns per await`);
  await deltas();
}

/**
 * A streamed reply's delta through the subscription (the frontend's SendMessageStream
 * selection): graphql-js's subscribe, which executes the selection for each delta (before),
 * against subscribeWithTemplates (now). The channel and the iterator are in both.
 */
async function deltas() {
  const document = parse(readFileSync(join(__dirname, '..', '..', 'operations', 'sessions.graphql'), 'utf8'));
  const n = 20000;
  const services = {
    conversation: {
      streamMessage: (_v: unknown, _s: string, _c: string, _id: string, on: { delta(t: string): void }) => {
        for (let k = 0; k < n; k++) on.delta(`piece ${k}`);
        return new Promise(() => {});
      },
    },
  };
  const args: ExecutionArgs = {
    schema: buildSchema(),
    document,
    operationName: 'SendMessageStream',
    variableValues: { sessionId: 's', content: 'c', clientMessageId: 'x' },
    contextValue: { viewer: { tenantId: 'acme', userId: 'alice', roles: [] }, services },
  };
  const through = async (label: string, open: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    const stream = (await open()) as AsyncIterableIterator<unknown>;
    for (let k = 0; k < n; k++) await stream.next();
    console.log(`${label.padEnd(60)} ${(Number(process.hrtime.bigint() - t) / 1e3 / n).toFixed(2)} µs`);
  };
  for (let round = 0; round < 2; round++) {
    await through('a delta, its selection executed (graphql subscribe)', () => subscribe(args));
    await through('a delta, a copy of its template (subscribeWithTemplates)', () => subscribeWithTemplates(args, deltaText));
  }
}

void main();

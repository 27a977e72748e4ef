import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DYNAMODB_LOCAL } from '../../src/store/client';
import { GqlResult, post } from './server';

/** Raw GraphQL over HTTP (a query string, not a typed document), for operations outside operations/. */
export async function rawGql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GqlResult<Record<string, unknown>> & { text: string }> {
  const res = await post(url, JSON.stringify({ query, variables }), {
    ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  });
  if (!res.json) throw new Error(`not a JSON response (HTTP ${res.status}): ${res.text.slice(0, 500)}`);
  return { ...(res.json as GqlResult<Record<string, unknown>>), status: res.status, text: res.text };
}

/** The server's origin: its GraphQL URL without "/graphql". */
export const baseOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');

/** Text that must never reach a client: stack frames, file paths, AWS internals. */
export function expectNoInternals(body: string, extra: string[] = []): void {
  expect(body).not.toMatch(/stacktrace/i);
  expect(body).not.toMatch(/\bat [\w.<>]+ \(/); // "at fn (file:line)" stack frames
  expect(body).not.toMatch(/node_modules|\/src\/|\.ts:\d+/);
  expect(body).not.toMatch(/ResourceNotFoundException|ECONNREFUSED|@aws-sdk/);
  for (const s of extra) expect(body).not.toContain(s);
}

/**
 * Asserts that a result failed with exactly this code and carries no data (null or absent
 * for the failed root field); returns the first error.
 */
export function expectCode<R>(result: GqlResult<R>, code: string) {
  if (!result.errors?.length) throw new Error(`expected ${code}, got success: ${JSON.stringify(result.data)}`);
  expect(result.errors[0].extensions?.code).toBe(code);
  const data = result.data as Record<string, unknown> | null | undefined;
  if (data) for (const value of Object.values(data)) expect(value).toBeNull();
  return result.errors[0];
}

/** Polls `fn` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A server whose store cannot be reached: GraphQL says SERVICE_UNAVAILABLE without internals,
 * the catalogue (no store needed) still answers, /readyz is 503 and /healthz 200.
 */
export async function expectStoreUnavailable(graphqlUrl: string, token: string, endpoint: string): Promise<void> {
  const hidden = [endpoint, endpoint.replace(/^https?:\/\//, ''), 'secret-internal-detail'];
  const res = await rawGql(graphqlUrl, 'query { sessionCheck(topicId: "purpose") { hasSession } }', {}, token);
  const error = expectCode(res, 'SERVICE_UNAVAILABLE');
  expect(error.message.length).toBeGreaterThan(0);
  expectNoInternals(res.text, hidden);
  const start = await rawGql(graphqlUrl, 'mutation { startSession(topicId: "purpose") { id } }', {}, token);
  expectCode(start, 'SERVICE_UNAVAILABLE');
  expectNoInternals(start.text, hidden);
  const catalogue = await rawGql(graphqlUrl, '{ topics { id } }', {}, token);
  expect(catalogue.errors).toBeUndefined();
  expect((catalogue.data!.topics as unknown[]).length).toBeGreaterThan(0);

  const base = baseOf(graphqlUrl);
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(503);
  const readyBody = await ready.text();
  for (const h of hidden) expect(readyBody).not.toContain(h);
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
  await health.arrayBuffer();
}

// ---- the real process (node dist/src/main.js) -------------------------------


export const PROJECT_ROOT = join(__dirname, '..', '..');
export const MAIN_JS = join(PROJECT_ROOT, 'dist', 'src', 'main.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; safe to call more than once. */
  stop(graceMs?: number): Promise<number | string>;
}

/**
 * Spawns the built server with exactly this environment (plus PATH/HOME/JAVA_HOME), never
 * the test run's DYNAMODB_ENDPOINT, NODE_ENV or JWT settings unless given. The server reaches
 * a DYNAMODB_ENDPOINT through the standard AWS credential chain: the environment gives it the
 * fixed credentials of the test run's DynamoDB Local (never the developer's own).
 */
export function spawnServer(env: Record<string, string>, port: number): ServerProcess {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (npm test does) before these tests`);
  const base: Record<string, string> = {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: DYNAMODB_LOCAL.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DYNAMODB_LOCAL.secretAccessKey,
  };
  for (const key of ['PATH', 'HOME', 'JAVA_HOME', 'TMPDIR', 'LANG']) if (process.env[key]) base[key] = process.env[key]!;
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: PROJECT_ROOT,
    env: { ...base, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-50_000)));
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-50_000)));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  return { child, url: `http://127.0.0.1:${port}/graphql`, stdout: () => out, stderr: () => err, exited, stop };
}

/** Waits until GET /healthz answers 200, or fails with the process output when it exits or times out. */
export async function waitHealthy(proc: ServerProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const health = `${baseOf(proc.url)}/healthz`;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`the server exited (${proc.child.exitCode}) before it was healthy:\n${proc.stderr().slice(-3000)}`);
    try {
      const res = await fetch(health, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the server was not healthy within ${timeoutMs} ms:\n${proc.stderr().slice(-3000)}`);
}

/** Pids and command lines of running processes whose arguments contain `needle`. */
export function processesWith(needle: string): { pid: number; args: string }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2] }))
    .filter((p) => p.args.includes(needle) && p.pid !== process.pid);
}

/** The promise's value, or `fallback` after `ms` (the timer is cleared either way). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

import { ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { DYNAMODB_LOCAL } from '../src/store/client';
import type { ChildReply, ChildRequest } from './child';
import { SECRET } from './seed';

/** A bench server process (bench/child.ts), and how to talk to it over IPC. */
export interface Child {
  url: string;
  call(type: ChildRequest['type']): Promise<ChildReply>;
  stop(): Promise<void>;
}

export async function startServer(endpoint: string, table: string, topicsFile: string, cpuProf: string | null, logFile: string): Promise<Child> {
  const logFd = openSync(logFile, 'a');
  const execArgv = ['--expose-gc', ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [])];
  const proc: ChildProcess = fork(join(__dirname, 'child.js'), [], {
    execArgv,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DYNAMODB_ENDPOINT: endpoint,
      AWS_REGION: 'local',
      // The server reaches DYNAMODB_ENDPOINT through the standard AWS chain: the bench's DynamoDB Local's credentials.
      AWS_ACCESS_KEY_ID: DYNAMODB_LOCAL.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNAMODB_LOCAL.secretAccessKey,
      TABLE_NAME: table,
      JWT_SECRET: SECRET,
      TOPICS_FILE: topicsFile,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(process.env.BENCH_TOKEN_CACHE ? { BENCH_TOKEN_CACHE: process.env.BENCH_TOKEN_CACHE } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', logFd, logFd, 'ipc'],
  });
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
    proc.on('message', (m: ChildReply) => m.type === 'ready' && resolve(m));
  });
  let nextId = 0;
  const pending = new Map<number, (r: ChildReply) => void>();
  proc.on('message', (m: ChildReply) => {
    if ('id' in m) {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  const call = (type: ChildRequest['type']) =>
    new Promise<ChildReply>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      proc.send({ id, type } satisfies ChildRequest);
    });
  return {
    url: ready.url.replace('localhost', '127.0.0.1'),
    call,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      await Promise.race([call('stop'), new Promise((r) => setTimeout(r, 5000))]);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}


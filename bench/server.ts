import { ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { DYNAMODB_LOCAL } from '../src/store/client';
import type { ChildReply, ChildRequest } from './child';
import { SECRET } from './seed';

type Message = ChildRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A bench server process (bench/child.ts), and how to talk to it over IPC. */
export interface Child {
  url: string;
  pid: number;
  call(message: Message['type'] | Message): Promise<ChildReply>;
  stop(): Promise<void>;
}

/** Forks a bench server process (`script`: a built bench/child.js) on a free loopback port. */
export async function startServer(script: string, env: Record<string, string>, logFile: string): Promise<Child> {
  const logFd = openSync(logFile, 'a');
  const proc: ChildProcess = fork(script, [], {
    execArgv: ['--expose-gc'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      AWS_REGION: 'local',
      // The server reaches DYNAMODB_ENDPOINT through the standard AWS chain: the bench's DynamoDB Local's credentials.
      AWS_ACCESS_KEY_ID: DYNAMODB_LOCAL.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNAMODB_LOCAL.secretAccessKey,
      JWT_SECRET: SECRET,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // The bench is one user flooding the server on purpose: the only client that turns the limits off.
      RATE_LIMIT_ENABLED: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', logFd, logFd, 'ipc'],
  });
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the bench server ${script} exited (${code}) before it was ready`)));
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
  const call = (message: Message['type'] | Message) =>
    new Promise<ChildReply>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      proc.send({ id, ...(typeof message === 'string' ? { type: message } : message) } as ChildRequest);
    });
  return {
    url: ready.url.replace('localhost', '127.0.0.1'),
    pid: proc.pid!,
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


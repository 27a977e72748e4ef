import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

/**
 * DynamoDB Local cannot bind one address, so a small launcher (java/LoopbackDynamoDBLocal.java)
 * binds it to 127.0.0.1. The compiled class is committed: a JRE runs it, no compiler needed.
 */
export const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';

/** The line the launcher prints once its listener is up and checked to be on loopback. */
export const READY_LINE = /DynamoDB Local listening on 127\.0\.0\.1:(\d+)/;

/** The folder holding the launcher's class: java/ of the project, from src/embedded or dist/src/embedded. */
export function launcherDir(from: string = __dirname): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'java');
    if (existsSync(join(candidate, `${LAUNCHER_CLASS}.class`))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** The java command line: DynamoDB Local's own arguments, run by the launcher instead of its main. */
export function launcherArgs(opts: { jarDir: string; launcherDir: string; port: number; dataDir?: string }): string[] {
  const { jarDir, port } = opts;
  return [
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    // One IPv4 socket: `ss -ltn` then shows 127.0.0.1:PORT rather than [::ffff:127.0.0.1]:PORT.
    '-Djava.net.preferIPv4Stack=true',
    '-Xms64m',
    // The jar's manifest Class-Path brings DynamoDBLocal_lib/*.jar along.
    '-cp',
    [opts.launcherDir, join(jarDir, 'DynamoDBLocal.jar')].join(delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    '-sharedDb',
    // No usage telemetry from a developer's machine to AWS (the launcher never sets it up either).
    '-disableTelemetry',
    ...(opts.dataDir ? ['-dbPath', resolve(opts.dataDir)] : ['-inMemory']),
  ];
}

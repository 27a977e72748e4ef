import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * DATA_DIR holds the development token secret and the embedded store's data: readable by its
 * owner only. Created 0700; one that exists already is tightened to 0700, and its files to
 * 0600, when this user owns them (a directory of someone else's is left alone). POSIX only:
 * on Windows modes do not apply.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isFile()) tighten(join(dir, entry.name), 0o600);
}

function tighten(path: string, mode: number): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const st = statSync(path);
  if (st.uid === uid && (st.mode & 0o777) !== mode) chmodSync(path, mode);
}

/**
 * Runs `start` (which spawns a child process) with the umask 077, so that whatever the
 * child creates is its owner's only. A child inherits the umask at spawn, which is synchronous.
 */
export function withPrivateUmask<T>(start: () => T): T {
  const previous = process.umask(0o077);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}

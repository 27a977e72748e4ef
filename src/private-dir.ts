import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** DATA_DIR holds the dev token secret and the embedded store: 0700, files 0600 when ours (POSIX only). */
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

/** A child inherits the umask at spawn (synchronous), so whatever it creates is its owner's only. */
export function withPrivateUmask<T>(start: () => T): T {
  const previous = process.umask(0o077);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}

/** The parsers of config.ts; a bad value throws a ConfigError naming the variable. */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

export function int(v: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (nonEmpty(v) === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

export function decimal(v: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (nonEmpty(v) === undefined) return fallback;
  const n = Number(v);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(v!) || n < min || n > max) throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${v}"`);
  return n;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

export function url(v: string, name: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return v;
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (or "aws" for DYNAMODB_ENDPOINT), got "${v}"`);
  }
}

export function tableName(v: string): string {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(v)) throw new ConfigError(`TABLE_NAME must be 3-255 characters of a-z, A-Z, 0-9, "_", "-", "."`);
  return v;
}

/** The log levels LOG_LEVEL takes. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info';

/** The origins of an allow-list entry, or null when it is not one (a path, a trailing slash, `*`, ...). */
export function parseOriginRule(entry: string): { origin: string; anyPort: boolean } | null {
  const anyPort = entry.endsWith(':*');
  const base = anyPort ? entry.slice(0, -2) : entry;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== base || (anyPort && url.port !== '')) return null;
  return { origin: base, anyPort };
}

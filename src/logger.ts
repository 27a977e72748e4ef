/**
 * A small structured logger: one JSON line per event on stderr. Tests pass a silent
 * one. Never log tokens or message contents.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'silent' | 'error' | 'warn' | 'info';
const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3 };

export function jsonLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[lvl] <= RANK[level]) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = jsonLogger('silent');

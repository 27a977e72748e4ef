import { hostname } from 'node:os';
import pino from 'pino';

/**
 * pino, JSON lines on stderr (stdout carries the banner); the fields in REDACTED are censored
 * wherever they appear, as a safety net: never log tokens or message contents.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

import type { LogLevel } from './config-values';


/** Field names that are never written as they are, at the top level or one level down. */
export const REDACTED = ['authorization', 'token', 'password', 'secret', 'cookie'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable colored lines (pino-pretty) instead of JSON; JSON, with one warning, without pino-pretty. */
  pretty?: boolean;
  /** Where lines go (default: stderr, a turn's lines in one synchronous write; see stderr()). Each write is one line with its newline. */
  destination?: { write(line: string): void };
  /** Fields on every line (e.g. { service: 'coaching-sessions' }). */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const options: pino.LoggerOptions = {
    level,
    base: opts.base ?? { pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    // A formatter, not pino's `redact` option: that clones and path-matches, several µs a line.
    formatters: { level: (label) => ({ level: label }), log: censored },
  };
  const destination = opts.destination ? (opts.destination as pino.DestinationStream) : stderr();
  const pretty = opts.pretty ? prettyStream(destination, !opts.destination && (process.stderr.isTTY ?? false)) : undefined;
  const log = wrap(pino(options, pretty ?? destination));
  if (opts.pretty && !pretty) log.warn('pretty logs need the optional package pino-pretty, which is not installed: writing JSON lines');
  return log;
}

const SECRET_FIELDS = new Set(REDACTED);
const CENSOR = '[redacted]';

/** `fields` with every REDACTED field, at the top level or one level down, censored; the caller's objects are never changed. */
export function censored(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    const value = fields[key];
    if (SECRET_FIELDS.has(key)) {
      if (out === fields) out = { ...fields };
      out[key] = CENSOR;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && hasSecretField(value as Record<string, unknown>)) {
      if (out === fields) out = { ...fields };
      const inner: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const k in inner) if (SECRET_FIELDS.has(k)) inner[k] = CENSOR;
      out[key] = inner;
    }
  }
  return out;
}

function hasSecretField(value: Record<string, unknown>): boolean {
  for (const k in value) if (SECRET_FIELDS.has(k)) return true;
  return false;
}

let stderrStream: pino.DestinationStream | undefined;

/**
 * Lines of one event-loop turn go out in one write (a write per line costs CPU on a busy server);
 * what waits is flushed at exit, so no line is lost short of a SIGKILL.
 */
function stderr(): pino.DestinationStream {
  if (stderrStream) return stderrStream;
  const out = pino.destination({ dest: 2, sync: true });
  let pending: string[] = [];
  let scheduled = false;
  let exiting = false;
  const flush = () => {
    scheduled = false;
    if (!pending.length) return;
    const text = pending.length === 1 ? pending[0] : pending.join('');
    pending = [];
    out.write(text);
  };
  process.on('exit', () => {
    exiting = true;
    flush();
  });
  stderrStream = {
    write(line: string) {
      // Past the flush on exit no turn ends any more: a line logged then (another exit listener's) goes out at once.
      if (exiting) return void out.write(line);
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
  return stderrStream;
}

/** Optional pino-pretty, synchronous (no worker thread: lines are not lost at exit). */
function prettyStream(destination: pino.DestinationStream, colorize: boolean): pino.DestinationStream | undefined {
  let pinoPretty: typeof import('pino-pretty');
  try {
    // An optional dependency (development only): loaded when asked for, absent in production images.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pinoPretty = require('pino-pretty');
  } catch {
    return undefined;
  }
  const prettify = pinoPretty.prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return { write: (line: string) => destination.write(prettify(line)) };
}

/** The Logger interface over a pino instance: (msg, fields) in, pino's (fields, msg) out. */
function wrap(p: pino.Logger): Logger {
  return {
    info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
    warn: (msg, fields) => (fields ? p.warn(fields, msg) : p.warn(msg)),
    error: (msg, fields) => (fields ? p.error(fields, msg) : p.error(msg)),
  };
}

/** JSON lines at `level`, to stderr or to `write` (one line, no newline). */
export function jsonLogger(level: LogLevel, write?: (line: string) => void): Logger {
  return createLogger({ level, destination: write ? { write: (s) => write(s.replace(/\n$/, '')) } : undefined });
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };


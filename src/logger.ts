import { hostname } from 'node:os';
import pino from 'pino';

/**
 * Structured logging with pino: one JSON line per event on stderr (stdout carries the
 * start banner), pretty-printed in development when the optional pino-pretty package is
 * installed (the production image leaves it out). Tests pass `silentLogger` or capture the
 * lines with their own `destination`. Never log tokens or message contents: the fields
 * named in REDACTED are censored wherever they appear, as a safety net.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'silent' | 'error' | 'warn' | 'info';

/** Field names that are never written as they are, at the top level or one level down. */
export const REDACTED = ['authorization', 'token', 'password', 'secret', 'cookie'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable colored lines (pino-pretty) instead of JSON; JSON, with one warning, without pino-pretty. */
  pretty?: boolean;
  /** Where lines go (default: stderr, synchronously). Each write is one line with its newline. */
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
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED, ...REDACTED.map((f) => `*.${f}`)], censor: '[redacted]' },
  };
  const destination = opts.destination ? (opts.destination as pino.DestinationStream) : pino.destination({ dest: 2, sync: true });
  const pretty = opts.pretty ? prettyStream(destination, !opts.destination && (process.stderr.isTTY ?? false)) : undefined;
  const log = wrap(pino(options, pretty ?? destination));
  if (opts.pretty && !pretty) log.warn('pretty logs need the optional package pino-pretty, which is not installed: writing JSON lines');
  return log;
}

/**
 * pino-pretty, loaded only when pretty lines are asked for: it is an optional dependency.
 * Undefined when it is not installed. Each JSON line is prettified synchronously on its way
 * to `destination` (no transport, no worker thread: lines are not lost at exit).
 */
function prettyStream(destination: pino.DestinationStream, colorize: boolean): pino.DestinationStream | undefined {
  let pinoPretty: typeof import('pino-pretty');
  try {
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

/** Kept for callers of the earlier logger: JSON lines at `level`, to stderr or to `write` (one line, no newline). */
export function jsonLogger(level: LogLevel, write?: (line: string) => void): Logger {
  return createLogger({ level, destination: write ? { write: (s) => write(s.replace(/\n$/, '')) } : undefined });
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };


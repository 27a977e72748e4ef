import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { censored, createLogger, jsonLogger, silentLogger } from '../../src/logger';
import { loadConfig } from '../../src/config';

const capture = (level: 'info' | 'warn' | 'error' | 'silent' = 'info') => {
  const lines: string[] = [];
  const log = createLogger({ level, destination: { write: (s) => lines.push(s) } });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

test('one JSON line per event: ISO time, level label, message, fields', () => {
  const { log, lines, parsed } = capture();
  log.info('hello', { tenant: 't1', n: 2 });
  log.warn('careful');
  expect(lines.every((l) => l.endsWith('\n') && l.split('\n').length === 2)).toBe(true);
  const [a, b] = parsed();
  expect(a).toMatchObject({ level: 'info', msg: 'hello', tenant: 't1', n: 2 });
  expect(new Date(a.time as string).toISOString()).toBe(a.time);
  expect(b).toMatchObject({ level: 'warn', msg: 'careful' });
});

test('levels filter; silent writes nothing; silentLogger is a no-op', () => {
  const warn = capture('warn');
  warn.log.info('dropped');
  warn.log.error('kept');
  expect(warn.parsed().map((l) => l.msg)).toEqual(['kept']);
  const silent = capture('silent');
  silent.log.error('nothing');
  expect(silent.lines).toEqual([]);
  expect(() => silentLogger.error('x', { a: 1 })).not.toThrow();
});

test('tokens and secrets are redacted wherever a caller puts them', () => {
  const { log, lines } = capture();
  log.info('oops', { authorization: 'Bearer abc.def.ghi', token: 'abc.def.ghi', headers: { authorization: 'Bearer x.y.z' }, secret: 's3cr3t' });
  const text = lines.join('');
  expect(text).not.toMatch(/abc\.def\.ghi|x\.y\.z|s3cr3t/);
  expect(text).toContain('[redacted]');
});

test('the censor reaches one level down, leaves deeper levels and arrays, and never changes the caller\'s objects', () => {
  const fields = { token: 't', headers: { cookie: 'c', accept: 'json' }, deep: { a: { secret: 'kept' } }, list: [{ password: 'p' }], n: 1 };
  const before = JSON.stringify(fields);
  expect(censored(fields)).toEqual({ token: '[redacted]', headers: { cookie: '[redacted]', accept: 'json' }, deep: { a: { secret: 'kept' } }, list: [{ password: 'p' }], n: 1 });
  expect(JSON.stringify(fields)).toBe(before);
  const clean = { operation: 'SessionCheck', dynamo: { requests: 1 } };
  expect(censored(clean)).toBe(clean);
});

test('stderr: the lines of one turn go out together and in order, nothing is lost at process.exit, and a line logged by a later exit listener still goes out', () => {
  // The built logger (npm test builds first), in a process of its own: stderr and exit are process-wide.
  const logger = join(__dirname, '..', '..', 'dist', 'src', 'logger.js');
  const script = `
    const { createLogger } = require(${JSON.stringify(logger)});
    const log = createLogger({ level: 'info' });
    log.info('first'); log.info('second');
    setImmediate(() => {
      log.info('next turn');
      process.on('exit', () => log.info('from a later exit listener'));
      log.info('right before exit');
      process.exit(0);
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  const messages = run.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(messages).toEqual(['first', 'second', 'next turn', 'right before exit', 'from a later exit listener']);
});

test('jsonLogger keeps its old shape: one line per write, without the newline', () => {
  const lines: string[] = [];
  jsonLogger('info', (l) => lines.push(l)).error('bad', { code: 'X' });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'bad', code: 'X' });
});

test('observability settings: pretty only on a TTY outside production unless LOG_PRETTY says; bad values are refused', () => {
  const observability = (env: Record<string, string>, tty: boolean) => loadConfig(env, tty).observability;
  const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-bytes', DYNAMODB_ENDPOINT: 'aws' };
  expect(observability({}, true).logPretty).toBe(true);
  expect(observability({}, false).logPretty).toBe(false);
  expect(observability(production, true).logPretty).toBe(false);
  expect(observability({ LOG_PRETTY: 'true' }, false).logPretty).toBe(true);
  expect(observability({}, false)).toMatchObject({ logMessageContent: false, metricsEnabled: true, demoEnabled: true });
  expect(() => observability({ METRICS_ENABLED: 'maybe' }, false)).toThrow(/METRICS_ENABLED must be true or false/);
});

/** Runs `fn` with the logger module loaded afresh while pino-pretty is missing, as in the production image. */
function withoutPinoPretty(fn: (logger: typeof import('../../src/logger')) => void) {
  jest.doMock('pino-pretty', () => {
    throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
  });
  try {
    jest.isolateModules(() => fn(require('../../src/logger')));
  } finally {
    jest.dontMock('pino-pretty');
  }
}

test('pretty lines when asked for and pino-pretty is installed', () => {
  const lines: string[] = [];
  createLogger({ pretty: true, destination: { write: (s) => lines.push(s) } }).info('hello', { tenant: 't1' });
  const text = lines.join('');
  expect(text).toMatch(/INFO.*hello/);
  expect(text).toContain('tenant');
  expect(() => JSON.parse(text)).toThrow(); // not a JSON line
});

test('without pino-pretty (an optional dependency) the module loads, and pretty falls back to JSON lines with one warning', () => {
  const lines: string[] = [];
  const json: string[] = [];
  withoutPinoPretty(({ createLogger: create }) => {
    expect(() => require('pino-pretty')).toThrow(/Cannot find module/);
    const log = create({ pretty: true, destination: { write: (s) => lines.push(s) } });
    log.info('hello', { tenant: 't1' });
    log.info('again');
    // JSON logging never touches pino-pretty: no warning there.
    create({ destination: { write: (s) => json.push(s) } }).info('plain');
  });
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.map((l) => [l.level, l.msg])).toEqual([
    ['warn', 'pretty logs need the optional package pino-pretty, which is not installed: writing JSON lines'],
    ['info', 'hello'],
    ['info', 'again'],
  ]);
  expect(parsed[1]).toMatchObject({ tenant: 't1' });
  expect(json.map((l) => JSON.parse(l).msg)).toEqual(['plain']);
});

import { createLogger, jsonLogger, silentLogger } from '../../src/logger';
import { loadObservabilityConfig } from '../../src/observability/config';

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

test('jsonLogger keeps its old shape: one line per write, without the newline', () => {
  const lines: string[] = [];
  jsonLogger('info', (l) => lines.push(l)).error('bad', { code: 'X' });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'bad', code: 'X' });
});

test('observability settings: pretty only on a TTY outside production unless LOG_PRETTY says; bad values are refused', () => {
  expect(loadObservabilityConfig({}, true).logPretty).toBe(true);
  expect(loadObservabilityConfig({}, false).logPretty).toBe(false);
  expect(loadObservabilityConfig({ NODE_ENV: 'production' }, true).logPretty).toBe(false);
  expect(loadObservabilityConfig({ LOG_PRETTY: 'true' }, false).logPretty).toBe(true);
  expect(loadObservabilityConfig({}, false)).toMatchObject({ logMessageContent: false, metricsEnabled: true, demoEnabled: true });
  expect(() => loadObservabilityConfig({ METRICS_ENABLED: 'maybe' }, false)).toThrow(/METRICS_ENABLED must be true or false/);
});

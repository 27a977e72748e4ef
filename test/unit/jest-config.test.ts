/**
 * `npm test` on a fresh machine: without Chromium the browser suite is left out, with one
 * loud line saying how to turn it on; in CI (CI=true) it is always in, so a missing
 * Chromium fails the run there instead of passing quietly.
 */
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
type Project = { displayName: string; testMatch: string[]; globalSetup?: string };
type JestConfig = { projects: Project[]; reporters: (string | [string, Record<string, unknown>])[] };

/** jest.config.js as it reads under this environment. */
function configUnder(env: Record<string, string | undefined>): JestConfig {
  const saved = { CI: process.env.CI, CHROMIUM_PATH: process.env.CHROMIUM_PATH };
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    let config: JestConfig | undefined;
    jest.isolateModules(() => (config = require(join(ROOT, 'jest.config.js'))));
    return config!;
  } finally {
    set(saved);
  }
}

const names = (c: JestConfig) => c.projects.map((p) => p.displayName);
const skipNotice = (c: JestConfig) => c.reporters.filter((r) => Array.isArray(r) && r[0].endsWith('test/browser/skipped-reporter.js'));
const MISSING = '/nonexistent/chromium';

test('outside CI without Chromium: no browser project, and the reporter that says so', () => {
  const config = configUnder({ CI: undefined, CHROMIUM_PATH: MISSING });
  expect(names(config)).toEqual(['unit', 'dynamodb']);
  expect(skipNotice(config)).toEqual([['<rootDir>/test/browser/skipped-reporter.js', { chromium: MISSING }]]);
  // The summary line stays the last one.
  expect(config.reporters[config.reporters.length - 1]).toBe('<rootDir>/test/support/summary-reporter.js');
});

test('in CI without Chromium: the browser project is in (and fails without Chromium)', () => {
  for (const CI of ['true', '1']) {
    const config = configUnder({ CI, CHROMIUM_PATH: MISSING });
    expect(names(config)).toEqual(['unit', 'dynamodb', 'browser']);
    expect(skipNotice(config)).toEqual([]);
  }
});

test('with a Chromium: the browser project is in, on the same DynamoDB Local setup', () => {
  const config = configUnder({ CI: undefined, CHROMIUM_PATH: process.execPath }); // any executable file
  expect(names(config)).toEqual(['unit', 'dynamodb', 'browser']);
  const [dynamodb, browser] = config.projects.slice(1);
  expect(browser.globalSetup).toBe(dynamodb.globalSetup);
  expect(browser.testMatch).toEqual(['<rootDir>/test/browser/**/*.test.ts']);
  expect(dynamodb.testMatch.join()).not.toMatch(/browser/);
  expect(skipNotice(config)).toEqual([]);
});

test('the loud line says what is missing and how to enable the suite', () => {
  const Reporter = require(join(ROOT, 'test', 'browser', 'skipped-reporter.js'));
  const out: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    new Reporter({}, { chromium: MISSING }).onRunComplete();
  } finally {
    write.mockRestore();
  }
  const lines = out.join('').split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/BROWSER TESTS SKIPPED: no Chromium at \/nonexistent\/chromium/);
  expect(lines[0]).toMatch(/apt-get install -y chromium/);
  expect(lines[0]).toMatch(/CHROMIUM_PATH/);
  expect(lines[0]).toMatch(/CI=true/);
});

const { existsSync } = require('node:fs');

/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  setupFiles: ['<rootDir>/test/support/env.ts'],
};

/** @type {import('jest').Config} */
const dynamodb = {
  ...base,
  displayName: 'dynamodb',
  testMatch: ['<rootDir>/test/{store,e2e,reliability,perf,infra}/**/*.test.ts'],
  // One DynamoDB Local for the run (started only when these tests run); each file makes its own table.
  // The browser project names the same modules: jest runs each one once per run.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** The reference client in headless Chromium, with the same DynamoDB Local. */
const browser = { ...dynamodb, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] };

// The Chromium that test/browser/chromium.ts launches. Without it, a fresh clone still passes
// `npm test` (the browser suite is left out, with one loud line at the end); in CI (CI=true,
// set by .ci/run) the suite is always in, so a missing Chromium fails the run.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ci = /^(true|1)$/i.test(process.env.CI ?? '');
const withBrowser = ci || existsSync(chromium);

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  reporters: [
    'default',
    ...(withBrowser ? [] : [['<rootDir>/test/browser/skipped-reporter.js', { chromium }]]),
    '<rootDir>/test/support/summary-reporter.js',
  ],
  maxWorkers: 2,
  projects: [
    // No I/O: runs without Java or DynamoDB Local.
    // No DynamoDB: pure tests, and the coach adapters against local stub HTTP servers.
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/{unit,coach}/**/*.test.ts'] },
    dynamodb,
    ...(withBrowser ? [browser] : []),
  ],
};

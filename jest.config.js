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
module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  projects: [
    // No I/O: runs without Java or DynamoDB Local.
    // No DynamoDB: pure tests, and the coach adapters against local stub HTTP servers.
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/{unit,coach}/**/*.test.ts'] },
    {
      ...base,
      displayName: 'dynamodb',
      testMatch: ['<rootDir>/test/{store,e2e,reliability,perf,infra,browser}/**/*.test.ts'],
      // One DynamoDB Local for the run (started only when these tests run); each file makes its own table.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};

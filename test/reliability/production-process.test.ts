import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/embedded/dynamo-local';
import { expectCode, expectNoInternals, processesWith, rawGql, ServerProcess, spawnServer, waitHealthy, within } from '../support/e2e-helpers';
import { createTestTable, TestTable } from '../support/dynamo';
import { TEST_SECRET, tokenFor } from '../support/server';

// The real process in production mode (the in-process checks are in test/e2e/production.test.ts).

let dir: string;
let table: TestTable;
const procs: ServerProcess[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rel-prod-'));
  table = await createTestTable();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5000)));
  await table?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

test.each([
  ['no token configuration at all', {}],
  ['empty JWT_SECRET and JWT_JWKS_URL', { JWT_SECRET: '', JWT_JWKS_URL: ' ' }],
  ['a JWT_SECRET that is too short', { JWT_SECRET: 'short' }],
])('NODE_ENV=production with %s: the process refuses to start, says why, starts no store', async (_name, env) => {
  const proc = spawnServer({ NODE_ENV: 'production', DATA_DIR: dir, ...env }, await freePort());
  procs.push(proc);
  const code = await within(proc.exited, 30_000, 'still running');
  expect(code).toBe(1);
  expect(proc.stderr()).toMatch(/Cannot start: .*JWT_SECRET/);
  expect(proc.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack
  expect(proc.stdout()).not.toMatch(/Bearer/); // no development token printed
  expect(processesWith(`-dbPath ${dir}`)).toEqual([]);
}, 40_000);

test('NODE_ENV=production with JWT_SECRET: serves; introspection, landing page and details off', async () => {
  const proc = spawnServer(
    { NODE_ENV: 'production', JWT_SECRET: TEST_SECRET, DATA_DIR: dir, DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: table.tableName, LOG_LEVEL: 'silent' },
    await freePort(),
  );
  procs.push(proc);
  await waitHealthy(proc);
  expect(proc.stdout()).not.toMatch(/Bearer|Sandbox/);
  const token = await tokenFor('prod-proc', 'alice');
  const intro = await rawGql(proc.url, '{ __schema { types { name } } }', {}, token);
  expect(intro.errors?.length).toBeGreaterThan(0);
  expect(intro.text).not.toContain('CoachingSession');
  const page = await fetch(proc.url, { headers: { accept: 'text/html' } });
  expect(await page.text()).not.toMatch(/<html/i);
  const typo = await rawGql(proc.url, '{ sessionChek(topicId: "purpose") { hasSession } }', {}, token);
  expectCode(typo, 'GRAPHQL_VALIDATION_FAILED');
  expect(typo.text).not.toMatch(/Did you mean/);
  const bad = await rawGql(proc.url, '{ __typename }', {}, undefined, { authorization: 'Bearer x.y.z' });
  expectCode(bad, 'UNAUTHENTICATED');
  expectNoInternals(bad.text);
  const ok = await rawGql(proc.url, 'mutation { startSession(topicId: "purpose") { status } }', {}, token);
  expect(ok.errors).toBeUndefined();
  expect(await proc.stop()).toBe(0);
}, 60_000);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/embedded/dynamo-local';
import { SendMessageDocument, SessionCheckDocument, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { eventually, expectStoreUnavailable, processesWith, ServerProcess, spawnServer, waitHealthy, within } from '../support/e2e-helpers';
import { gql, ok, TEST_SECRET, tokenFor } from '../support/server';

// The real process, as `npm start` runs it (after `npm run build`): node dist/src/main.js.

const spawned: ServerProcess[] = [];
const dirs: string[] = [];
let dataDir: string;

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const proc = spawnServer(env, await freePort());
  spawned.push(proc);
  return proc;
}

beforeAll(() => {
  dataDir = tempDir('e2e-restart-');
});

afterAll(async () => {
  // Always: stop every process this file started, then any DynamoDB Local they left (by pid).
  await Promise.all(spawned.map((p) => p.stop(5000)));
  for (const dir of dirs) {
    for (const orphan of processesWith(`-dbPath ${dir}`)) {
      try {
        process.kill(orphan.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 30_000);

test('sessions survive a graceful restart of the process with its embedded DynamoDB Local', async () => {
  const env = { DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
  const token = await tokenFor('restart', 'alice');

  const first = await start(env);
  await waitHealthy(first);
  expect(processesWith(`-dbPath ${dataDir}`).length).toBeGreaterThan(0); // it really runs its own store
  const ready = await fetch(first.url.replace(/\/graphql$/, '/readyz'));
  expect(ready.status).toBe(200);
  await ready.arrayBuffer();

  const started = ok(await gql(first.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  const sent = ok(await gql(first.url, SendMessageDocument, { sessionId: started.id, content: 'Remember this across restarts', clientMessageId: 'keep-1' }, token)).sendMessage;

  first.child.kill('SIGTERM');
  const code = await within(first.exited, 20_000, 'timeout');
  expect({ code, stderr: code === 0 ? '' : first.stderr().slice(-2000) }).toEqual({ code: 0, stderr: '' });
  expect(processesWith(`-dbPath ${dataDir}`)).toEqual([]);

  const second = await start(env);
  await waitHealthy(second);
  const check = ok(await gql(second.url, SessionCheckDocument, { topicId: 'purpose' }, token)).sessionCheck;
  expect(check).toMatchObject({ hasSession: true, sessionId: started.id, status: 'ACTIVE', conflict: false });
  const read = ok(await gql(second.url, SessionDocument, { id: started.id, first: 10 }, token)).session!;
  expect(read.messageCount).toBe(3);
  expect(read.messages.edges.map((e) => e.node)).toEqual([started.messages.edges[0].node, sent.message, sent.reply]);
  // The retry of the pre-restart message is still recognised.
  const replay = ok(await gql(second.url, SendMessageDocument, { sessionId: started.id, content: 'Remember this across restarts', clientMessageId: 'keep-1' }, token)).sendMessage;
  expect(replay.reply.id).toBe(sent.reply.id);

  expect(await second.stop()).toBe(0);
  expect(processesWith(`-dbPath ${dataDir}`)).toEqual([]);
}, 120_000);

test('a server killed with SIGKILL does not leave its DynamoDB Local behind, and its data is intact', async () => {
  const dir = tempDir('e2e-sigkill-');
  const env = { DATA_DIR: dir, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
  const token = await tokenFor('sigkill', 'bob');
  const first = await start(env);
  await waitHealthy(first);
  const started = ok(await gql(first.url, StartSessionDocument, { topicId: 'vision' }, token)).startSession;
  expect(processesWith(`-dbPath ${dir}`).length).toBeGreaterThan(0);

  first.child.kill('SIGKILL'); // no handler runs: the watchdog must stop Java
  await within(first.exited, 10_000, 'timeout');
  const gone = await eventually(async () => processesWith(`-dbPath ${dir}`).length === 0, 10_000);
  expect(gone).toBe(true);

  const second = await start(env);
  await waitHealthy(second);
  const check = ok(await gql(second.url, SessionCheckDocument, { topicId: 'vision' }, token)).sessionCheck;
  expect(check).toMatchObject({ hasSession: true, sessionId: started.id });
  expect(await second.stop()).toBe(0);
}, 120_000);

describe('a malformed TOPICS_FILE stops the process at start with a message naming the problem', () => {
  const cases: [string, string | null, RegExp][] = [
    ['not JSON', '[{"id": "quick",', /JSON/],
    ['not an array', '{"id": "quick", "name": "Quick"}', /array/],
    ['a negative TTL', JSON.stringify([{ id: 'quick', name: 'Quick', settings: { activeTtlSeconds: -1 } }]), /activeTtlSeconds/],
    ['an unknown setting', JSON.stringify([{ id: 'quick', name: 'Quick', settings: { ttl: 5 } }]), /unknown setting "ttl"/],
    ['a missing name', JSON.stringify([{ id: 'quick' }]), /"name" is required/],
    ['a duplicate id', JSON.stringify([{ id: 'quick', name: 'A' }, { id: 'quick', name: 'B' }]), /duplicate id "quick"/],
    ['a file that does not exist', null, /cannot be read/],
  ];

  test.each(cases)('%s', async (_name, content, problem) => {
    const dir = tempDir('e2e-topics-');
    const file = join(dir, 'topics.json');
    if (content !== null) writeFileSync(file, content);
    // A store endpoint with nothing behind it: the topics are checked without starting Java.
    const proc = await start({
      DATA_DIR: dir,
      JWT_SECRET: TEST_SECRET,
      TOPICS_FILE: file,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    });
    const code = await within(proc.exited, 30_000, 'still running');
    expect(code).not.toBe('still running');
    expect(code).not.toBe(0);
    const stderr = proc.stderr();
    expect(stderr).toContain('TOPICS_FILE');
    expect(stderr).toContain(file);
    expect(stderr).toMatch(problem);
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 40_000);
});

test('the real process with its store on a closed port: SERVICE_UNAVAILABLE, /readyz 503, /healthz 200', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const proc = await start({ DATA_DIR: tempDir('e2e-down-'), JWT_SECRET: TEST_SECRET, DYNAMODB_ENDPOINT: endpoint, LOG_LEVEL: 'silent' });
  await waitHealthy(proc);
  await expectStoreUnavailable(proc.url, await tokenFor('down', 'alice'), endpoint);
  expect(await proc.stop()).toBe(0);
}, 60_000);

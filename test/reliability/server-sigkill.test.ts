import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/embedded/dynamo-local';
import { StartSessionDocument } from '../generated/graphql/graphql';
import { createTestTable, TestTable } from '../support/dynamo';
import { eventually, ServerProcess, spawnServer, waitHealthy, within } from '../support/e2e-helpers';
import { Acked, missingAcked, readConversation, SendOutcome, trySend } from '../support/reliability-helpers';
import { gql, ok, TEST_SECRET, tokenFor } from '../support/server';
import { isMessage, Item, scanAll } from '../support/store-helpers';

// The server process is SIGKILLed during a burst of writes and restarted: every acknowledged
// message is there, and nothing half-written is visible (a session without its hold, a hold
// without its session, a count that disagrees with what is stored).

const WORKERS = 8;
let table: TestTable;
let dataDir: string;
const procs: ServerProcess[] = [];

beforeAll(async () => {
  table = await createTestTable();
  dataDir = mkdtempSync(join(tmpdir(), 'rel-sigkill-'));
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5000)));
  await table?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function start(): Promise<ServerProcess> {
  const proc = spawnServer(
    { DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: table.tableName, JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    await freePort(),
  );
  procs.push(proc);
  await waitHealthy(proc);
  return proc;
}

test('SIGKILL mid-burst, restart: every acknowledged message stored, holds and sessions in step, counts exact', async () => {
  const first = await start();
  const topics = ['core_values', 'purpose', 'vision', 'strengths', 'goals'];
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const token = await tokenFor(`sigkill-${w % 4}`, `user-${w}`);
      const { id } = ok(await gql(first.url, StartSessionDocument, { topicId: topics[Math.floor(w / 4) % topics.length] }, token)).startSession;
      return { token, id };
    }),
  );

  // A burst of writes from every worker; the process is killed after 40 acknowledgements.
  const acked: Acked[] = [];
  const outcomes: SendOutcome[] = [];
  const burst = Promise.all(
    workers.map(async ({ token, id }, w) => {
      for (let i = 0; i < 30; i++) {
        const r = await trySend(first.url, token, id, `burst ${w}.${i}`, `b-${w}-${i}`);
        outcomes.push(r);
        if (r.ok) acked.push(r.acked);
        else break; // the server is gone
      }
    }),
  );
  expect(await eventually(async () => acked.length >= 40, 60_000, 5)).toBe(true);
  first.child.kill('SIGKILL');
  expect(await within(first.exited, 10_000, 'still running')).toBe('SIGKILL');
  await burst;
  const lost = outcomes.filter((o) => !o.ok).length;
  expect(lost).toBeGreaterThan(0); // the kill really hit requests in flight

  // Nothing half-written: every live hold has its live session, and the reverse; counts exact.
  const items = await scanAll(table);
  const nowSec = Math.floor(Date.now() / 1000);
  const sessions = items.filter((i) => i.sk === 'SESSION');
  const holds = items.filter((i) => i.sk === 'HOLD' && (i.ttl as number) > nowSec);
  const live = sessions.filter((s) => (s.status === 'ACTIVE' || s.status === 'PAUSED') && (s.ttl as number) > nowSec);
  const problems: string[] = [];
  for (const h of holds) {
    const s = live.find((x) => x.sessionId === h.sessionId);
    if (!s) problems.push(`hold ${h.pk} without its live session ${h.sessionId}`);
    else if (['userId', 'status', 'lastActivityAt', 'ttl', 'turnCount'].some((k) => s[k] !== h[k])) problems.push(`hold ${h.pk} out of step with ${h.sessionId}`);
  }
  for (const s of live) if (!holds.some((h) => h.sessionId === s.sessionId)) problems.push(`live session ${s.sessionId} without its hold`);
  const byPk = new Map<string, Item[]>();
  for (const m of items.filter(isMessage)) byPk.set(String(m.pk), [...(byPk.get(String(m.pk)) ?? []), m]);
  for (const s of sessions) {
    const msgs = byPk.get(String(s.pk)) ?? [];
    if (msgs.length !== s.messageCount) problems.push(`${s.sessionId}: messageCount ${s.messageCount}, ${msgs.length} stored`);
    // Seqs 1..lastSeq, where the only gaps are seqs kept for a reply that has not come (the kill cut its turn).
    const bySeq = new Map(msgs.map((m) => [m.seq as number, m]));
    const lastSeq = (s.lastSeq as number | undefined) ?? (s.messageCount as number);
    if (Math.max(...bySeq.keys()) > lastSeq) problems.push(`${s.sessionId}: a message past lastSeq`);
    for (let q = 2; q <= lastSeq; q++) {
      const m = bySeq.get(q);
      if (!m && bySeq.get(q - 1)?.role !== 'USER') problems.push(`${s.sessionId}: seq ${q} missing, not a kept reply seq`);
      if (m?.role === 'ASSISTANT' && (m.replyTo !== q - 1 || bySeq.get(q - 1)?.role !== 'USER')) problems.push(`${s.sessionId}: reply ${q} not after its message`);
    }
  }
  expect(problems).toEqual([]);
  expect(sessions).toHaveLength(WORKERS);

  // Restart: the new process serves every session; every acknowledged message and reply is there.
  const second = await start();
  const stored = new Map<string, { id: string; content: string }[]>();
  for (const { token, id } of workers) {
    const conv = await readConversation(second.url, token, id);
    expect(conv.messageCount).toBe(conv.messages.length);
    stored.set(id, conv.messages);
  }
  expect(missingAcked(acked, stored)).toEqual([]);
  // And the conversations go on.
  for (const [w, { token, id }] of workers.entries()) {
    const r = await trySend(second.url, token, id, `after restart ${w}`, `after-${w}`);
    expect(r.ok).toBe(true);
  }
  console.log(`sigkill figures: ${JSON.stringify({ acknowledged: acked.length, inFlightLost: lost, sessions: sessions.length, problems: problems.length })}`);
  expect(await second.stop()).toBe(0);
}, 150_000);

import { SendMessageDocument, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { TestTable } from '../support/dynamo';
import { ServerProcess, sleep } from '../support/e2e-helpers';
import { serverProcesses, ServerProcesses } from '../support/reliability-helpers';
import { gql, GqlResult, ok, startTestServer, tokenFor } from '../support/server';
import { bySk, isMessage, partition } from '../support/store-helpers';

// Issue #10, contention: one user (two tabs) sends dozens of messages at once to one
// session, spread over two real server processes on one table. Each process serialises its
// own sends per session; the two race each other's versioned writes. Whatever happens,
// nothing is an internal error, every acknowledged message is stored exactly once, a
// refused one is stored only when its error says so (and its retry then completes the
// turn without storing it again), and the transcript threads: every reply follows and
// names a stored user message.

const SENDS = 40;
let servers: ServerProcesses;
let table: TestTable;
let procs: ServerProcess[];
const figures: Record<string, number> = {};

beforeAll(async () => {
  servers = await serverProcesses(2, 'rel-contention-');
  ({ table, procs } = servers);
}, 120_000);

afterAll(async () => {
  await servers?.stop();
  console.log(`contention figures: ${JSON.stringify(figures)}`);
}, 30_000);

type Sent = GqlResult<{ sendMessage: { message: { id: string; content: string }; reply: { id: string; inReplyTo?: string | null } } }>;

test(`${SENDS} simultaneous sends from one user to one session over two processes: no internal error, each acknowledged message stored once, threads consistent`, async () => {
  const token = await tokenFor('contend', 'tabs');
  const { id } = ok(await gql(procs[0].url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  const send = (i: number): Promise<Sent> =>
    gql(procs[i % 2].url, SendMessageDocument, { sessionId: id, content: `Message ${i} from tab ${i % 2}.`, clientMessageId: `tab${i % 2}-${i}` }, token);

  const first = await Promise.all(Array.from({ length: SENDS }, (_, i) => send(i)));
  const codes = first.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK');
  figures.acknowledged = codes.filter((c) => c === 'OK').length;
  figures.busy = codes.filter((c) => c === 'SESSION_BUSY').length;
  figures.busyMessageStored = first.filter((r) => r.errors?.[0]?.extensions?.messageStored === true).length;
  // Only success or SESSION_BUSY: never INTERNAL_SERVER_ERROR, never anything else.
  expect(codes.filter((c) => c !== 'OK' && c !== 'SESSION_BUSY')).toEqual([]);
  for (const r of first.filter((x) => x.errors?.length)) {
    const ext = r.errors![0].extensions!;
    expect(ext.retryAfterMs).toEqual(expect.any(Number));
    expect(ext.retryAfterMs as number).toBeGreaterThan(0);
    expect(typeof ext.messageStored).toBe('boolean');
  }

  // What is stored right after the burst: acknowledged ones once; refused ones only when their error said so.
  const storedAfterBurst = (await partition(table, 'contend', id)).filter(isMessage);
  const storedUser = (i: number) => storedAfterBurst.filter((m) => m.role === 'USER' && m.clientMessageId === `tab${i % 2}-${i}`);
  first.forEach((r, i) => {
    const stored = storedUser(i);
    if (!r.errors?.length) {
      expect(stored).toHaveLength(1);
      expect(`${id}:${stored[0].seq}`).toBe(r.data!.sendMessage.message.id);
    } else {
      expect(stored).toHaveLength(r.errors[0].extensions!.messageStored ? 1 : 0);
    }
  });

  // The refused ones, retried after retryAfterMs with their own clientMessageId, complete: stored once.
  let retries = 0;
  for (let i = 0; i < SENDS; i++) {
    let r = first[i];
    for (let attempt = 0; r.errors?.length && attempt < 10; attempt++) {
      await sleep(Number(r.errors[0].extensions!.retryAfterMs));
      r = await send(i);
      retries++;
      expect([undefined, 'SESSION_BUSY']).toContain(r.errors?.[0]?.extensions?.code);
    }
    expect(r.errors).toBeUndefined();
  }
  figures.retries = retries;

  const items = await partition(table, 'contend', id);
  const messages = items.filter(isMessage).sort(bySk);
  const users = messages.filter((m) => m.role === 'USER');
  const replies = messages.filter((m) => m.role === 'ASSISTANT' && m.seq !== 1);
  // Every send stored exactly once, and answered exactly once.
  expect(users.map((m) => m.clientMessageId).sort()).toEqual(Array.from({ length: SENDS }, (_, i) => `tab${i % 2}-${i}`).sort());
  expect(replies).toHaveLength(SENDS);
  // Seqs unique; each reply right after the stored user message it names, with its clientMessageId.
  expect(new Set(messages.map((m) => m.seq)).size).toBe(messages.length);
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  for (const reply of replies) {
    const answered = bySeq.get(reply.replyTo as number)!;
    expect(answered).toMatchObject({ role: 'USER' });
    expect(reply.seq).toBe((answered.seq as number) + 1);
    expect(reply.clientMessageId).toBe(answered.clientMessageId);
  }
  const session = items.find((i) => i.sk === 'SESSION')!;
  expect(session.messageCount).toBe(1 + 2 * SENDS);
  expect(session.turnCount).toBe(SENDS);

  // What a client reads: each reply's inReplyTo is the id of a stored user message, in the page it is in.
  const page = ok(await gql(procs[1].url, SessionDocument, { id, first: 100 }, token)).session!;
  const nodes = page.messages.edges.map((e) => e.node);
  expect(nodes).toHaveLength(1 + 2 * SENDS);
  const userIds = new Set(nodes.filter((n) => n.role === 'USER').map((n) => n.id));
  for (const n of nodes.filter((x) => x.role === 'ASSISTANT').slice(1)) expect(userIds.has(n.inReplyTo!)).toBe(true);
  figures.messagesStored = messages.length;
});

test('past the queue bound, a send is SESSION_BUSY over HTTP: retryAfterMs, messageStored false, nothing stored; its retry goes through', async () => {
  // A third process on the same table that lets no send wait behind another (SESSION_QUEUE_LIMIT=0).
  const strict = await startTestServer({ table, env: { SESSION_QUEUE_LIMIT: '0' } });
  try {
    const token = await tokenFor('contend-strict', 'tabs');
    const { id } = ok(await gql(strict.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
    const send = (i: number): Promise<Sent> => gql(strict.url, SendMessageDocument, { sessionId: id, content: `Strict ${i}.`, clientMessageId: `strict-${i}` }, token);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(i)));
    const refused = results.flatMap((r, i) => (r.errors?.length ? [{ i, error: r.errors[0] }] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const { error } of refused) {
      expect(error.extensions).toEqual({ code: 'SESSION_BUSY', retryAfterMs: expect.any(Number), messageStored: false });
      expect(error.message).toMatch(/nothing was stored/);
    }
    const stored = (await partition(table, 'contend-strict', id)).filter((m) => isMessage(m) && m.role === 'USER');
    expect(stored.map((m) => m.clientMessageId).sort()).toEqual(results.flatMap((r, i) => (r.errors ? [] : [`strict-${i}`])).sort());
    for (const { i, error } of refused) {
      await sleep(Number(error.extensions!.retryAfterMs));
      expect(ok(await send(i)).sendMessage.message.content).toBe(`Strict ${i}.`);
    }
    figures.strictRefused = refused.length;
  } finally {
    await strict.stop();
  }
});

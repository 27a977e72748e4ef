/**
 * The coach's memory over HTTP (docs/coach.md#memory), read from what an OpenAI-compatible
 * stub over real HTTP was sent: the rolling summary of a long session (folded incrementally),
 * its title, the user's own outcomes of other topics, and what a transfer or an erasure
 * takes out of every later prompt.
 */
import { CancelSessionDocument, CompleteSessionWithResultDocument, CreateTopicDocument, EraseMyDataDocument, ExportMyDataDocument, SendMessageDocument, StartSessionDocument, TransferSessionDocument } from '../generated/graphql/graphql';
import { rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { startStub, StubRequest } from '../support/stub-http';
import { completion } from '../coach/fixtures';

type Kind = 'reply' | 'summary' | 'title' | 'extract';
const kindOf = (body: StubRequest['body']): Kind => {
  const system: string = body.messages[0]?.content ?? '';
  if (body.response_format) return 'extract';
  if (system.startsWith('You keep the running memory')) return 'summary';
  if (system.startsWith('You name coaching sessions')) return 'title';
  return 'reply';
};
const marks = (text: string, prefix: string) => [...new Set(text.match(new RegExp(`${prefix}-[a-z0-9]+`, 'g')) ?? [])];
const textOf = (body: StubRequest['body']): string => body.messages.map((m: { content: string }) => m.content).join('\n');

let stub: Awaited<ReturnType<typeof startStub>>;
let server: TestServer;

beforeAll(async () => {
  stub = await startStub((req) => {
    const body = req.body;
    const user: string = body.messages.at(-1).content;
    switch (kindOf(body)) {
      // A model that summarises only what it is sent: a fact survives only through the chain of summaries.
      case 'summary':
        return { body: completion(marks(user, 'FACT').join(' ') || 'nothing yet') };
      case 'title':
        return { body: completion(`"${user.replace(/^User: /, '').split(/\s+/).slice(0, 3).join(' ')}"`) };
      case 'extract':
        return { body: completion(JSON.stringify({ values: [{ name: 'Honesty', meaning: marks(user, 'OUTCOME')[0] ?? 'none' }] })) };
      default:
        return { body: completion('Tell me more.') };
    }
  });
  server = await startTestServer({
    env: { COACH: 'openai', COACH_MODEL: 'stub', OPENAI_BASE_URL: `${stub.url}/v1`, COACH_MAX_RETRIES: '0', COACH_HISTORY_MESSAGES: '6' },
  });
});
afterAll(async () => {
  await server.stop();
  await stub.close();
});

const sent = (kind: Kind, from = 0) => stub.requests.slice(from).filter((r) => r.url.endsWith('/chat/completions') && kindOf(r.body) === kind).map((r) => r.body);
const start = async (topicId: string, token: string) => ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
/** One turn, then whatever it started in the background (title, fold). */
async function send(sessionId: string, content: string, token: string) {
  const out = ok(await gql(server.url, SendMessageDocument, { sessionId, content }, token)).sendMessage;
  await server.app.settled();
  return out;
}
async function memoryOf(sessionId: string, token: string) {
  const res = await rawGql(server.url, 'query($id: ID!) { session(id: $id) { summary title } }', { id: sessionId }, token);
  return res.data!.session as { summary: string | null; title: string | null };
}

/** Users of one tenant who have all had a session there (so a session can be transferred to them). */
async function tenant(name: string) {
  const [uma, bob, ad1, ad2] = await Promise.all([tokenFor(name, 'uma'), tokenFor(name, 'bob'), tokenFor(name, 'ad1', { roles: ['admin'] }), tokenFor(name, 'ad2', { roles: ['admin'] })]);
  for (const t of [bob, ad1, ad2]) {
    const { id } = await start('goals', t);
    ok(await gql(server.url, CancelSessionDocument, { sessionId: id }, t));
  }
  return { uma, bob, ad1, ad2 };
}

describe('memory within a session', () => {
  test('a fact of the first message reaches the model through the chain of summaries, each fold sending only what is new', async () => {
    const { uma, ad1 } = await tenant('mem-chain');
    const s = await start('goals', uma);
    const firstSummary = sent('summary').length;
    await send(s.id, 'FACT-biscuit My dog is called Biscuit and she runs with me.', uma);
    expect(await memoryOf(s.id, uma)).toEqual({ summary: null, title: 'FACT-biscuit My dog' });
    for (let i = 1; i <= 12; i++) await send(s.id, `Turn ${i}: FACT-turn${i} something else entirely.`, uma);

    const summaries = sent('summary', 0).slice(firstSummary);
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    // Incremental: only the first fold saw message 1; later ones got the memory and the new messages only.
    expect(summaries.filter((b) => textOf(b).includes('My dog is called Biscuit'))).toHaveLength(1);
    for (const b of summaries.slice(1)) expect(b.messages.at(-1).content).toMatch(/^Memory so far:\nFACT-biscuit/);

    const last = sent('reply').at(-1)!;
    expect(last.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('FACT-biscuit') });
    // The summary goes ahead of the recent turns, and message 1 is far outside the window.
    expect(last.messages.slice(1).map((m: { content: string }) => m.content).join('\n')).not.toContain('Biscuit');
    expect(last.messages.length).toBeLessThanOrEqual(1 + 6);

    const mine = await memoryOf(s.id, uma);
    expect(mine.summary).toContain('FACT-biscuit');
    expect(mine.title).toBe('FACT-biscuit My dog');
    // Exported with the session (same item, same TTL, erased with it).
    const exported = ok(await gql(server.url, ExportMyDataDocument, { first: 100 }, uma)).exportMyData.records as Record<string, unknown>[];
    expect(exported.find((r) => r.type === 'session' && r.sessionId === s.id)).toMatchObject({ title: mine.title, summary: mine.summary });
    // Admins see the session, never what it remembers.
    const listed = await rawGql(server.url, '{ tenantSessions(topicId: "goals") { edges { node { id summary title } } } }', {}, ad1);
    const node = (listed.data!.tenantSessions as { edges: { node: { id: string } }[] }).edges.map((e) => e.node).find((n) => n.id === s.id);
    expect(node).toEqual({ id: s.id, summary: null, title: null });
  });

  test("after a transfer without consent, summary and title are rebuilt from the new owner's turns only (admin1 -> admin2 -> admin1)", async () => {
    const { uma, ad1, ad2 } = await tenant('mem-transfer');
    const s = await start('vision', uma);
    for (let i = 0; i < 4; i++) await send(s.id, `FACT-umasecret${i} my private plan ${i}.`, uma);
    expect((await memoryOf(s.id, uma)).summary).toContain('FACT-umasecret0');
    const mark = stub.requests.length;

    ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'ad2' }, ad1));
    expect(await memoryOf(s.id, ad2)).toEqual({ summary: null, title: null });
    await send(s.id, 'FACT-adtwo Leading the new team.', ad2);
    expect((await memoryOf(s.id, ad2)).title).toBe('FACT-adtwo Leading the');
    for (let i = 0; i < 4; i++) await send(s.id, `More from admin two ${i}.`, ad2);
    const second = await memoryOf(s.id, ad2);
    expect(second.summary).toContain('FACT-adtwo');
    expect(second.summary).not.toContain('umasecret');

    ok(await gql(server.url, TransferSessionDocument, { sessionId: s.id, toUserId: 'ad1' }, ad2));
    expect(await memoryOf(s.id, ad1)).toEqual({ summary: null, title: null });
    for (let i = 0; i < 4; i++) await send(s.id, `FACT-adone${i} from admin one.`, ad1);
    const third = await memoryOf(s.id, ad1);
    expect(third.summary).toContain('FACT-adone0');
    expect(third.summary).not.toMatch(/umasecret|adtwo/);
    // Nothing of the user's reached the model after the first transfer, nor admin2's after the second.
    const after = stub.requests.slice(mark).map((r) => JSON.stringify(r.body));
    expect(after.filter((t) => t.includes('umasecret'))).toEqual([]);
  });
});

describe('memory across topics', () => {
  async function complete(topicId: string, token: string, mark: string) {
    const s = await start(topicId, token);
    await send(s.id, `${mark} honesty matters most to me.`, token);
    const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: s.id }, token)).completeSession;
    expect(done.result).toEqual({ values: [{ name: 'Honesty', meaning: mark }] });
  }

  test("the coach is told the user's own outcomes of other topics, not another user's; not where the topic says no; nothing after erasure", async () => {
    const { uma, bob, ad1 } = await tenant('mem-outcomes');
    await complete('core_values', uma, 'OUTCOME-uma');
    await complete('core_values', bob, 'OUTCOME-bob');

    const s = await start('purpose', uma);
    await send(s.id, 'What gives my work meaning?', uma);
    const system: string = sent('reply').at(-1)!.messages[0].content;
    expect(system).toContain('Core values');
    expect(system).toContain('OUTCOME-uma');
    expect(system).not.toContain('OUTCOME-bob');

    ok(await gql(server.url, CreateTopicDocument, { input: { id: 'private', name: 'Private', remembersOutcomes: false } }, ad1));
    const p = await start('private', uma);
    await send(p.id, 'Something unrelated.', uma);
    expect(sent('reply').at(-1)!.messages[0].content).not.toContain('OUTCOME-uma');

    ok(await gql(server.url, EraseMyDataDocument, {}, uma));
    const again = await start('purpose', uma);
    await send(again.id, 'Starting over.', uma);
    expect(JSON.stringify(sent('reply').at(-1))).not.toContain('OUTCOME-uma');
  });
});

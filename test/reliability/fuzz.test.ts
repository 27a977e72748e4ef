import fc from 'fast-check';
import { isClientMessageId, isSessionId } from '../../src/domain/ids';
import { expectNoInternals } from '../support/e2e-helpers';
import { startTestServer, TestServer, tokenFor } from '../support/server';
import { scanAll } from '../support/store-helpers';

// Property: whatever strings and numbers are thrown at every argument of every operation,
// the server answers with a result or an actionable error (never INTERNAL_SERVER_ERROR, a 5xx
// or internals), and nothing malformed is ever stored.

let server: TestServer;
let token: string;
const pool: string[] = []; // session ids that really exist, so the fuzz reaches past id checks
const TOPICS = ['core_values', 'purpose', 'vision', 'strengths', 'goals'];
const figures = { calls: 0, ok: 0, errors: {} as Record<string, number> };

beforeAll(async () => {
  // One client sending 400 requests back to back is what the rate limit refuses; this test is
  // about arguments, so its user may burst all of them (RATE_LIMITED would still be a valid answer).
  server = await startTestServer({ env: { RATE_LIMIT_USER_BURST: '1000' } });
  token = await tokenFor('fuzz', 'fuzzer');
});
afterAll(async () => {
  await server?.stop();
  console.log(`fuzz figures: ${JSON.stringify(figures)}`);
});

const OPERATIONS: Record<string, { query: string; vars: string[] }> = {
  sessionCheck: { query: 'query($a: ID!) { sessionCheck(topicId: $a) { hasSession sessionId conflict } }', vars: ['a'] },
  session: {
    query: 'query($a: ID!, $n: Int, $c: String, $m: Int, $d: String) { session(id: $a) { id messageCount messages(first: $n, after: $c, last: $m, before: $d) { edges { cursor node { id content } } } } }',
    vars: ['a', 'n', 'c', 'm', 'd'],
  },
  mySessions: { query: 'query($n: Int, $c: String) { mySessions(first: $n, after: $c) { edges { cursor node { id status } } } }', vars: ['n', 'c'] },
  startSession: { query: 'mutation($a: ID!, $b: Boolean) { startSession(topicId: $a, restart: $b) { id status } }', vars: ['a', 'b'] },
  sendMessage: {
    query: 'mutation($a: ID!, $c: String!, $d: ID) { sendMessage(sessionId: $a, content: $c, clientMessageId: $d) { message { id } reply { id } } }',
    vars: ['a', 'c', 'd'],
  },
  pauseSession: { query: 'mutation($a: ID!) { pauseSession(sessionId: $a) { id status } }', vars: ['a'] },
  resumeSession: { query: 'mutation($a: ID!) { resumeSession(sessionId: $a) { id status } }', vars: ['a'] },
  completeSession: { query: 'mutation($a: ID!) { completeSession(sessionId: $a) { id status } }', vars: ['a'] },
  cancelSession: { query: 'mutation($a: ID!) { cancelSession(sessionId: $a) { id status } }', vars: ['a'] },
};

const weird = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', 'a\udc00b', '\u202e', '\ufeff', '💥'.repeat(1500), 'x'.repeat(4001), 'ses_', 'ses_0000000000000000000000000',
  'T#evil#S#ses_x', '#', '%23', '../../etc/passwd', '{"$ne":null}', "' OR 1=1 --", 'NaN', '-0', '1e309', 'core_values#', 'CORE_VALUES',
);
const str = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 50 }), weird);
const num = fc.oneof(fc.integer(), fc.integer({ min: -2, max: 102 }), fc.double(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e308, -0));
const anyValue = fc.oneof(
  { weight: 5, arbitrary: str },
  { weight: 3, arbitrary: num },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.array(fc.oneof(str, num), { maxLength: 3 }) },
);
/** A value valid in shape for this argument, so that calls get past the checks into the store. */
function realistic(op: string, v: string): fc.Arbitrary<unknown> {
  if (v === 'a' && (op === 'sessionCheck' || op === 'startSession')) return fc.constantFrom(...TOPICS);
  if (v === 'a') return fc.nat().map((i) => pool[i % Math.max(pool.length, 1)] ?? 'ses_none');
  if (v === 'c' && op === 'sendMessage') return fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 });
  if (v === 'd' && op === 'sendMessage') return fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
  if (v === 'b') return fc.boolean();
  if (v === 'n' || v === 'm') return fc.integer({ min: 1, max: 100 });
  return fc.constant(null); // cursors: none
}
const call = fc.constantFrom(...Object.keys(OPERATIONS)).chain((op) =>
  fc.record({
    op: fc.constant(op),
    values: fc.record(
      Object.fromEntries(
        OPERATIONS[op].vars.map((v) => [
          v,
          fc.oneof({ weight: 3, arbitrary: realistic(op, v) }, { weight: 2, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constant(undefined) }),
        ]),
      ) as Record<string, fc.Arbitrary<unknown>>,
    ),
  }),
);

test('random strings and numbers at every argument: no INTERNAL_SERVER_ERROR, no 5xx, no internals', async () => {
  await fc.assert(
    fc.asyncProperty(call, async ({ op, values }) => {
      const { query, vars } = OPERATIONS[op];
      const variables = Object.fromEntries(vars.filter((v) => values[v] !== undefined).map((v) => [v, values[v]]));
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      figures.calls++;
      expect(res.status).toBeLessThan(500);
      const body = JSON.parse(text) as { data?: Record<string, { id?: string } | null>; errors?: { extensions?: { code?: string } }[] };
      for (const e of body.errors ?? []) {
        const code = e.extensions?.code ?? 'none';
        figures.errors[code] = (figures.errors[code] ?? 0) + 1;
        expect(code).not.toBe('INTERNAL_SERVER_ERROR');
        expect(code).not.toBe('none');
      }
      if (!body.errors?.length) figures.ok++;
      expectNoInternals(text);
      const started = body.data?.startSession?.id;
      if (started && !pool.includes(started)) pool.push(started);
    }),
    { numRuns: 400, seed: 20260718, endOnFailure: true },
  );
  expect(figures.ok).toBeGreaterThan(0); // the fuzz did reach real work, not only refusals
}, 120_000);

test('nothing malformed was stored', async () => {
  const items = (await scanAll(server.table)).filter((i) => String(i.pk).startsWith('T#fuzz#'));
  const bad: string[] = [];
  for (const i of items) {
    const sk = String(i.sk);
    // Outcomes are kept (no ttl) unless OUTCOME_RETENTION_DAYS is set; everything else expires.
    const kept = sk.startsWith('OUTCOME#') && i.ttl === undefined;
    if (!kept && (typeof i.ttl !== 'number' || !Number.isInteger(i.ttl))) bad.push(`${i.pk}/${sk}: ttl ${i.ttl}`);
    if (sk === 'SESSION' || sk === 'HOLD' || sk.startsWith('OUTCOME#') || sk.startsWith('MENTION#')) {
      if (!TOPICS.includes(i.topicId as string)) bad.push(`${i.pk}/${sk}: topic ${String(i.topicId)}`);
      if (i.userId !== 'fuzzer') bad.push(`${i.pk}/${sk}: user ${String(i.userId)}`);
      if (!isSessionId(String(i.sessionId))) bad.push(`${i.pk}/${sk}: session id ${String(i.sessionId)}`);
    } else if (sk.startsWith('MSG#')) {
      const c = i.content as string;
      if (typeof c !== 'string' || !c.trim() || c.length > 4000 || !c.isWellFormed() || /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(c)) {
        bad.push(`${i.pk}/${sk}: content ${JSON.stringify(c).slice(0, 60)}`);
      }
    } else if (sk.startsWith('CMID#')) {
      if (!isClientMessageId(sk.slice(5))) bad.push(`${i.pk}/${sk}: clientMessageId`);
    } else if (sk.startsWith('USAGE#')) {
      // The month's usage counters (a topic's, the user's): whole numbers of tokens and turns.
      for (const n of ['inputTokens', 'outputTokens', 'turns']) if (!Number.isSafeInteger(i[n]) || (i[n] as number) < 0) bad.push(`${i.pk}/${sk}: ${n} ${String(i[n])}`);
    } else {
      bad.push(`${i.pk}/${sk}: unknown item`);
    }
  }
  expect(bad).toEqual([]);
  expect(items.filter((i) => String(i.sk).startsWith('MSG#')).length).toBeGreaterThan(0);
});

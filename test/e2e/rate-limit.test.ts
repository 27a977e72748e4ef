import { SendMessageStreamDocument, SessionCheckDocument, StartSessionDocument, TopicsDocument } from '../generated/graphql/graphql';
import { bearer, subscribeTo, wsClient } from '../support/ws-client';
import { scanAll } from '../support/store-helpers';
import { expectNoInternals } from '../support/e2e-helpers';
import { FakeClock } from '../support/clock';
import { gql, ok, post, startTestServer, TestServer, tokenFor } from '../support/server';
import { createTestTable, TestTable } from '../support/dynamo';
import { RATE_LIMIT_DEFAULTS } from '../../src/defaults';
import { forgeSignature } from '../support/forge';

// Rate limits over real HTTP (docs/security.md#rate-limits): refusals are 429 with Retry-After,
// extensions.code RATE_LIMITED and extensions.retryAfterSeconds; never a 5xx. The servers run
// on a clock that does not move unless told, so "at once" is exact.

let table: TestTable;
const servers: TestServer[] = [];
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await table.drop();
});

async function server(env: Record<string, string> = {}, clock = new FakeClock(Date.now())) {
  const s = await startTestServer({ table, clock, env });
  servers.push(s);
  return { ...s, clock };
}

const check = (url: string, token: string) => gql(url, SessionCheckDocument, { topicId: 'purpose' }, token);

/** The refusal, checked in full: status, header, code, retry time, no internals. */
async function expectRateLimited(url: string, token: string | undefined, retryAfter: number) {
  const res = await post(url, JSON.stringify({ query: '{ topics { id } }' }), token ? { authorization: `Bearer ${token}` } : {});
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.json?.errors).toEqual([{ message: `Too many requests; retry in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter } }]);
  expect(res.json?.data).toBeUndefined();
  expectNoInternals(res.text);
}

test('default limits: a burst of 60 requests at once passes; the 61st and later get 429 RATE_LIMITED with Retry-After, until tokens come back', async () => {
  const s = await server({ RATE_LIMIT_ENABLED: 'true' }); // the defaults
  const token = await tokenFor('rl-burst', 'alice');
  const burst = await Promise.all(Array.from({ length: RATE_LIMIT_DEFAULTS.user.burst }, () => check(s.url, token)));
  for (const r of burst) expect(ok(r).sessionCheck.hasSession).toBe(false);
  for (let i = 0; i < 3; i++) await expectRateLimited(s.url, token, 1);
  // Another user of the same tenant is not affected.
  expect(ok(await check(s.url, await tokenFor('rl-burst', 'bob'))).sessionCheck.conflict).toBe(false);
  // One second later, the user has RATE_LIMIT_USER_PER_SECOND requests again.
  s.clock.advance(1000);
  const again = await Promise.all(Array.from({ length: RATE_LIMIT_DEFAULTS.user.perSecond }, () => check(s.url, token)));
  for (const r of again) expect(r.errors).toBeUndefined();
  await expectRateLimited(s.url, token, 1);
});

test('the tenant limit: many users of one tenant share its bucket; other tenants are not affected', async () => {
  const s = await server({ RATE_LIMIT_TENANT_BURST: '12', RATE_LIMIT_TENANT_PER_SECOND: '0.5' });
  const users = await Promise.all(Array.from({ length: 6 }, (_, i) => tokenFor('rl-tenant', `user-${i}`)));
  const results = await Promise.all(users.flatMap((t) => [check(s.url, t), check(s.url, t)]));
  for (const r of results) expect(r.errors).toBeUndefined();
  // A seventh user, never seen: refused all the same; the tenant's bucket needs 2 s for one request.
  await expectRateLimited(s.url, await tokenFor('rl-tenant', 'user-6'), 2);
  expect(ok(await check(s.url, await tokenFor('rl-other-tenant', 'user-0'))).sessionCheck.hasSession).toBe(false);
});

test('requests without a valid token are limited per client address: bad tokens get 401 until the address is over its limit, then 429', async () => {
  const s = await server({ RATE_LIMIT_ANONYMOUS_BURST: '3' });
  const forged = forgeSignature(await tokenFor('rl-anon', 'mallory'));
  for (let i = 0; i < 3; i++) {
    const res = await post(s.url, JSON.stringify({ query: '{ topics { id } }' }), { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
  }
  await expectRateLimited(s.url, forged, 1);
  await expectRateLimited(s.url, undefined, 1);
  // A caller with a valid token, from the same address, is counted on their own.
  expect(ok(await gql(s.url, TopicsDocument, {}, await tokenFor('rl-anon', 'alice'))).topics.length).toBeGreaterThan(0);
});

test('RATE_LIMIT_ENABLED=false turns every limit off (the benchmark does)', async () => {
  const s = await server({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_USER_BURST: '1', RATE_LIMIT_ANONYMOUS_BURST: '1' });
  const token = await tokenFor('rl-off', 'alice');
  const results = await Promise.all(Array.from({ length: 100 }, () => check(s.url, token)));
  for (const r of results) expect(r.errors).toBeUndefined();
  for (let i = 0; i < 5; i++) expect((await post(s.url, JSON.stringify({ query: '{ __typename }' }))).status).toBe(200);
});

test('a refused request is reported as RATE_LIMITED in the metrics, never as a server error', async () => {
  const s = await server({ RATE_LIMIT_USER_BURST: '1' });
  const token = await tokenFor('rl-metrics', 'alice');
  expect((await check(s.url, token)).errors).toBeUndefined();
  await expectRateLimited(s.url, token, 1);
  const metrics = await s.app.metrics.render();
  expect(metrics.body).toMatch(/code="RATE_LIMITED"/);
  expect(metrics.body).not.toMatch(/code="INTERNAL_SERVER_ERROR"/);
});

test('connection_init and a subscription spend from the same buckets: over the limit it ends with RATE_LIMITED and stores nothing', async () => {
  const s = await server({ RATE_LIMIT_USER_BURST: '3' });
  const token = await tokenFor('rl-ws', 'alice');
  const session = ok(await gql(s.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession; // 1 of 3
  const ws = wsClient(s.url, bearer(token), { lazy: false }); // connection_init: 2 of 3 (one socket for both)
  try {
    const first = subscribeTo(ws, SendMessageStreamDocument, { sessionId: session.id, content: 'first', clientMessageId: 'rl-1' }); // 3 of 3
    expect(await first.ended).toEqual({});
    const second = subscribeTo(ws, SendMessageStreamDocument, { sessionId: session.id, content: 'second', clientMessageId: 'rl-2' });
    const ended = await second.ended;
    expect(ended.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } });
    expect(second.events).toEqual([]);
    // And HTTP is refused too: one user, one budget, whatever the transport.
    await expectRateLimited(s.url, token, 1);
    const stored = (await scanAll(table)).filter((i) => String(i.pk).includes('rl-ws') && i.content === 'second');
    expect(stored).toEqual([]);
  } finally {
    await ws.dispose();
  }
});

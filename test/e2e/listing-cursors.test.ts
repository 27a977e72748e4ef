import { CancelSessionDocument, IdleSessionsDocument, MySessionsDocument, StartSessionDocument, TenantSessionsDocument } from '../generated/graphql/graphql';
import { FakeClock, MINUTE } from '../support/clock';
import { expectCode, expectNoInternals } from '../support/e2e-helpers';
import { gql, GqlResult, ok, startTestServer, TestServer, tokenFor } from '../support/server';

// Issue #9: a forged or stale cursor once gave INTERNAL_SERVER_ERROR on idleSessions. Every
// session listing, with every kind of bad cursor: BAD_USER_INPUT or a page without anything
// of another user or tenant, never a 500.
let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 7, 3, 9, 0, 0));
let admin: string;
let alice: string;
let otherAdmin: string;
const real: Record<string, string> = {};

const b64 = (s: string) => Buffer.from(s).toString('base64url');

beforeAll(async () => {
  server = await startTestServer({ clock });
  admin = await tokenFor('cursors', 'root', { roles: ['admin'] });
  alice = await tokenFor('cursors', 'alice');
  otherAdmin = await tokenFor('cursors-other', 'eve', { roles: ['admin'] });
  const evil = await tokenFor('cursors-other', 'eve');
  for (const topicId of ['purpose', 'vision', 'goals']) {
    ok(await gql(server.url, StartSessionDocument, { topicId }, alice));
    ok(await gql(server.url, StartSessionDocument, { topicId }, evil));
    clock.advance(MINUTE);
  }
  clock.advance(120 * MINUTE);
  real.mine = ok(await gql(server.url, MySessionsDocument, { first: 1 }, alice)).mySessions.edges[0].cursor;
  real.idle = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1, first: 1 }, admin)).idleSessions.edges[0].cursor;
  real.tenant = ok(await gql(server.url, TenantSessionsDocument, { first: 1 }, admin)).tenantSessions.edges[0].cursor;
  real.otherTenant = ok(await gql(server.url, TenantSessionsDocument, { first: 1 }, otherAdmin)).tenantSessions.edges[0].cursor;
  // Stale: the session a cursor names has ended since (it left the live index) or never existed.
  const ended = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1, first: 3 }, admin)).idleSessions.edges.at(-1)!;
  real.staleEnded = ended.cursor;
  ok(await gql(server.url, CancelSessionDocument, { sessionId: ended.node.id }, alice));
});
afterAll(() => server.stop());

const forged = (): [string, string][] => [
  ['garbage', 'not a cursor'],
  ['empty', ''],
  ['base64 of garbage', b64('hello#world')],
  ['a message cursor', b64('msg:3')],
  ['the right shape, a session that never existed', b64('2026-08-03T09:00:00.000Z#ses_00000000000000000000000000')],
  ['the right shape, a date far in the future', b64('9999-12-31T23:59:59.999Z#ses_7ZZZZZZZZZZZZZZZZZZZZZZZZZ')],
  ['the right shape, a Crockford-invalid id', b64('2026-08-03T09:00:00.000Z#ses_UUUUUUUUUUUUUUUUUUUUUUUUUU')],
  ['over-long', 'A'.repeat(5000)],
  ['another tenant\'s real cursor', real.otherTenant],
  ['a stale cursor (its session has ended)', real.staleEnded],
  ['mySessions\' cursor', real.mine],
  ['idleSessions\' cursor', real.idle],
  ['tenantSessions\' cursor', real.tenant],
];

const listings: [string, (after: string) => Promise<GqlResult<unknown>>][] = [
  ['mySessions', (after) => gql(server.url, MySessionsDocument, { first: 10, after }, alice)],
  ['idleSessions', (after) => gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1, first: 10, after }, admin)],
  ['tenantSessions', (after) => gql(server.url, TenantSessionsDocument, { first: 10, after }, admin)],
  ['tenantSessions of a topic', (after) => gql(server.url, TenantSessionsDocument, { topicId: 'purpose', first: 10, after }, admin)],
];

test.each(listings)('%s: every forged, foreign or stale cursor is BAD_USER_INPUT or a page of the caller\'s own', async (_name, list) => {
  for (const [kind, cursor] of forged()) {
    const res = await list(cursor);
    const text = JSON.stringify(res);
    expect({ kind, code: res.errors?.[0]?.extensions?.code ?? 'OK' }).toEqual({ kind, code: expect.stringMatching(/^(OK|BAD_USER_INPUT)$/) });
    if (res.errors) expectCode(res, 'BAD_USER_INPUT');
    expect(res.status).toBeLessThan(500);
    expect(text).not.toContain('eve');
    expect(text).not.toContain('cursors-other');
    expectNoInternals(text);
  }
});

test('idleSessions: a cursor at or past the idle bound (e.g. from a smaller minIdleMinutes) is an empty last page', async () => {
  const first = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1, first: 1 }, admin)).idleSessions;
  // The newest idle session's cursor, asked again with a bound older than its last activity.
  const last = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 1, first: 10 }, admin)).idleSessions.edges.at(-1)!;
  const page = ok(await gql(server.url, IdleSessionsDocument, { minIdleMinutes: 10_000, first: 10, after: last.cursor }, admin)).idleSessions;
  expect(page).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null } });
  expect(first.edges).toHaveLength(1);
});

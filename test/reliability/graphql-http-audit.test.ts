import { serverAudits } from 'graphql-http';
import { startTestServer, TestServer } from '../support/server';

// GraphQL-over-HTTP compliance: graphql-http's server audits against the real server (no token:
// the audits only ask for `__typename`, which needs none). Zero MUST failures; every other
// result that is not "ok" is pinned here with the reason documented in docs/reliability.md.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** SHOULD/MAY audits this server answers differently, by audit id, with the reason. */
const CSRF = 'a GET without a preflight header is refused by Apollo CSRF prevention (kept on on purpose)';
const STATUS_400 = 'Apollo Server answers 400 for request errors under application/json (the legacy media type); the spec only recommends 200';
const KNOWN: Record<string, string> = {
  '5A70': CSRF,
  D6D5: CSRF,
  '6A70': CSRF,
  '572B': STATUS_400,
  FDE2: STATUS_400,
  '7B9B': STATUS_400,
};

test('graphql-http server audits: no MUST fails; the rest is known', async () => {
  const results: { id: string; name: string; status: string; reason?: string }[] = [];
  for (const audit of serverAudits({ url: server.url })) {
    const r = await audit.fn();
    results.push({ id: r.id, name: r.name, status: r.status, reason: r.status === 'ok' ? undefined : r.reason });
    if (r.status !== 'ok') await r.response.text().catch(() => undefined);
  }
  const mustFails = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
  expect(mustFails).toEqual([]);
  const counts = results.reduce<Record<string, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
  const notOk = results.filter((r) => r.status !== 'ok');
  console.log(`graphql-http audit: ${JSON.stringify(counts)}\n${notOk.map((r) => `${r.status} ${r.id} ${r.name}: ${r.reason}`).join('\n')}`);
  expect(notOk.map((r) => r.id).filter((id) => !(id in KNOWN))).toEqual([]);
  // No MUST among the known deviations, ever.
  for (const r of notOk) expect(r.name).toMatch(/^(SHOULD|MAY) /);
});

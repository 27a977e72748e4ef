import type { ServerResponse } from 'node:http';
import { createCoach } from '../../src/coach/factory';
import { parseCoachConfig } from '../../src/config-coach';
import { CoachTurn } from '../../src/coach/port';
import { Session } from '../../src/domain/session';
import { startRawStub } from '../support/stub-http';
import { completion, topic } from './fixtures';

const turnFor = (tenantId: string): CoachTurn => ({
  topic,
  session: { id: `ses_${tenantId}`, tenantId } as Session,
  userMessage: { sessionId: `ses_${tenantId}`, seq: 1, role: 'USER', content: tenantId, createdAt: 0 },
  recentMessages: async () => [{ sessionId: `ses_${tenantId}`, seq: 1, role: 'USER', content: tenantId, createdAt: 0 }],
});

/** Resolves once `check` holds, looking every 5 ms; gives up after 400 looks. */
async function until(check: () => boolean) {
  for (let look = 0; !check(); look++) {
    if (look === 400) throw new Error(`still not so: ${check}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('the configured model coach bounds concurrent model calls per tenant (COACH_CONCURRENCY_PER_TENANT)', async () => {
  // The model answers only when told: requests pile up at the stub as they would at a slow provider.
  const held: { tenant: string; res: ServerResponse }[] = [];
  const stub = await startRawStub((req, res) => held.push({ tenant: req.body.messages.at(-1).content, res }));
  const answer = (i: number) => {
    const { tenant, res } = held[i];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(completion(`for ${tenant}`)));
  };
  try {
    const env = { COACH: 'openai', COACH_MODEL: 'stub-model', OPENAI_BASE_URL: `${stub.url}/v1`, COACH_CONCURRENCY_PER_TENANT: '1', COACH_MAX_RETRIES: '0' };
    const coach = createCoach(parseCoachConfig(env, 'us-east-1', (m) => new Error(m)), 10_000);
    const a = [coach.reply(turnFor('tenant-a')), coach.reply(turnFor('tenant-a')), coach.reply(turnFor('tenant-a'))];
    await until(() => held.length === 1);
    const b = coach.reply(turnFor('tenant-b'));
    await until(() => held.length === 2);
    // Tenant B's request went out while A's other two still wait for A's one slot.
    expect(held.map((h) => h.tenant)).toEqual(['tenant-a', 'tenant-b']);
    answer(1);
    await expect(b).resolves.toBe('for tenant-b');
    answer(0);
    await until(() => held.length === 3);
    answer(2);
    await until(() => held.length === 4);
    answer(3);
    await expect(Promise.all(a)).resolves.toEqual(['for tenant-a', 'for tenant-a', 'for tenant-a']);
    expect(held.map((h) => h.tenant)).toEqual(['tenant-a', 'tenant-b', 'tenant-a', 'tenant-a']);
  } finally {
    await stub.close();
  }
});

test('COACH_CONCURRENCY_PER_TENANT and COACH_CONCURRENCY_WAIT_MS are validated', () => {
  const parse = (extra: Record<string, string>) => parseCoachConfig({ COACH: 'openai', COACH_MODEL: 'm', ...extra }, 'us-east-1', (m) => new Error(m));
  expect(parse({})).toMatchObject({ slots: { perTenant: 8, waitMs: 5000 } });
  expect(parse({ COACH_CONCURRENCY_PER_TENANT: '3', COACH_CONCURRENCY_WAIT_MS: '0' })).toMatchObject({ slots: { perTenant: 3, waitMs: 0 } });
  expect(() => parse({ COACH_CONCURRENCY_PER_TENANT: '0' })).toThrow('COACH_CONCURRENCY_PER_TENANT must be an integer from 1');
  expect(() => parse({ COACH_CONCURRENCY_WAIT_MS: '-1' })).toThrow('COACH_CONCURRENCY_WAIT_MS must be an integer from 0');
});

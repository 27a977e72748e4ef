/**
 * The reference client's other cards in headless Chromium: the "taken" card of a holder
 * idle for days (conflictIdleSince), the turn limit (turnCount / maxTurns, MAX_TURNS_REACHED)
 * and a result that could not be extracted (resultError), an archived topic still listed for
 * its holder, and a server that issues no development tokens (a token field, and why).
 */
import { ArchiveTopicDocument, SessionCheckDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TEST_SECRET, tokenFor } from '../support/server';
import { signToken } from '../../src/auth/dev-token';
import { hsSecret } from '../../src/app';
import { baseOf } from '../support/e2e-helpers';
import { byTest, DAY, DemoRig, expectText, isShown, messages, moveClocks, openDemo, shot, signIn, startDemoRig } from './demo-helpers';

let rig: DemoRig;
/** A token the rig's server accepts (its development secret). */
let tokenAs: (tenantId: string, userId: string, roles?: string[]) => Promise<string>;

beforeAll(async () => {
  rig = await startDemoRig({
    topics: [
      {
        id: 'checkin',
        name: 'Daily check-in',
        settings: { maxTurns: 2 },
        resultSchema: { type: 'object', properties: { summary: { type: 'string', maxLength: 300 } }, required: ['summary'], additionalProperties: false },
      },
    ],
  });
  const secret = hsSecret(rig.server.config)!;
  tokenAs = (tenantId, userId, roles = []) => signToken(secret, { tenantId, userId, roles });
});

afterAll(async () => {
  await rig?.close();
});

afterEach(() => {
  rig.clock.offset = 0;
});

test('the taken card: another user has held the topic, idle, for 5 days: "Idle for 5 days, ask an admin"', async () => {
  const bob = await tokenAs('initech', 'bob');
  ok(await gql(rig.server.url, StartSessionDocument, { topicId: 'vision' }, bob));
  const context = await rig.browser.newContext();
  const page = await context.newPage();
  await moveClocks(rig, page, 5 * DAY + 60_000);
  await signIn(page, rig.demoUrl, 'initech', 'carol');
  await byTest(page, 'topic-vision').click();
  await expectText(page, 'check-title', 'Another user is using this topic');
  await expectText(page, 'check-detail', /^bob in your team has a session of "Vision" open/);
  await expectText(page, 'conflict-idle', 'Idle for 5 days, ask an admin to free it');
  expect(await isShown(page, 'idle-note')).toBe(false);
  expect(await isShown(page, 'start')).toBe(false);
  expect(await isShown(page, 'recheck')).toBe(true);
  // The same fact the API gives (one read): the holder's idleSince.
  const check = ok(await gql(rig.server.url, SessionCheckDocument, { topicId: 'vision' }, await tokenAs('initech', 'carol'))).sessionCheck;
  expect(check).toMatchObject({ conflict: true, conflictUserId: 'bob', conflictIdleSince: expect.any(String) });
  await shot(page, 'taken-card');
  await context.close();
});

test('the turn limit: "2 of 2 turns used", no more sending, complete shows the result; a result that could not be extracted says why', async () => {
  const context = await rig.browser.newContext();
  const page = await context.newPage();
  await signIn(page, rig.demoUrl, 'hooli', 'dana');
  await byTest(page, 'topic-checkin').click();
  await byTest(page, 'start').click();
  await expectText(page, 'turns', '0 of 2 turns used · 2 left');
  for (const [i, text] of ['I want to plan my week.', 'Mornings for deep work.'].entries()) {
    await byTest(page, 'message-input').fill(text);
    await byTest(page, 'send').click();
    await page.locator('#messages li').nth(2 * (i + 1)).waitFor();
  }
  await expectText(page, 'turns', '2 of 2 turns used · 0 left');
  await expectText(page, 'turn-limit', 'All 2 turns of this session are used (MAX_TURNS_REACHED): complete it to see your result.');
  expect(await isShown(page, 'message-input')).toBe(false);
  expect(await isShown(page, 'complete')).toBe(true);
  expect(await messages(page)).toHaveLength(5);
  await shot(page, 'turn-limit');

  await byTest(page, 'complete').click();
  await expectText(page, 'session-status', 'completed');
  expect(await isShown(page, 'turn-limit')).toBe(false);
  await expectText(page, 'result-value', /Summary\s*Mornings for deep work\./);

  // Purpose completed before anything was said: no result, and the reason.
  await byTest(page, 'topic-purpose').click();
  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  await byTest(page, 'complete').click();
  await expectText(page, 'result-error', /^No result was extracted: .*statement: is required/);
  expect(await byTest(page, 'result-value').count()).toBe(0);
  await context.close();
});

test("an archived topic stays in its holder's list, marked, and can be resumed", async () => {
  const erin = await tokenAs('umbrella', 'erin');
  ok(await gql(rig.server.url, StartSessionDocument, { topicId: 'strengths' }, erin));
  ok(await gql(rig.server.url, ArchiveTopicDocument, { id: 'strengths' }, await tokenAs('umbrella', 'ada', ['admin'])));
  const context = await rig.browser.newContext();
  const [page, other] = [await context.newPage(), await (await rig.browser.newContext()).newPage()];
  await signIn(page, rig.demoUrl, 'umbrella', 'erin');
  await expectText(page, 'topic-archived-strengths', 'archived');
  await expectText(page, 'topic-status-strengths', 'in progress');
  await byTest(page, 'topic-strengths').click();
  await expectText(page, 'check-title', 'Resume session');
  await byTest(page, 'resume').click();
  await expectText(page, 'session-status', 'active');
  // Nobody else of the tenant sees it.
  await signIn(other, rig.demoUrl, 'umbrella', 'frank');
  expect(await byTest(other, 'topic-strengths').count()).toBe(0);
  await context.close();
});

test('a server with JWT configuration issues no development tokens: the page offers a token field and says why', async () => {
  // Development mode (so /demo is served) with JWT_SECRET set: no POST /demo/token.
  const server = await startTestServer({ env: { JWT_SECRET: TEST_SECRET } });
  const context = await rig.browser.newContext();
  try {
    const page = await context.newPage();
    await openDemo(page, `${baseOf(server.url)}/demo/`);
    expect(await isShown(page, 'signin-submit')).toBe(false);
    expect(await isShown(page, 'signin-hint')).toBe(false);
    await expectText(page, 'no-dev-tokens', /JWT_SECRET or JWT_JWKS_URL is configured.*paste a token/);
    expect(await isShown(page, 'token-input')).toBe(true);
    expect(await page.locator('body').getAttribute('data-dev-tokens')).toBe('false');
    await shot(page, 'paste-token');
    await byTest(page, 'token-input').fill(await tokenFor('jwt-tenant', 'gail'));
    await byTest(page, 'token-submit').click();
    await expectText(page, 'whoami-text', 'Signed in as gail (tenant jwt-tenant)');
    expect(await page.locator('#topic-list button').count()).toBeGreaterThanOrEqual(4);
  } finally {
    await context.close();
    await server.stop();
  }
});

/**
 * The reference client (/demo) in headless Chromium against the whole server on DynamoDB
 * Local: sign in with a development token, pick a topic, see what sessionCheck means,
 * chat, pause, come back days later ("idle for N days"), complete; and two browser
 * contexts of one tenant racing for one topic.
 *
 * Screenshots of each state go to DEMO_SCREENSHOTS_DIR when set (`npm run docs:screenshots`
 * writes docs/), else to a temporary folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { MySessionsDocument } from '../generated/graphql/graphql';
import { baseOf } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer } from '../support/server';
import { signToken } from '../../src/auth/dev-token';
import { hsSecret } from '../../src/app';
import { Browser, launchChromium } from './chromium';
import { ensureWebBuilt } from './web-build';

const ROOT = join(__dirname, '..', '..');
const DAY = 86_400_000;

let dir: string;
let shots: string;
let server: TestServer;
let browser: Browser;
let demoUrl: string;
/** The server's clock runs `offset` ms ahead of real time once a test moves it. */
let offset = 0;

beforeAll(async () => {
  // The page the server serves is the one `npm run build:web` makes, from the current web/ sources.
  ensureWebBuilt();
  dir = mkdtempSync(join(tmpdir(), 'browser-demo-'));
  shots = process.env.DEMO_SCREENSHOTS_DIR ? join(ROOT, process.env.DEMO_SCREENSHOTS_DIR) : join(dir, 'shots');
  mkdirSync(shots, { recursive: true });
  const topicsFile = join(dir, 'topics.json');
  // A topic of the file, with a short inactivity timeout (1 minute), for the race.
  writeFileSync(topicsFile, JSON.stringify([{ id: 'team_charter', name: 'Team charter', settings: { inactivityTimeoutMinutes: 1 } }]));
  server = await startTestServer({
    // No JWT configuration: development mode, where the server signs tokens for /demo.
    env: { JWT_SECRET: '', DATA_DIR: dir, TOPICS_FILE: topicsFile },
    clock: { now: () => Date.now() + offset },
  });
  demoUrl = `${baseOf(server.url)}/demo/`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const byTest = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `demo-${name}.png`) });

async function signIn(page: Page, tenant: string, user: string) {
  await page.goto(demoUrl);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.fill('#tenant', tenant);
  await page.fill('#user', user);
  await byTest(page, 'signin-submit').click();
  await expectText(page, 'whoami-text', `Signed in as ${user} (tenant ${tenant})`);
}

async function expectText(page: Page, testId: string, text: string | RegExp) {
  const el = byTest(page, testId);
  await el.waitFor({ state: 'visible' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const actual = (await el.textContent()) ?? '';
    if (typeof text === 'string' ? actual.trim() === text : text.test(actual)) return;
    if (Date.now() > deadline) throw new Error(`[data-testid=${testId}] says "${actual}", expected ${text}`);
    await page.waitForTimeout(50);
  }
}

async function messages(page: Page) {
  return page.locator('#messages li').evaluateAll((lis) => lis.map((li) => ({ role: li.className, content: li.textContent })));
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${baseOf(server.url)}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('one user: sign in, start, chat, pause, come back 5 days later (idle), resume, complete', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(demoUrl);
  await byTest(page, 'signin').waitFor();
  await shot(page, '1-sign-in');
  await signIn(page, 'acme', 'alice');
  expect(await page.locator('#topic-list button').count()).toBeGreaterThanOrEqual(4);
  await expectText(page, 'topic-status-core_values', 'not started');

  // A free topic: "Start new session".
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Start new session');
  expect(await byTest(page, 'start').isVisible()).toBe(true);
  expect(await byTest(page, 'resume').isVisible()).toBe(false);
  await shot(page, '2-start-new-session');

  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  expect(await messages(page)).toEqual([{ role: 'ASSISTANT', content: expect.any(String) }]);

  await byTest(page, 'message-input').fill('I feel most myself when I help a colleague grow.');
  await byTest(page, 'send').click();
  await page.locator('#messages li').nth(2).waitFor();
  const chat = await messages(page);
  expect(chat.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  // Threading: the reply names the message it answers (inReplyTo); the opening answers nothing.
  const thread = await page.locator('#messages li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-message-id'), li.getAttribute('data-reply-to')]));
  expect(thread[2][1]).toBe(thread[1][0]);
  expect(thread[0][1]).toBeNull();
  expect(chat[1].content).toBe('I feel most myself when I help a colleague grow.');
  expect(chat[2].content!.length).toBeGreaterThan(0);
  await expectText(page, 'topic-status-core_values', 'in progress');
  await shot(page, '3-chat');

  await byTest(page, 'pause').click();
  await expectText(page, 'session-status', 'paused');
  expect(await byTest(page, 'message-input').isVisible()).toBe(false);
  expect(await byTest(page, 'chat-resume').isVisible()).toBe(true);
  await expectText(page, 'topic-status-core_values', 'paused');

  // Five days and a bit later (server clock and browser clock), alice comes back.
  offset = 5 * DAY + 60_000;
  const resumedBefore = await metric('sessions_resumed_after_idle_total', 'topic="core_values"');
  await page.clock.setSystemTime(new Date(Date.now() + offset));
  await page.reload();
  await expectText(page, 'whoami-text', 'Signed in as alice (tenant acme)'); // the token survived the reload
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Resume session');
  await expectText(page, 'idle-note', 'Idle for 5 days');
  expect(await byTest(page, 'start').isVisible()).toBe(false);
  await shot(page, '4-resume-idle-session');

  await byTest(page, 'resume').click();
  await expectText(page, 'session-status', 'active');
  await expectText(page, 'resumed-idle', 'Resumed after being idle for 5 days');
  // The coach welcomes her back, recalling where the conversation stood (docs/coach.md).
  const resumedChat = await messages(page);
  expect(resumedChat.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT', 'ASSISTANT']);
  expect(resumedChat[3].content).toMatch(/^Welcome back! It has been 5 days\. Last time you told me: 'I feel most myself when I help a colleague grow'/);
  await shot(page, '5-resumed-after-idle');
  // The operator's side of the same event.
  expect(await metric('sessions_resumed_after_idle_total', 'topic="core_values"')).toBe(resumedBefore + 1);

  await byTest(page, 'complete').click();
  await expectText(page, 'session-status', 'completed');
  expect(await byTest(page, 'message-input').isVisible()).toBe(false);
  await expectText(page, 'topic-status-core_values', 'completed');
  await shot(page, '6-completed');

  // Completed frees the topic: the check offers a new session again.
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Start new session');
  expect(pageErrors).toEqual([]);
  offset = 0;
  await context.close();
});

test('two browser contexts of one tenant race for one topic: exactly one wins, the other sees "Another user is using this topic"', async () => {
  const [bobContext, carolContext] = [await browser.newContext(), await browser.newContext()];
  const bob = await bobContext.newPage();
  const carol = await carolContext.newPage();
  await Promise.all([signIn(bob, 'globex', 'bob'), signIn(carol, 'globex', 'carol')]);
  for (const page of [bob, carol]) {
    await byTest(page, 'topic-team_charter').click();
    await expectText(page, 'check-title', 'Start new session');
  }

  const conflictsBefore = await metric('session_conflicts_total', 'operation="StartSession"');
  // Both click "Start new session" at the same moment.
  await Promise.all([byTest(bob, 'start').click(), byTest(carol, 'start').click()]);
  const outcome = async (page: Page) => {
    await page.locator('[data-testid="chat"]:not([hidden]), [data-testid="check"].conflict:not([hidden])').waitFor();
    return (await byTest(page, 'chat').isVisible()) ? 'won' : 'conflict';
  };
  const results = { bob: await outcome(bob), carol: await outcome(carol) };
  expect(Object.values(results).sort()).toEqual(['conflict', 'won']);
  const [winner, loser] = results.bob === 'won' ? [bob, carol] : [carol, bob];
  const winnerName = results.bob === 'won' ? 'bob' : 'carol';

  await expectText(winner, 'session-status', 'active');
  await expectText(loser, 'check-title', 'Another user is using this topic');
  await expectText(loser, 'check-detail', new RegExp(`^${winnerName} in your team`));
  expect(await byTest(loser, 'start').isVisible()).toBe(false);
  expect(await byTest(loser, 'recheck').isVisible()).toBe(true);
  await shot(loser, '7-another-user-is-using-this-topic');
  expect(await metric('session_conflicts_total', 'operation="StartSession"')).toBe(conflictsBefore + 1);

  // The store agrees: one session, the winner's.
  const secret = hsSecret(server.config)!;
  const sessionsOf = async (user: string) =>
    ok(await gql(server.url, MySessionsDocument, {}, await signToken(secret, { tenantId: 'globex', userId: user }))).mySessions.edges;
  const [bobs, carols] = [await sessionsOf('bob'), await sessionsOf('carol')];
  expect(bobs.length + carols.length).toBe(1);

  // The loser checks again: still held. Once the winner completes, the topic is free.
  await byTest(loser, 'recheck').click();
  await expectText(loser, 'check-title', 'Another user is using this topic');
  await byTest(winner, 'complete').click();
  await expectText(winner, 'session-status', 'completed');
  await byTest(loser, 'recheck').click();
  await expectText(loser, 'check-title', 'Start new session');
  await byTest(loser, 'start').click();
  await expectText(loser, 'session-status', 'active');

  await bobContext.close();
  await carolContext.close();
});

test('a token the server refuses sends the page back to sign in with the reason', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(demoUrl);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.click('#paste-token summary');
  await page.fill('#token', 'not-a-jwt');
  await page.click('#token-form button');
  await expectText(page, 'error', /UNAUTHENTICATED/);
  expect(await byTest(page, 'signin').isVisible()).toBe(true);
  await context.close();
});

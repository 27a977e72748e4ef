/**
 * The reference client (/demo) in headless Chromium against the whole server on DynamoDB
 * Local: sign in with a development token, pick a topic, see what sessionCheck means,
 * chat, pause, come back days later (the idle card), resume with a slow welcome back,
 * complete (the result); two browser contexts of one tenant racing for one topic; a
 * refused token. The other cards (taken, turn limit, no development tokens): demo-cards.test.ts.
 */
import { MySessionsDocument } from '../generated/graphql/graphql';
import { gql, ok } from '../support/server';
import { SlowWelcomeCoach } from '../support/slow-welcome-coach';
import { signToken } from '../../src/auth/dev-token';
import { hsSecret } from '../../src/app';
import { byTest, DAY, DemoRig, expectText, isShown, messages, metric, moveClocks, openDemo, shot, signIn, startDemoRig } from './demo-helpers';

const coach = new SlowWelcomeCoach();
let rig: DemoRig;

beforeAll(async () => {
  coach.held = false;
  // A topic of the file, with a short inactivity timeout (1 minute), for the race.
  rig = await startDemoRig({
    topics: [{ id: 'team_charter', name: 'Team charter', settings: { inactivityTimeoutMinutes: 1 } }],
    env: { WELCOME_BACK_WAIT_MS: '300' },
    coach,
  });
});

afterAll(async () => {
  coach.release();
  await rig?.close();
});

test('one user: sign in, start, chat, pause, come back 5 days later (idle card), resume (slow welcome back), complete (result)', async () => {
  const context = await rig.browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await openDemo(page, rig.demoUrl);
  // This server signs development tokens: the form, no token field in the way.
  expect(await isShown(page, 'signin-hint')).toBe(true);
  expect(await isShown(page, 'no-dev-tokens')).toBe(false);
  await shot(page, 'sign-in');
  await signIn(page, rig.demoUrl, 'acme', 'alice');
  expect(await page.locator('#topic-list button').count()).toBeGreaterThanOrEqual(4);
  await expectText(page, 'topic-status-core_values', 'not started');

  // A free topic: "Start new session".
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Start new session');
  expect(await isShown(page, 'start')).toBe(true);
  expect(await isShown(page, 'resume')).toBe(false);
  await shot(page, 'start');

  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  expect(await messages(page)).toEqual([{ role: 'ASSISTANT', content: expect.any(String) }]);
  expect(await isShown(page, 'turns')).toBe(false); // core_values has no turn limit

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
  expect(await byTest(page, 'reply-pending').count()).toBe(0);
  await expectText(page, 'topic-status-core_values', 'in progress');
  await shot(page, 'chat');

  await byTest(page, 'pause').click();
  await expectText(page, 'session-status', 'paused');
  expect(await isShown(page, 'message-input')).toBe(false);
  expect(await isShown(page, 'chat-resume')).toBe(true);
  await expectText(page, 'topic-status-core_values', 'paused');

  // Five days and a bit later (server clock and browser clock), alice comes back.
  const resumedBefore = await metric(rig, 'sessions_resumed_after_idle_total', 'topic="core_values"');
  await moveClocks(rig, page, 5 * DAY + 60_000);
  await page.reload();
  await expectText(page, 'whoami-text', 'Signed in as alice (tenant acme)'); // the token survived the reload
  await byTest(page, 'topic-core_values').click();
  // The idle card, from sessionCheck alone: idleSince, lastActivityAt, expiresAt.
  await expectText(page, 'check-title', 'Resume session');
  await expectText(page, 'idle-note', 'Idle for 5 days');
  await expectText(page, 'idle-facts', /^Last active .+\. Kept until .+ unless you come back\.$/);
  expect(await isShown(page, 'start')).toBe(false);
  expect(await isShown(page, 'conflict-idle')).toBe(false);
  await shot(page, 'idle-card');

  // The coach is slower than WELCOME_BACK_WAIT_MS: the session opens at once, the welcome back follows.
  coach.held = true;
  await byTest(page, 'resume').click();
  await expectText(page, 'session-status', 'active');
  await expectText(page, 'resumed-idle', 'Resumed after being idle for 5 days');
  await expectText(page, 'welcome-pending', 'Your coach is writing a welcome back…');
  expect((await messages(page)).map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  await shot(page, 'welcome-back-pending');
  coach.held = false;
  coach.release();
  // It arrives, recalling where the conversation stood (docs/coach.md), in its place.
  await page.locator('#messages li').nth(3).waitFor();
  await byTest(page, 'welcome-pending').waitFor({ state: 'hidden' });
  const resumedChat = await messages(page);
  expect(resumedChat.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT', 'ASSISTANT']);
  expect(resumedChat[3].content).toMatch(/^Welcome back! It has been 5 days\. Last time you told me: 'I feel most myself when I help a colleague grow'/);
  expect(await page.locator('#messages li').nth(3).getAttribute('data-reply-to')).toBeNull();
  await expectText(page, 'session-meta', /^4 messages/);
  await shot(page, 'welcome-back');
  // The operator's side of the same event.
  expect(await metric(rig, 'sessions_resumed_after_idle_total', 'topic="core_values"')).toBe(resumedBefore + 1);

  // Complete: read-only, with the result the coach extracted for the topic's schema.
  await byTest(page, 'complete').click();
  await expectText(page, 'session-status', 'completed');
  expect(await isShown(page, 'message-input')).toBe(false);
  await expectText(page, 'result', /^Your result/);
  const result = (await byTest(page, 'result-value').textContent()) ?? '';
  expect(result).toContain('Values');
  expect(result).toContain('Growth');
  expect(result).toContain('I feel most myself when I help a colleague grow.');
  expect(await byTest(page, 'result-error').count()).toBe(0);
  await expectText(page, 'topic-status-core_values', 'completed');
  await shot(page, 'result');

  // Completed frees the topic: the check offers a new session again.
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Start new session');
  expect(await isShown(page, 'result')).toBe(false);
  expect(pageErrors).toEqual([]);
  rig.clock.offset = 0;
  await context.close();
});

test('two browser contexts of one tenant race for one topic: exactly one wins, the other sees "Another user is using this topic"', async () => {
  const [bobContext, carolContext] = [await rig.browser.newContext(), await rig.browser.newContext()];
  const bob = await bobContext.newPage();
  const carol = await carolContext.newPage();
  await Promise.all([signIn(bob, rig.demoUrl, 'globex', 'bob'), signIn(carol, rig.demoUrl, 'globex', 'carol')]);
  for (const page of [bob, carol]) {
    await byTest(page, 'topic-team_charter').click();
    await expectText(page, 'check-title', 'Start new session');
  }

  const conflictsBefore = await metric(rig, 'session_conflicts_total', 'operation="StartSession"');
  // Both click "Start new session" at the same moment.
  await Promise.all([byTest(bob, 'start').click(), byTest(carol, 'start').click()]);
  const outcome = async (page: typeof bob) => {
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
  expect(await isShown(loser, 'start')).toBe(false);
  expect(await isShown(loser, 'recheck')).toBe(true);
  expect(await metric(rig, 'session_conflicts_total', 'operation="StartSession"')).toBe(conflictsBefore + 1);

  // The store agrees: one session, the winner's.
  const secret = hsSecret(rig.server.config)!;
  const sessionsOf = async (user: string) =>
    ok(await gql(rig.server.url, MySessionsDocument, {}, await signToken(secret, { tenantId: 'globex', userId: user }))).mySessions.edges;
  const [bobs, carols] = [await sessionsOf('bob'), await sessionsOf('carol')];
  expect(bobs.length + carols.length).toBe(1);

  // The loser checks again: still held (not idle: no idle line). Once the winner completes, the topic is free.
  await byTest(loser, 'recheck').click();
  await expectText(loser, 'check-title', 'Another user is using this topic');
  expect(await isShown(loser, 'conflict-idle')).toBe(false);
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
  const context = await rig.browser.newContext();
  const page = await context.newPage();
  await openDemo(page, rig.demoUrl);
  await page.click('#paste-token summary');
  await page.fill('#token', 'not-a-jwt');
  await page.click('#token-form button');
  await expectText(page, 'error', /UNAUTHENTICATED/);
  expect(await isShown(page, 'signin')).toBe(true);
  await context.close();
});

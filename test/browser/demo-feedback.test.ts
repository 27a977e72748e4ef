/**
 * Regenerate and rating in the reference client, in headless Chromium against the whole
 * server on DynamoDB Local: "Regenerate" on the latest reply streams a new one into its
 * place (regenerateReplyStream) and a reload shows the stored one; the stars store a rating
 * (rateReply) that a reload shows and a later one replaces; errors show with their codes
 * and leave the old reply; a paused session offers neither; a socket cut mid-regenerate is
 * resubscribed once and the server's replay makes no second model call.
 */
import type { Page } from 'playwright-core';
import { RegenerateReplyDocument, SessionRatingsDocument, SessionViewDocument } from '../generated/graphql/graphql';
import { gql, ok } from '../support/server';
import { SecondTakeCoach } from '../support/second-take-coach';
import { byTest, closeClean, countSockets, DemoRig, expectText, messages, openChat, openDemo, shot, startDemoRig } from './demo-helpers';

/** A piece every 60 ms: slow enough to see the new reply being written. */
const coach = new SecondTakeCoach(60);
let rig: DemoRig;

beforeAll(async () => {
  rig = await startDemoRig({ coach });
});

afterAll(async () => {
  await rig?.close();
});

afterEach(() => {
  coach.failNext = false;
});

/** A fresh user of a tenant of their own, in a session of core_values with one exchange: opening, message, reply. */
async function chatWithOneExchange(user: string): Promise<Page> {
  const page = await openChat(rig, user);
  await byTest(page, 'message-input').fill('Honesty matters most to me, and helping my team grow.');
  await byTest(page, 'send').click();
  await page.locator('#messages li').nth(2).waitFor();
  await expectText(page, 'session-meta', /^3 messages/);
  return page;
}

/** The session as the server stored it, read with the page's own token. */
async function stored(page: Page) {
  const token = (await page.evaluate('sessionStorage.getItem("demo.token")')) as string;
  const id = (await page.locator('#messages li').first().getAttribute('data-message-id'))!.replace(/:\d+$/, '');
  const view = ok(await gql(rig.server.url, SessionViewDocument, { id, last: 50 }, token)).session!;
  return { token, id, view, messages: view.messages.edges.map((e) => e.node) };
}

/** Reloads the page (the token is kept in the tab) and opens the session again from its resume card. */
async function reloadAndResume(page: Page): Promise<void> {
  await openDemo(page, page.url());
  await byTest(page, 'topic-core_values').click();
  await expectText(page, 'check-title', 'Resume session');
  await byTest(page, 'resume').click();
  await expectText(page, 'session-status', 'active');
  await page.locator('#messages li').nth(2).waitFor();
}

/** Every text a reply being regenerated showed, recorded in the page by a MutationObserver (window.regenTexts). */
const recordRegenTexts = (page: Page) =>
  page.evaluate(`{
    const seen = (window.regenTexts = []);
    new MutationObserver(() => {
      const text = document.querySelector('#messages [data-regenerating="true"]')?.textContent;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.querySelector('#messages'), { childList: true, subtree: true, characterData: true });
  }`);
const regenTexts = (page: Page) => page.evaluate('window.regenTexts') as Promise<string[]>;

const lastReply = (page: Page) => page.locator('#messages li').nth(2);
const pressed = (page: Page, reply = lastReply(page)) =>
  reply.locator('[data-testid="rating"] button').evaluateAll((stars) => stars.map((s) => s.getAttribute('aria-pressed')));

test('"Regenerate" on the latest reply streams a new one into its place; a reload shows the stored one, which takes a rating; the screenshot', async () => {
  const page = await chatWithOneExchange('rita');
  const sent: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  const before = await stored(page);
  const old = before.messages[2];
  // Only the latest reply can be regenerated: not the opening (it answers nothing).
  expect(await page.locator('[data-testid="regenerate"]').count()).toBe(1);
  expect(await lastReply(page).locator('[data-testid="regenerate"]').getAttribute('aria-label')).toBe('Regenerate this reply');

  await recordRegenTexts(page);
  await lastReply(page).locator('[data-testid="regenerate"]').click();
  await page.locator(`#messages li[data-message-id="${before.id}:3r1"]`).waitFor();
  const after = await stored(page);
  // In place, as the coach wrote it: growing beginnings of the new reply, then the stored one.
  const partial = await regenTexts(page);
  expect(partial.length).toBeGreaterThanOrEqual(2);
  for (const [i, text] of partial.entries()) {
    expect(after.messages[2].content.startsWith(text)).toBe(true);
    if (i > 0) expect(text.length).toBeGreaterThan(partial[i - 1].length);
  }
  // One reply in the old one's place: a new id, the same message answered, the new text shown.
  expect(after.messages.map((m) => m.id)).toEqual([`${before.id}:1`, `${before.id}:2`, `${before.id}:3r1`]);
  expect(after.messages[2]).toMatchObject({ inReplyTo: old.inReplyTo, content: expect.stringMatching(/^Another take \(2\): /) });
  expect(await messages(page)).toEqual(after.messages.map((m) => ({ role: m.role, content: m.content })));
  expect(after.view).toMatchObject({ turnCount: 1, messageCount: 3 });
  // It went over graphql-ws, as the turn did.
  expect(sent.some((f) => f.includes('"subscribe"') && f.includes('regenerateReplyStream'))).toBe(true);

  await reloadAndResume(page);
  expect(await messages(page)).toEqual(after.messages.map((m) => ({ role: m.role, content: m.content })));
  expect(await lastReply(page).getAttribute('data-message-id')).toBe(`${before.id}:3r1`);
  // The new reply takes a rating of its own (the old one's id is gone with it).
  await lastReply(page).locator('[data-testid="rate-4"]').click();
  await lastReply(page).locator('[data-testid="rate-4"][aria-pressed="true"]').waitFor();
  expect(ok(await gql(rig.server.url, SessionRatingsDocument, { id: before.id }, before.token)).session!.messages.edges.map((e) => e.node.rating)).toEqual([null, null, 4]);
  await shot(page, 'regenerate-rating', '#panel');
  await closeClean(page);
});

test('the stars store a rating that a reload shows; a later rating replaces it; a paused session offers neither', async () => {
  const page = await chatWithOneExchange('sam');
  const { id, token } = await stored(page);
  const reply = lastReply(page);
  expect(await reply.locator('[data-testid="rating"]').getAttribute('aria-label')).toBe('Rate this reply');
  expect(await pressed(page)).toEqual(['false', 'false', 'false', 'false', 'false']);
  expect(await reply.locator('[data-testid="rate-4"]').getAttribute('aria-label')).toBe('4 of 5');
  await reply.locator('[data-testid="rate-4"]').click();
  await lastReply(page).locator('[data-testid="rate-4"][aria-pressed="true"]').waitFor();
  const ratings = async () => ok(await gql(rig.server.url, SessionRatingsDocument, { id }, token)).session!.messages.edges.map((e) => e.node.rating);
  expect(await ratings()).toEqual([null, null, 4]);
  expect(await lastReply(page).locator('[data-testid="rating"]').getAttribute('aria-label')).toBe('Rated 4 of 5');

  await reloadAndResume(page);
  expect(await pressed(page)).toEqual(['false', 'false', 'false', 'true', 'false']);
  // Any coach message can be rated: the opening too.
  await page.locator('#messages li').first().locator('[data-testid="rate-5"]').click();
  await page.locator('#messages li').first().locator('[data-testid="rate-5"][aria-pressed="true"]').waitFor();
  await lastReply(page).locator('[data-testid="rate-2"]').click();
  await lastReply(page).locator('[data-testid="rate-2"][aria-pressed="true"]').waitFor();
  expect(await ratings()).toEqual([5, null, 2]);

  // Paused: the ratings given stay visible, nothing can be rated or regenerated.
  await byTest(page, 'pause').click();
  await expectText(page, 'session-status', 'paused');
  expect(await page.locator('[data-testid="regenerate"]').count()).toBe(0);
  expect(await page.locator('[data-testid="rating"]').count()).toBe(2);
  expect(await lastReply(page).locator('[data-testid="rate-2"]').isDisabled()).toBe(true);
  await closeClean(page);
});

test('errors show with their codes: the model down leaves the old reply; rating a reply replaced in another tab is NOT_FOUND', async () => {
  const page = await chatWithOneExchange('tess');
  const { id, token, messages: before } = await stored(page);
  coach.failNext = true;
  await lastReply(page).locator('[data-testid="regenerate"]').click();
  await expectText(page, 'error', /\(COACH_UNAVAILABLE\)$/);
  // The old reply stays, in the page and in the store.
  expect(await lastReply(page).getAttribute('data-message-id')).toBe(`${id}:3`);
  expect(await messages(page)).toEqual(before.map((m) => ({ role: m.role, content: m.content })));
  expect((await stored(page)).messages).toEqual(before);

  // Another tab regenerates it: the reply this page shows is gone.
  ok(await gql(rig.server.url, RegenerateReplyDocument, { sessionId: id, messageId: `${id}:3` }, token));
  await lastReply(page).locator('[data-testid="rate-3"]').click();
  await expectText(page, 'error', /\(NOT_FOUND\)$/);
  // ...as is regenerating it again from here: no longer the latest reply.
  await lastReply(page).locator('[data-testid="regenerate"]').click();
  await expectText(page, 'error', /\(BAD_USER_INPUT\)$/);
  const ratings = ok(await gql(rig.server.url, SessionRatingsDocument, { id }, token)).session!.messages.edges.map((e) => e.node.rating);
  expect(ratings).toEqual([null, null, null]);
  await closeClean(page);
});

test('a socket cut mid-regenerate is resubscribed once: the replay shows the new reply, the model was asked once', async () => {
  const page = await chatWithOneExchange('uli');
  const { id } = await stored(page);
  // The regenerate's socket is cut after the first piece of the new reply.
  const count = await countSockets(page, (route, message, n) => {
    if (n === 1 && /"delta":"/.test(message)) void route.close({ code: 4000, reason: 'cut by the test' });
  });
  await lastReply(page).locator('[data-testid="regenerate"]').click();
  await page.locator(`#messages li[data-message-id="${id}:3r1"]`).waitFor();
  expect(count.sockets).toBe(2);
  const after = await stored(page);
  // "Another take (2)": the resubscription followed the running regenerate, no third answer.
  expect(after.messages[2].content).toMatch(/^Another take \(2\): /);
  expect(await messages(page)).toEqual(after.messages.map((m) => ({ role: m.role, content: m.content })));
  expect(await byTest(page, 'error').isVisible()).toBe(false);
  await closeClean(page);
});

/**
 * The reference client's streamed turn in headless Chromium against the whole server on
 * DynamoDB Local: the reply grows piece by piece (sendMessageStream over graphql-ws), then
 * the stored reply takes its place; a socket that drops mid-stream is resubscribed once and
 * the server's replay writes nothing new; without a WebSocket the mutation does the turn;
 * an error of the stream keeps its code. The page is one bundled script, and graphql-ws's
 * createClient speaks the protocol.
 */
import type { Page } from 'playwright-core';
import { CompleteSessionDocument, SessionDocument } from '../generated/graphql/graphql';
import { gql, ok } from '../support/server';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { byTest, closeClean, countSockets, DemoRig, expectText, messages, newPage, openChat, shot, signIn, startDemoRig } from './demo-helpers';

let rig: DemoRig;

beforeAll(async () => {
  // The embedded coach, paced slowly enough that a screenshot catches the reply half written.
  rig = await startDemoRig({ coach: new EmbeddedCoach({ pieceDelayMs: 150 }) });
});

afterAll(async () => {
  await rig?.close();
});

/** Every text the streamed reply bubble showed, recorded in the page by a MutationObserver (window.replyTexts). */
const recordReplyTexts = (page: Page) =>
  page.evaluate(`{
    const seen = (window.replyTexts = []);
    new MutationObserver(() => {
      const bubble = document.querySelector('[data-testid="reply-pending"][data-streaming="true"]');
      if (bubble?.textContent && seen[seen.length - 1] !== bubble.textContent) seen.push(bubble.textContent);
    }).observe(document.querySelector('#pending'), { childList: true, subtree: true, characterData: true });
  }`);
const replyTexts = (page: Page) => page.evaluate('window.replyTexts') as Promise<string[]>;

/** The session as the server stored it, read with the page's own token. */
async function stored(page: Page) {
  const token = (await page.evaluate('sessionStorage.getItem("demo.token")')) as string;
  // A message id is `<sessionId>:<seq>`.
  const id = (await page.locator('#messages li').first().getAttribute('data-message-id'))!.replace(/:\d+$/, '');
  return { token, session: ok(await gql(rig.server.url, SessionDocument, { id, last: 50 }, token)).session! };
}

async function sendAndWaitForReply(page: Page, text: string): Promise<void> {
  await byTest(page, 'message-input').fill(text);
  await byTest(page, 'send').click();
  await page.locator('#messages li').nth(2).waitFor();
  await expectText(page, 'session-meta', /^3 messages/);
}

test('the reply grows piece by piece, then the stored reply takes its place', async () => {
  const page = await openChat(rig, 'stream-alice');
  await recordReplyTexts(page);
  await byTest(page, 'message-input').fill('I feel most myself when I help a colleague grow.');
  await byTest(page, 'send').click();
  // Half written: the bubble shows the text so far, marked as streaming.
  const bubble = page.locator('[data-testid="reply-pending"][data-streaming="true"]');
  while (((await bubble.textContent({ timeout: 10_000 })) ?? '').length < 40) await page.waitForTimeout(20);
  await shot(page, 'streaming');
  await page.locator('#messages li').nth(2).waitFor();
  expect(await byTest(page, 'reply-pending').count()).toBe(0);

  const { session } = await stored(page);
  const reply = session.messages.edges.map((e) => e.node).find((m) => m.role === 'ASSISTANT' && m.inReplyTo)!;
  const shown = await messages(page);
  expect(shown).toEqual([
    { role: 'ASSISTANT', content: expect.any(String) },
    { role: 'USER', content: 'I feel most myself when I help a colleague grow.' },
    { role: 'ASSISTANT', content: reply.content },
  ]);
  // At least two partial states, each a growing beginning of the stored reply and shorter than it.
  const partial = await replyTexts(page);
  expect(partial.length).toBeGreaterThanOrEqual(2);
  for (const [i, text] of partial.entries()) {
    expect(reply.content.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(reply.content.length + (i === partial.length - 1 ? 1 : 0));
    if (i > 0) expect(text.length).toBeGreaterThan(partial[i - 1].length);
  }
  expect(partial[0].length).toBeLessThan(reply.content.length);
  expect(session.messageCount).toBe(3);
  await closeClean(page);
});

test('a socket that drops mid-stream is resubscribed once: the replay shows the reply, nothing is written twice', async () => {
  const page = await openChat(rig, 'stream-bob');
  // The first socket is cut after the first piece of the reply.
  const count = await countSockets(page, (route, message, n) => {
    if (n === 1 && /"delta":"/.test(message)) void route.close({ code: 4000, reason: 'cut by the test' });
  });
  await recordReplyTexts(page);
  await sendAndWaitForReply(page, 'Honesty matters to me more than comfort.');

  expect(count.sockets).toBe(2);
  const { session } = await stored(page);
  const stored3 = session.messages.edges.map((e) => e.node);
  expect(session.messageCount).toBe(3);
  expect((await messages(page)).map((m) => m.content)).toEqual(stored3.map((m) => m.content));
  expect(stored3.filter((m) => m.role === 'USER')).toHaveLength(1);
  expect(await byTest(page, 'error').isVisible()).toBe(false);
  await closeClean(page);
});

test('without a WebSocket the turn goes as the sendMessage mutation, and the page says nothing of it', async () => {
  const page = await openChat(rig, 'stream-carol');
  let attempts = 0;
  // Every socket to /graphql is refused (a proxy without WebSocket upgrades).
  await page.routeWebSocket(/\/graphql$/, (route) => {
    attempts++;
    void route.close({ code: 1011, reason: 'no upgrades here' });
  });
  await recordReplyTexts(page);
  await sendAndWaitForReply(page, 'Fairness is what I notice first.');

  expect(attempts).toBe(1);
  expect(await replyTexts(page)).toEqual([]); // no pieces: the mutation brings the whole reply
  const { session } = await stored(page);
  expect(session.messageCount).toBe(3);
  expect((await messages(page)).map((m) => m.content)).toEqual(session.messages.edges.map((e) => e.node.content));
  expect(await byTest(page, 'error').isVisible()).toBe(false);
  await closeClean(page);
});

test("a stream's error keeps its code, as the mutation shows it", async () => {
  const page = await openChat(rig, 'stream-dave');
  const count = await countSockets(page);
  // Completed in another tab: the page still offers the send box.
  const { token, session } = await stored(page);
  ok(await gql(rig.server.url, CompleteSessionDocument, { sessionId: session.id }, token));
  await byTest(page, 'message-input').fill('Still there?');
  await byTest(page, 'send').click();
  await expectText(page, 'error', /\(SESSION_NOT_LIVE\)$/);
  expect(count.sockets).toBe(1);
  await expectText(page, 'session-status', 'completed');
  expect((await stored(page)).session.messageCount).toBe(1);
  await closeClean(page);
});

test('a socket that drops again after its resubscription: no third socket, the mutation does the turn', async () => {
  const page = await openChat(rig, 'stream-erin');
  // Both sockets are cut after the first piece of the reply.
  const count = await countSockets(page, (route, message) => {
    if (/"delta":"/.test(message)) void route.close({ code: 4000, reason: 'cut by the test' });
  });
  await sendAndWaitForReply(page, 'Courage, mostly.');

  expect(count.sockets).toBe(2);
  const { session } = await stored(page);
  expect(session.messageCount).toBe(3);
  expect((await messages(page)).map((m) => m.content)).toEqual(session.messages.edges.map((e) => e.node.content));
  expect(await byTest(page, 'error').isVisible()).toBe(false);
  await closeClean(page);
});

test("the page is one bundled script, and graphql-ws's createClient speaks the protocol with the token", async () => {
  const page = await newPage(rig);
  const scripts: string[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  // What the page sends on its socket.
  const sent: { type: string; id?: string; payload?: Record<string, unknown> }[] = [];
  let sockets = 0;
  await page.routeWebSocket(/\/graphql$/, (route) => {
    sockets++;
    const server = route.connectToServer();
    route.onMessage((m) => {
      sent.push(JSON.parse(String(m)));
      server.send(m);
    });
  });
  await signIn(page, rig.demoUrl, 't-stream-frank', 'stream-frank');
  await byTest(page, 'topic-core_values').click();
  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  await sendAndWaitForReply(page, 'Curiosity keeps me going.');

  // One script, bundled: no module of its own and no bare `graphql-ws` import left for the browser to resolve.
  expect(scripts).toEqual(['/demo/demo.js']);
  const { token, session } = await stored(page);
  expect(sockets).toBe(1);
  expect(sent.map((m) => m.type)).toEqual(['connection_init', 'subscribe']);
  expect(sent[0].payload).toEqual({ authorization: `Bearer ${token}` });
  // createClient names each operation with a generated v4 UUID (a hand-written client would not need to).
  expect(sent[1].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(sent[1].payload).toMatchObject({
    query: expect.stringContaining('sendMessageStream'),
    variables: { sessionId: session.id, content: 'Curiosity keeps me going.', clientMessageId: expect.any(String) },
  });
  await closeClean(page);
});

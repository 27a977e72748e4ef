/**
 * What the coach remembers, in the reference client (headless Chromium, the whole server on
 * DynamoDB Local, the embedded coach): the session's title appears after the first exchange
 * (written in the background, read again by the page) and names the session on its resume
 * card; "What the coach remembers" says nothing is folded yet, then shows the rolling summary
 * once older turns leave the coach's window (20 messages with the embedded coach).
 */
import { SendMessageDocument, SessionMemoryDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { gql, ok } from '../support/server';
import { signToken } from '../../src/auth/dev-token';
import { hsSecret } from '../../src/app';
import { DEFAULT_SESSION_LIMITS } from '../../src/defaults';
import { byTest, closeClean, DemoRig, expectText, messages, newPage, shot, signIn, startDemoRig } from './demo-helpers';

let rig: DemoRig;
let tokenAs: (tenantId: string, userId: string) => Promise<string>;

beforeAll(async () => {
  rig = await startDemoRig();
  const secret = hsSecret(rig.server.config)!;
  tokenAs = (tenantId, userId) => signToken(secret, { tenantId, userId, roles: [] });
});

afterAll(async () => {
  await rig?.close();
});


const memoryOf = async (id: string, token: string) => ok(await gql(rig.server.url, SessionMemoryDocument, { id }, token)).session!;
const NOTHING_YET = /^Nothing yet: the coach still sees the whole conversation/;

test('the title appears after the first exchange, without a reload; nothing is folded yet', async () => {
  const page = await newPage(rig);
  await signIn(page, rig.demoUrl, 't-ada', 'ada');
  await byTest(page, 'topic-goals').click();
  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  expect(await byTest(page, 'session-title').isVisible()).toBe(false);
  await expectText(page, 'memory-summary', NOTHING_YET);
  await byTest(page, 'message-input').fill('I want to run a marathon next spring. Training starts in January.');
  await byTest(page, 'send').click();
  // The embedded coach's title: the first sentence of the first message.
  await expectText(page, 'session-title', 'I want to run a marathon next spring');
  const token = (await page.evaluate('sessionStorage.getItem("demo.token")')) as string;
  const id = (await page.locator('#messages li').first().getAttribute('data-message-id'))!.replace(/:\d+$/, '');
  expect(await memoryOf(id, token)).toMatchObject({ title: 'I want to run a marathon next spring', summary: null });
  await expectText(page, 'memory-summary', NOTHING_YET);
  await closeClean(page);
});

test('the resume card names the session; the summary appears once older turns are folded; the screenshot', async () => {
  const window = DEFAULT_SESSION_LIMITS.memoryWindow.maxMessages;
  const token = await tokenAs('t-bo', 'bo');
  const session = ok(await gql(rig.server.url, StartSessionDocument, { topicId: 'goals' }, token)).startSession;
  // Turns up to the window: opening + 2 per turn, the next user message still fits it (no fold yet).
  const turnsBefore = Math.floor((window - 2) / 2);
  const said = ['My first goal is to finish the certification by June.', 'I study best early in the morning.', 'My manager agreed to two study days a month.'];
  for (let i = 0; i < turnsBefore; i++) {
    const content = said[i] ?? `Week ${i + 1}: I kept to the plan and logged ${i + 3} hours.`;
    ok(await gql(rig.server.url, SendMessageDocument, { sessionId: session.id, content, clientMessageId: `turn-${i}` }, token));
  }
  await rig.server.app.settled();
  expect(await memoryOf(session.id, token)).toMatchObject({ title: 'My first goal is to finish the certification by June', summary: null });

  const page = await newPage(rig);
  await signIn(page, rig.demoUrl, 't-bo', 'bo');
  await byTest(page, 'topic-goals').click();
  await expectText(page, 'check-title', 'Resume session');
  await expectText(page, 'check-session-title', 'My first goal is to finish the certification by June');
  await byTest(page, 'resume').click();
  await expectText(page, 'session-title', 'My first goal is to finish the certification by June');
  await expectText(page, 'memory-summary', NOTHING_YET);
  expect(await messages(page)).toHaveLength(1 + 2 * turnsBefore);

  // One more turn from the page: the oldest turns leave the window and are folded.
  await byTest(page, 'message-input').fill('Next I want to mentor someone who is starting out.');
  await byTest(page, 'send').click();
  await page.locator('#messages li').nth(2 * turnsBefore + 2).waitFor();
  await expectText(page, 'memory-summary', /^My first goal is to finish the certification by June; I study best early in the morning/);
  await rig.server.app.settled();
  const memory = await memoryOf(session.id, token);
  expect(memory.summary).toMatch(/^My first goal/);
  await expectText(page, 'memory-summary', memory.summary!);
  expect(await byTest(page, 'memory-summary').getAttribute('class')).not.toContain('empty');
  await shot(page, 'memory', '#panel');
  await closeClean(page);
});

/**
 * What the browser tests of the reference client share: a whole server on DynamoDB Local
 * serving /demo (its clock movable, its coach replaceable), Chromium, screenshots, and
 * ways to read the page by its data-testid attributes (text and attributes, never pixels).
 *
 * Screenshots go to DEMO_SCREENSHOTS_DIR when set (`npm run docs:screenshots` writes docs/),
 * else to a temporary folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { Coach } from '../../src/coach/port';
import { baseOf } from '../support/e2e-helpers';
import { startTestServer, TestServer } from '../support/server';
import { Browser, launchChromium } from './chromium';
import { ensureWebBuilt } from './web-build';

const ROOT = join(__dirname, '..', '..');
export const DAY = 86_400_000;

export interface DemoRig {
  server: TestServer;
  browser: Browser;
  demoUrl: string;
  /** The server's clock runs this many ms ahead of real time. */
  clock: { offset: number; now(): number };
  close(): Promise<void>;
}

/**
 * The server (development mode: without `env.JWT_SECRET` it signs its own tokens for /demo)
 * with these topics in a TOPICS_FILE, and Chromium.
 */
export async function startDemoRig(opts: { topics?: unknown[]; env?: Record<string, string>; coach?: Coach } = {}): Promise<DemoRig> {
  // The page the server serves is the one `npm run build:web` makes, from the current web/ sources.
  ensureWebBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'browser-demo-'));
  const topicsFile = join(dir, 'topics.json');
  writeFileSync(topicsFile, JSON.stringify(opts.topics ?? []));
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const server = await startTestServer({
    env: { JWT_SECRET: '', DATA_DIR: dir, TOPICS_FILE: topicsFile, ...opts.env },
    clock,
    coach: opts.coach,
  });
  const browser = await launchChromium();
  return {
    server,
    browser,
    demoUrl: `${baseOf(server.url)}/demo/`,
    clock,
    async close() {
      await browser.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const shotsDir = (() => {
  let dir: string | null = null;
  return () => {
    dir ??= process.env.DEMO_SCREENSHOTS_DIR ? join(ROOT, process.env.DEMO_SCREENSHOTS_DIR) : mkdtempSync(join(tmpdir(), 'demo-shots-'));
    mkdirSync(dir, { recursive: true });
    return dir;
  };
})();

/** docs/demo-<name>.png with `npm run docs:screenshots`: the viewport, or only the element `selector` names (a smaller file). */
export const shot = (page: Page, name: string, selector?: string) => {
  const path = join(shotsDir(), `demo-${name}.png`);
  return selector ? page.locator(selector).screenshot({ path }) : page.screenshot({ path });
};

export const byTest = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** Waits (up to 10 s) until the element is visible and its text is `text` (trimmed) or matches it. */
export async function expectText(page: Page, testId: string, text: string | RegExp): Promise<void> {
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

export const isShown = (page: Page, testId: string) => byTest(page, testId).isVisible();

export async function openDemo(page: Page, demoUrl: string): Promise<void> {
  await page.goto(demoUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}

export async function signIn(page: Page, demoUrl: string, tenant: string, user: string): Promise<void> {
  await openDemo(page, demoUrl);
  await page.fill('#tenant', tenant);
  await page.fill('#user', user);
  await byTest(page, 'signin-submit').click();
  await expectText(page, 'whoami-text', `Signed in as ${user} (tenant ${tenant})`);
}

/** The stored messages shown, in order: role (the item's class) and text (without the controls under it). */
export async function messages(page: Page) {
  return page.locator('#messages li').evaluateAll((lis) => lis.map((li) => ({ role: li.className, content: li.querySelector('.text')?.textContent ?? null })));
}

/** Moves the server's and this page's clocks `ms` ahead of real time. */
export async function moveClocks(rig: DemoRig, page: Page, ms: number): Promise<void> {
  rig.clock.offset = ms;
  await page.clock.setSystemTime(new Date(Date.now() + ms));
}

export async function metric(rig: DemoRig, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${baseOf(rig.server.url)}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const pageErrors = new WeakMap<Page, string[]>();

/** A page in a browser context of its own, its script errors recorded for closeClean. */
export async function newPage(rig: DemoRig): Promise<Page> {
  const page = await (await rig.browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  pageErrors.set(page, errors);
  return page;
}

/** The page had no script errors; then it is closed. */
export async function closeClean(page: Page): Promise<void> {
  expect(pageErrors.get(page)).toEqual([]);
  await page.close();
}

/** Signs in as a fresh user (of a tenant of their own: one live session per tenant and topic) and starts a session of core_values: the chat with its opening. */
export async function openChat(rig: DemoRig, user: string): Promise<Page> {
  const page = await newPage(rig);
  await signIn(page, rig.demoUrl, `t-${user}`, user);
  await byTest(page, 'topic-core_values').click();
  await byTest(page, 'start').click();
  await expectText(page, 'session-status', 'active');
  return page;
}

/** Lets the page's sockets to /graphql through, counting them; `onServerMessage` may act on what the server sends. */
export async function countSockets(page: Page, onServerMessage?: (route: WebSocketRoute, message: string, n: number) => void) {
  const count = { sockets: 0 };
  await page.routeWebSocket(/\/graphql$/, (route) => {
    const n = ++count.sockets;
    const server = route.connectToServer();
    server.onMessage((m) => {
      route.send(m);
      onServerMessage?.(route, String(m), n);
    });
  });
  return count;
}

import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium: browsers cannot be downloaded here, so playwright-core drives the system one (jest.config.js checks the same path). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs (no sandbox as root, no background connections to a closed network). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile. Fails (never skips) when it is missing: outside CI,
 * jest.config.js leaves the browser suite out on a machine without Chromium (and says so);
 * in CI it is required, and .ci/run installs the package.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser tests need Debian's chromium package ` +
        '(as root: apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH. ' +
        'Playwright cannot download browsers here.',
    );
  }
  // Playwright starts Chromium with a fresh temporary --user-data-dir of its own (it refuses the
  // flag in launch()), and each context below is an isolated incognito-like profile: two
  // "users" share no storage.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return {
    newContext: () => browser.newContext({ viewport: { width: 1100, height: 720 } }),
    async close() {
      await browser.close();
    },
  };
}

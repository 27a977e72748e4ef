/**
 * `/demo/?api=<url>` (issue #19): the page sends a kept or development token only to its own
 * origin or to an origin its server lists in CORS_ORIGINS. Any other API, named by a link
 * anyone can make, gets only a token pasted for it, and the page says why.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { byTest, DemoRig, expectText, isShown, openDemo, signIn, startDemoRig } from './demo-helpers';

/** Another API: records every Authorization it is sent, offers development tokens (a lure), refuses every token. */
class OtherApi {
  readonly authorizations: string[] = [];
  readonly paths: string[] = [];
  private server = http.createServer((req, res) => {
    this.paths.push(`${req.method} ${req.url}`);
    if (req.headers.authorization) this.authorizations.push(req.headers.authorization);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    res.setHeader('content-type', 'application/json');
    if (req.url === '/demo/sign-in-options') return void res.end('{"devTokens":true,"reason":null,"apiOrigins":[]}');
    if (req.url === '/demo/token') return void res.end('{"token":"lure.lure.lure"}');
    req.resume();
    res.end('{"errors":[{"message":"Invalid token","extensions":{"code":"UNAUTHENTICATED"}}]}');
  });
  origin = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

let rig: DemoRig;
let other: OtherApi;
let listed: OtherApi;

beforeAll(async () => {
  other = new OtherApi();
  listed = new OtherApi();
  await other.start();
  await listed.start();
  // Only `listed` is in CORS_ORIGINS (the development default for localhost stays).
  rig = await startDemoRig({ env: { CORS_ORIGINS: `http://localhost:*,${listed.origin}` } });
});

afterAll(async () => {
  await rig?.close();
  await other?.stop();
  await listed?.stop();
});

const kept = (page: import('playwright-core').Page) => page.evaluate('sessionStorage.getItem("demo.token")') as Promise<string | null>;

test('an ?api= outside the page origin and CORS_ORIGINS gets no kept or development token: the page asks for one to paste, and says why', async () => {
  const page = await (await rig.browser.newContext()).newPage();
  await signIn(page, rig.demoUrl, 'acme', 'alice');
  const token = await kept(page);
  expect(token).toMatch(/^eyJ/);

  // Same tab (the token is kept in it), a link naming another API.
  await openDemo(page, `${rig.demoUrl}?api=${encodeURIComponent(`${other.origin}/graphql`)}`);
  await expectText(page, 'no-dev-tokens', /neither this page's origin nor listed in its server's CORS_ORIGINS.*paste a token/);
  expect(await isShown(page, 'signin-submit')).toBe(false);
  expect(await isShown(page, 'token-input')).toBe(true);
  expect(await isShown(page, 'workspace')).toBe(false);
  await page.waitForTimeout(300); // any stray request would have been made by now
  expect(other.authorizations).toEqual([]);
  expect(other.paths.filter((p) => p.includes('/demo/'))).toEqual([]);

  // A token pasted for that API is what it gets, and it is not kept in the tab.
  await byTest(page, 'token-input').fill('pasted.for.other');
  await byTest(page, 'token-submit').click();
  await expectText(page, 'error', /Invalid token/);
  expect(other.authorizations).toEqual(['Bearer pasted.for.other']);
  expect(await kept(page)).toBe(token);

  // Back on the page's own API the kept token still works.
  await openDemo(page, rig.demoUrl);
  await expectText(page, 'whoami-text', 'Signed in as alice (tenant acme)');
});

test('an ?api= listed in CORS_ORIGINS gets the kept token, as the page origin does', async () => {
  const page = await (await rig.browser.newContext()).newPage();
  await signIn(page, rig.demoUrl, 'acme', 'bob');
  const token = await kept(page);
  await openDemo(page, `${rig.demoUrl}?api=${encodeURIComponent(`${listed.origin}/graphql`)}`);
  // The listed API refuses it (it is a stand-in), so the page goes back to sign in with its reason.
  await expectText(page, 'error', /Invalid token/);
  expect(listed.authorizations).toEqual([`Bearer ${token}`]);
});

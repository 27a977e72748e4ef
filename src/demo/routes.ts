import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express from 'express';
import { devTokenLifetime, signToken } from '../auth/dev-token';
import type { Logger } from '../logger';
import { hasLoopbackHostHeader, isLoopback } from './loopback';

export { isLoopback, isLoopbackHost, hasLoopbackHostHeader } from './loopback';

/** Where `npm run build:web` puts the reference client (index.html, demo.js, style.css). */
export const DEMO_STATIC_DIR = join(projectRoot(), 'dist', 'web');

export interface DemoRouteOptions {
  /** The folder served at /demo (default: dist/web). */
  staticDir?: string;
  /** Present only in development without JWT configuration; without it there is no POST /demo/token. */
  devToken?: { secret: string; tenantClaim: string; maxLifetimeSeconds: number };
  /** The only other APIs (CORS_ORIGINS entries) the page sends a stored or development token to. */
  apiOrigins?: readonly string[];
  log: Logger;
}

const ID = /^[A-Za-z0-9_.@-]{1,64}$/;

/** GET /demo/sign-in-options: may the page get a development token (else why), and which API origins it may use. */
export interface SignInOptions {
  devTokens: boolean;
  reason: string | null;
  apiOrigins: string[];
}

/** Why there are no development tokens for this request (null: there are). */
export function noDevTokensReason(devTokens: boolean, req: express.Request): string | null {
  if (!devTokens) {
    return 'This server verifies tokens from an identity provider (JWT_SECRET or JWT_JWKS_URL is configured), so it signs none itself: paste a token from your sign-in.';
  }
  if (!isLoopback(req.socket.remoteAddress)) return 'Development tokens are issued only to a browser on the server\'s own machine: paste a token instead.';
  if (!hasLoopbackHostHeader(req)) {
    return `Development tokens are issued only to pages opened as localhost, 127.0.0.1 or [::1] with this server's port (this page is ${JSON.stringify((req.headers.host ?? '').slice(0, 100))}): paste a token instead.`;
  }
  return null;
}

/** The reference client (docs/demo-client.md). */
export function mountDemo(app: express.Express, opts: DemoRouteOptions): void {
  const dir = opts.staticDir ?? DEMO_STATIC_DIR;
  app.use('/demo', (_req, res, next) => {
    // Nobody may frame the page (clickjacking its sign-in or its buttons); X-Frame-Options for older browsers.
    res.set('x-frame-options', 'DENY');
    next();
  });
  app.get('/demo/sign-in-options', (req, res) => {
    const reason = noDevTokensReason(opts.devToken !== undefined, req);
    const body: SignInOptions = { devTokens: reason === null, reason, apiOrigins: [...(opts.apiOrigins ?? [])] };
    res.set('cache-control', 'no-store').json(body);
  });
  if (opts.devToken) {
    const { secret, tenantClaim, maxLifetimeSeconds } = opts.devToken;
    app.post('/demo/token', express.json({ limit: 2048 }), async (req, res) => {
      // A token for any tenant and user: only for someone at this machine, even when HOST opens the port wider.
      if (!isLoopback(req.socket.remoteAddress)) {
        opts.log.warn('development token refused to a remote caller', { remoteAddress: req.socket.remoteAddress });
        res.status(403).json({ error: 'Development tokens are issued only to callers on this machine (loopback)' });
        return;
      }
      // DNS rebinding: a rebound page has a loopback peer too, but sends its own name as Host.
      if (!hasLoopbackHostHeader(req)) {
        opts.log.warn('development token refused to a request for another host name', { host: (req.headers.host ?? '').slice(0, 100) });
        res.status(403).json({ error: "Development tokens are issued only to requests for localhost, 127.0.0.1 or [::1] with this server's port (Host header)" });
        return;
      }
      const body = (req.body ?? {}) as { tenantId?: unknown; userId?: unknown };
      const tenantId = body.tenantId;
      const userId = body.userId;
      if (typeof tenantId !== 'string' || typeof userId !== 'string' || !ID.test(tenantId) || !ID.test(userId)) {
        res.status(400).json({ error: 'tenantId and userId must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "@", "-"' });
        return;
      }
      const token = await signToken(secret, { tenantId, userId, tenantClaim, expiresIn: devTokenLifetime(maxLifetimeSeconds) });
      opts.log.info('development token issued', { tenant: tenantId, user: userId });
      res.set('cache-control', 'no-store').json({ token, tenantId, userId });
    });
  }
  app.use('/demo', (_req, res, next) => {
    // The page talks only to its own origin (or the API named by ?api=) and runs only its own script.
    res.set('content-security-policy', "default-src 'self'; connect-src *; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
    if (!existsSync(join(dir, 'index.html'))) {
      res.status(503).type('text/plain').send('The demo client is not built: run `npm run build:web` (npm start and npm test do).\n');
      return;
    }
    next();
  });
  app.use('/demo', express.static(dir, { index: 'index.html', fallthrough: true, maxAge: 0 }));
}

/** The folder holding package.json, from src/demo (ts-node, jest) or dist/src/demo (built). */
function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

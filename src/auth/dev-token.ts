import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { ensurePrivateDir } from '../private-dir';

/** Development only: the server signs its own tokens with a secret under DATA_DIR, so they survive a restart. */
export function devSecret(dataDir: string): string {
  const file = join(dataDir, 'dev-jwt-secret');
  // 0700 directory, 0600 files: also for a secret written by an earlier version.
  ensurePrivateDir(dataDir);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Development tokens last 12 hours, or JWT_MAX_LIFETIME_SECONDS when that is shorter, so the server accepts them. */
export const devTokenLifetime = (maxLifetimeSeconds: number) => `${Math.min(12 * 3600, maxLifetimeSeconds)}s`;

export interface TokenClaims {
  tenantId: string;
  userId: string;
  roles?: string[];
  tenantClaim?: string;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

export function signToken(secret: string, c: TokenClaims): Promise<string> {
  const jwt = new SignJWT({ [c.tenantClaim ?? 'tenant_id']: c.tenantId, roles: c.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(c.userId)
    .setIssuedAt()
    .setExpirationTime(c.expiresIn ?? '12h');
  if (c.issuer) jwt.setIssuer(c.issuer);
  if (c.audience) jwt.setAudience(c.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

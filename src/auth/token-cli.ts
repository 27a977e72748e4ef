import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { decodeJwt } from 'jose';
import { devSecret, devTokenLifetime, signToken } from './dev-token';

/** `npm run token -- --tenant T --user U [--roles admin] [--expires 12h]` (docs/security.md). */
async function main() {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string', default: 'demo-tenant' },
      user: { type: 'string', default: 'demo-user' },
      roles: { type: 'string', default: '' },
      expires: { type: 'string' },
    },
  });
  const config = loadConfig(process.env);
  if (config.auth.jwksUrl) throw new Error('JWT_JWKS_URL is set: tokens come from your identity provider, not from here');
  const secret = config.auth.secret ?? devSecret(config.dataDir);
  const max = config.auth.maxTokenLifetimeSeconds;
  const token = await signToken(secret, {
    tenantId: values.tenant!,
    userId: values.user!,
    roles: values.roles ? values.roles.split(',').map((r) => r.trim()).filter(Boolean) : [],
    tenantClaim: config.auth.tenantClaim,
    expiresIn: values.expires ?? devTokenLifetime(max),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  const { exp, iat } = decodeJwt(token);
  if (exp! - iat! > max) throw new Error(`--expires ${values.expires} is longer than JWT_MAX_LIFETIME_SECONDS (${max} s): the server would refuse the token`);
  process.stdout.write(token + '\n');
}

main().catch((e) => {
  process.stderr.write(`token: ${(e as Error).message}\n`);
  process.exit(1);
});

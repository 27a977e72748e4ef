import { resolve } from 'node:path';
import { LogLevel } from './logger';
import { CoachConfig, parseCoachConfig } from './coach/factory';
import { DEFAULT_COACH_TIMEOUT_MS } from './coach/timeout';

/** Everything the server reads from the environment, validated once at start. */
export interface Config {
  production: boolean;
  port: number;
  host: string | undefined;
  dataDir: string;
  /** 'embedded' (DynamoDB Local started by the server), 'aws', or an endpoint URL. */
  dynamo: { mode: 'embedded' } | { mode: 'aws' } | { mode: 'endpoint'; url: string };
  region: string;
  tableName: string;
  auth: AuthConfig;
  topicsFile: string | undefined;
  /** Which coach answers: the embedded one (default) or a model adapter. */
  coach: CoachConfig;
  logLevel: LogLevel;
  limits: {
    maxMessageChars: number;
    bodyLimitBytes: number;
    maxQueryDepth: number;
    /** Most field selections (aliases and fragment expansions included) one operation may make. */
    maxQueryCost: number;
    /** Longest wait for one coach call (reply or opening) before COACH_UNAVAILABLE. */
    coachTimeoutMs: number;
  };
}

export interface AuthConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  tenantClaim: string;
  rolesClaim: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Defaults shared with the layers that apply them when a caller passes none. */
export const DEFAULT_MAX_QUERY_COST = 300;
export { DEFAULT_COACH_TIMEOUT_MS };

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const auth: AuthConfig = {
    secret: nonEmpty(env.JWT_SECRET),
    jwksUrl: nonEmpty(env.JWT_JWKS_URL),
    issuer: nonEmpty(env.JWT_ISSUER),
    audience: nonEmpty(env.JWT_AUDIENCE),
    tenantClaim: nonEmpty(env.JWT_TENANT_CLAIM) ?? 'tenant_id',
    rolesClaim: nonEmpty(env.JWT_ROLES_CLAIM) ?? 'roles',
  };
  if (auth.secret && auth.jwksUrl) throw new ConfigError('Set JWT_SECRET or JWT_JWKS_URL, not both');
  if (auth.secret && Buffer.byteLength(auth.secret) < 32) throw new ConfigError('JWT_SECRET must be at least 32 bytes long');
  if (auth.jwksUrl) url(auth.jwksUrl, 'JWT_JWKS_URL');
  if (production && !auth.secret && !auth.jwksUrl) {
    throw new ConfigError('NODE_ENV=production needs token verification: set JWT_SECRET (HS256) or JWT_JWKS_URL');
  }
  const endpoint = nonEmpty(env.DYNAMODB_ENDPOINT);
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  return {
    production,
    port: int(env.PORT, 'PORT', 4000, 0, 65535),
    host: nonEmpty(env.HOST),
    dataDir: resolve(nonEmpty(env.DATA_DIR) ?? '.data'),
    dynamo: !endpoint ? { mode: 'embedded' } : endpoint === 'aws' ? { mode: 'aws' } : { mode: 'endpoint', url: url(endpoint, 'DYNAMODB_ENDPOINT') },
    region,
    tableName: tableName(nonEmpty(env.TABLE_NAME) ?? 'coaching-sessions'),
    auth,
    topicsFile: nonEmpty(env.TOPICS_FILE),
    coach: parseCoachConfig(env, region, (message) => new ConfigError(message)),
    logLevel: logLevel(env.LOG_LEVEL),
    limits: {
      maxMessageChars: int(env.MAX_MESSAGE_CHARS, 'MAX_MESSAGE_CHARS', 4000, 1, 100_000),
      bodyLimitBytes: int(env.BODY_LIMIT_BYTES, 'BODY_LIMIT_BYTES', 100_000, 1000, 10_000_000),
      maxQueryDepth: int(env.MAX_QUERY_DEPTH, 'MAX_QUERY_DEPTH', 10, 2, 100),
      maxQueryCost: int(env.MAX_QUERY_COST, 'MAX_QUERY_COST', DEFAULT_MAX_QUERY_COST, 10, 100_000),
      coachTimeoutMs: int(env.COACH_TIMEOUT_MS, 'COACH_TIMEOUT_MS', DEFAULT_COACH_TIMEOUT_MS, 1, 600_000),
    },
  };
}

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

function int(v: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (nonEmpty(v) === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function url(v: string, name: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return v;
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (or "aws" for DYNAMODB_ENDPOINT), got "${v}"`);
  }
}

function tableName(v: string): string {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(v)) throw new ConfigError(`TABLE_NAME must be 3-255 characters of a-z, A-Z, 0-9, "_", "-", "."`);
  return v;
}

function logLevel(v: string | undefined): LogLevel {
  const level = nonEmpty(v) ?? 'info';
  if (!['silent', 'error', 'warn', 'info'].includes(level)) throw new ConfigError(`LOG_LEVEL must be silent, error, warn or info`);
  return level as LogLevel;
}

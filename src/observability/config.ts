/**
 * Observability and demo settings, read from the environment next to the main Config
 * (src/config.ts). All optional:
 * - LOG_PRETTY=true|false: human-readable log lines (default: only when stderr is a TTY and not production).
 * - LOG_MESSAGE_CONTENT=true: also log GraphQL variables (message contents) per operation; debugging only.
 * - METRICS_ENABLED=false: no GET /metrics (default: on, in every mode).
 * - DEMO_ENABLED=false: no /demo page in development (it never exists in production).
 */
export interface ObservabilityConfig {
  logPretty: boolean;
  logMessageContent: boolean;
  metricsEnabled: boolean;
  demoEnabled: boolean;
}

export class ObservabilityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadObservabilityConfig(env: Env = process.env, stderrIsTty = Boolean(process.stderr.isTTY)): ObservabilityConfig {
  const production = env.NODE_ENV === 'production';
  return {
    logPretty: bool(env, 'LOG_PRETTY', stderrIsTty && !production),
    logMessageContent: bool(env, 'LOG_MESSAGE_CONTENT', false),
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    demoEnabled: bool(env, 'DEMO_ENABLED', true),
  };
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ObservabilityConfigError(`${name} must be true or false, got "${env[name]}"`);
}

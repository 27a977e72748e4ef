import { getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { buildSchema } from '../../src/schema';
import { depthLimit } from '../../src/graphql/depth-limit';
import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_COACH_TIMEOUT_MS, DEFAULT_MAX_QUERY_COST } from '../../src/defaults';
import { CoachTimeoutError, withCoachTimeout } from '../../src/coach/timeout';
import { createDynamoClient } from '../../src/store/client';

const schema = buildSchema();
const errorsOf = (query: string, rules = [depthLimit(10)]) => validate(schema, parse(query), [...specifiedRules, ...rules]).map((e) => e.message);

// The cost limit (page sizes, store and coach calls) is tested in cost.test.ts.
describe('depth limit', () => {
  test('introspection is exempt (Sandbox and codegen need it; production turns it off)', () => {
    expect(errorsOf(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), [depthLimit(3)])).toEqual([]);
  });

  test('a fragment bomb (2^60 fields) and a fragment cycle finish at once', () => {
    const levels = 60;
    const frags = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { topics { id } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    // Before memoisation, the depth limit alone walked all 2^60 spreads: this never returned.
    expect(errorsOf(`{ ...F0 } ${frags}`)).toEqual([]);
    const cycle = errorsOf('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A topics { id } }');
    expect(cycle.some((m) => /cannot spread fragment/i.test(m))).toBe(true);
  });
});

describe('configuration of the new limits', () => {
  test('defaults, and values from the environment', () => {
    const d = loadConfig({});
    expect(d.limits).toMatchObject({ maxQueryCost: DEFAULT_MAX_QUERY_COST, coachTimeoutMs: DEFAULT_COACH_TIMEOUT_MS });
    expect(DEFAULT_COACH_TIMEOUT_MS).toBe(30_000);
    const c = loadConfig({ MAX_QUERY_COST: '500', COACH_TIMEOUT_MS: '2500' });
    expect(c.limits).toMatchObject({ maxQueryCost: 500, coachTimeoutMs: 2500 });
  });

  test.each([['MAX_QUERY_COST', '0'], ['MAX_QUERY_COST', 'lots'], ['COACH_TIMEOUT_MS', '-1'], ['COACH_TIMEOUT_MS', '1.5']])('%s=%s is refused', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  });
});

describe('coach timeout', () => {
  test('a call that answers in time passes through; the signal is not aborted', async () => {
    let signal: AbortSignal | undefined;
    await expect(withCoachTimeout(1000, async (s) => ((signal = s), 'hello'))).resolves.toBe('hello');
    expect(signal!.aborted).toBe(false);
  });

  test('a call that never answers is given up at the deadline, and its signal aborts', async () => {
    let signal: AbortSignal | undefined;
    const hung = withCoachTimeout(20, (s) => ((signal = s), new Promise<string>(() => undefined)));
    await expect(hung).rejects.toBeInstanceOf(CoachTimeoutError);
    expect(signal!.aborted).toBe(true);
  });

  test('a failure inside the deadline is passed on as is', async () => {
    await expect(withCoachTimeout(1000, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

test('the DynamoDB client is bounded on purpose: 3 attempts, 1 s connect, 5 s per request, and it throws on timeout', async () => {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: 'http://127.0.0.1:1' });
  try {
    expect(await client.config.maxAttempts()).toBe(3);
    const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    const cfg = await handler.configProvider;
    expect(cfg).toMatchObject({ connectionTimeout: 1000, requestTimeout: 5000, throwOnRequestTimeout: true });
  } finally {
    client.destroy();
  }
});

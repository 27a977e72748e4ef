/**
 * The operator's view over HTTP: one structured log line per operation (request id, name,
 * tenant, duration, DynamoDB requests and capacity, outcome code; no tokens, no message
 * contents unless LOG_MESSAGE_CONTENT), and the Prometheus metrics on GET /metrics.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { print } from 'graphql';
import {
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { App, startApp } from '../../src/app';
import { Coach } from '../../src/coach/port';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createDynamoClient } from '../../src/store/client';
import { createTestTable, TestTable } from '../support/dynamo';
import { baseOf } from '../support/e2e-helpers';
import { gql, ok, post, TEST_SECRET, tokenFor } from '../support/server';

const MINUTE = 60_000;

interface Running {
  app: App;
  url: string;
  lines: Record<string, unknown>[];
  clock: { offset: number };
  coach: { failing: boolean };
  stop(): Promise<void>;
}

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table?.drop());

/** The app with a logger writing into `lines`, a movable clock and a coach that can fail. */
async function start(env: Record<string, string> = {}): Promise<Running> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s) => lines.push(JSON.parse(s)) } });
  // stderr is not a TTY for the observability settings: LOG_PRETTY stays off unless `env` says.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, ...env }, false);
  const dynamo: DynamoDBClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  const clock = { offset: 0 };
  const coachState = { failing: false };
  const embedded = new EmbeddedCoach();
  const coach: Coach = {
    name: 'flaky',
    opening: (t) => embedded.opening(t),
    reply: async (turn) => {
      if (coachState.failing) throw new Error('model timed out');
      return embedded.reply(turn);
    },
    welcomeBack: (turn) => embedded.welcomeBack(turn),
    extractResult: (request) => embedded.extractResult(request),
    summarize: (request) => embedded.summarize(request),
    title: (request) => embedded.title(request),
  };
  const app = await startApp({
    config,
    dynamo,
    log,
    coach,
    clock: { now: () => Date.now() + clock.offset },
  });
  return {
    app,
    url: app.server.url,
    lines,
    clock,
    coach: coachState,
    async stop() {
      await app.stop();
      dynamo.destroy();
    },
  };
}

const operationLines = (r: Running) => r.lines.filter((l) => l.msg === 'graphql operation');
const lastOperation = (r: Running) => operationLines(r).at(-1)!;

async function scrape(r: Running): Promise<string> {
  const res = await fetch(`${baseOf(r.url)}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('DynamoDB cost per operation in the log: one operation in LOG_DYNAMO_COST_EVERY', () => {
  const run = async (r: Running, n: number) => {
    // Five users, so that no one goes past the rate limit's burst.
    const tokens = await Promise.all([0, 1, 2, 3, 4].map((u) => tokenFor('cost-tenant', `user-${u}`)));
    for (let i = 0; i < n; i++) ok(await gql(r.url, SessionCheckDocument, { topicId: 'purpose' }, tokens[i % 5]));
    return operationLines(r).map((l) => l.dynamo as { requests: number } | undefined);
  };

  test('by default one in 100 (the first, the 101st, ...; a turn that comes within the time budget passes to the next); the others carry no dynamo field', async () => {
    // Without rate limits: this test may need more operations than a user's burst.
    const r = await start({ RATE_LIMIT_ENABLED: 'false' });
    try {
      const countedIn = (costs: unknown[]) => costs.map((c, i) => (c ? i : -1)).filter((i) => i >= 0);
      // A counted operation holds the next turn back for nine times its own length
      // (http/cost-sampler.ts), and the first one is slow (it also loads its tenant's topic
      // catalogue). How many operations that wait spans depends on the machine, so more are
      // run until three have counted (a bounded number), instead of timing them.
      let costs = await run(r, 301);
      while (countedIn(costs).length < 3 && costs.length < 3001) costs = await run(r, 100);
      const counted = countedIn(costs);
      expect(counted[0]).toBe(0);
      expect(counted.length).toBeGreaterThanOrEqual(3);
      // A turn comes every 100th operation and waits for at most one taker: after a counted
      // operation, the next counted one is at or past the next multiple of 100.
      counted.slice(1).forEach((i, k) => expect(i).toBeGreaterThanOrEqual(100 * (Math.floor(counted[k] / 100) + 1)));
      // The first operation of a tenant also loads its topic catalogue (one Query).
      expect(costs[0]!.requests).toBe(2);
      for (const i of counted.slice(1)) expect(costs[i]!.requests).toBe(1);
    } finally {
      await r.stop();
    }
  });

  test('0: none', async () => {
    const r = await start({ LOG_DYNAMO_COST_EVERY: '0' });
    try {
      expect((await run(r, 5)).filter(Boolean)).toEqual([]);
    } finally {
      await r.stop();
    }
  });
});

describe('logs', () => {
  let r: Running;
  // Every operation's DynamoDB cost (the default counts one in LOG_DYNAMO_COST_EVERY: below).
  beforeAll(async () => (r = await start({ LOG_DYNAMO_COST_EVERY: '1' })));
  afterAll(() => r.stop());

  test('one JSON line per operation: request id, name, tenant, duration, DynamoDB requests and capacity, outcome', async () => {
    const token = await tokenFor('log-tenant', 'alice');
    // Uncounted warm-up: the tenant's topic catalogue is one Query per tenant per cache
    // lifetime (src/topics/tenant-topics.ts); the logged count below is the steady-state one.
    await (await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ topics { id } }' }) })).json();
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'req-123' },
      // The typed document, printed; a raw request lets this test set the request id header.
      body: JSON.stringify({ query: print(SessionCheckDocument), variables: { topicId: 'purpose' } }),
    });
    expect(res.headers.get('x-request-id')).toBe('req-123');
    await res.json();
    const line = lastOperation(r);
    expect(line).toMatchObject({
      level: 'info',
      requestId: 'req-123',
      operation: 'SessionCheck',
      operationType: 'query',
      tenant: 'log-tenant',
      user: 'alice',
      code: 'OK',
      httpStatus: 200,
      dynamo: { requests: 1, readCapacity: expect.any(Number), writeCapacity: 0, throttles: 0 },
      variables: { topicId: 'purpose' },
    });
    expect(typeof line.durationMs).toBe('number');
    expect(typeof line.time).toBe('string');
    expect(JSON.stringify(r.lines)).not.toContain(token);
  });

  test('a request without an id gets one, echoed in the response and logged', async () => {
    const token = await tokenFor('log-tenant', 'alice');
    const res = await fetch(r.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ topics { id } }' }),
    });
    await res.json();
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastOperation(r)).toMatchObject({ requestId: id, operation: 'anonymous', code: 'OK' });
  });

  test('the outcome is the first error code; message contents and tokens never appear', async () => {
    const token = await tokenFor('log-tenant', 'bob');
    const secretWords = 'my very private reflection 4711';
    const s = ok(await gql(r.url, StartSessionDocument, { topicId: 'vision' }, token)).startSession;
    ok(await gql(r.url, SendMessageDocument, { sessionId: s.id, content: secretWords, clientMessageId: 'c1' }, token));
    expect(lastOperation(r)).toMatchObject({ operation: 'SendMessage', code: 'OK', variables: { sessionId: s.id, clientMessageId: 'c1' } });
    expect((lastOperation(r).dynamo as { writeCapacity: number }).writeCapacity).toBeGreaterThan(0);

    // Another user of the tenant: SESSION_CONFLICT.
    await gql(r.url, StartSessionDocument, { topicId: 'vision' }, await tokenFor('log-tenant', 'carol'));
    expect(lastOperation(r)).toMatchObject({ operation: 'StartSession', code: 'SESSION_CONFLICT', user: 'carol' });

    // The coach fails: COACH_UNAVAILABLE at warn, and the coach's own failure line.
    r.coach.failing = true;
    await gql(r.url, SendMessageDocument, { sessionId: s.id, content: secretWords }, token);
    r.coach.failing = false;
    expect(lastOperation(r)).toMatchObject({ operation: 'SendMessage', code: 'COACH_UNAVAILABLE', level: 'warn' });
    expect(r.lines.some((l) => l.msg === 'coach call failed' && l.coach === 'flaky' && l.call === 'reply')).toBe(true);

    // A forged token: refused before Apollo runs the operation, still one line.
    await post(r.url, JSON.stringify({ query: '{ topics { id } }', operationName: null }), { authorization: 'Bearer forged.token.here' });
    expect(lastOperation(r)).toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401 });

    const all = JSON.stringify(r.lines);
    expect(all).not.toContain(secretWords);
    expect(all).not.toContain(token);
    expect(all).not.toContain('forged.token.here');
  });
});

test('LOG_MESSAGE_CONTENT=true logs the variables, message contents included', async () => {
  const r = await start({ LOG_MESSAGE_CONTENT: 'true' });
  try {
    const token = await tokenFor('log-debug', 'dana');
    const s = ok(await gql(r.url, StartSessionDocument, { topicId: 'goals' }, token)).startSession;
    ok(await gql(r.url, SendMessageDocument, { sessionId: s.id, content: 'debug me please' }, token));
    expect(lastOperation(r).variables).toEqual({ sessionId: s.id, content: 'debug me please' });
  } finally {
    await r.stop();
  }
});

describe('metrics', () => {
  let r: Running;
  beforeAll(async () => (r = await start()));
  afterAll(() => r.stop());

  test('operations and latency by outcome, DynamoDB requests and capacity, coach latency and failures, conflicts', async () => {
    const alice = await tokenFor('metrics-tenant', 'alice');
    const s = ok(await gql(r.url, StartSessionDocument, { topicId: 'strengths' }, alice)).startSession;
    ok(await gql(r.url, SendMessageDocument, { sessionId: s.id, content: 'hello' }, alice));
    r.coach.failing = true;
    await gql(r.url, SendMessageDocument, { sessionId: s.id, content: 'hello again' }, alice);
    r.coach.failing = false;
    await gql(r.url, StartSessionDocument, { topicId: 'strengths' }, await tokenFor('metrics-tenant', 'bob'));

    const text = await scrape(r);
    expect(value(text, 'graphql_operations_total{operation="StartSession",code="OK"}')).toBe(1);
    expect(value(text, 'graphql_operations_total{operation="StartSession",code="SESSION_CONFLICT"}')).toBe(1);
    expect(value(text, 'graphql_operations_total{operation="SendMessage",code="OK"}')).toBe(1);
    expect(value(text, 'graphql_operations_total{operation="SendMessage",code="COACH_UNAVAILABLE"}')).toBe(1);
    expect(value(text, 'graphql_operation_duration_seconds_count{operation="SendMessage",code="OK"}')).toBe(1);
    expect(text).toMatch(/graphql_operation_duration_seconds_bucket\{le="0\.1",operation="StartSession",code="OK"\} \d/);
    expect(value(text, 'session_conflicts_total{operation="StartSession"}')).toBe(1);
    expect(value(text, 'dynamodb_requests_total{command="TransactWriteItemsCommand"}')).toBeGreaterThan(0);
    expect(value(text, 'dynamodb_consumed_capacity_units_total{kind="write"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE dynamodb_throttles_total counter');
    expect(value(text, 'coach_requests_total{coach="flaky",call="reply",outcome="ok"}')).toBe(1);
    expect(value(text, 'coach_requests_total{coach="flaky",call="reply",outcome="error"}')).toBe(1);
    expect(value(text, 'coach_requests_total{coach="flaky",call="opening",outcome="ok"}')).toBe(1);
    expect(value(text, 'coach_duration_seconds_count{coach="flaky",call="reply",outcome="error"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('sessions resumed after being idle: a PAUSED one resumed, and an ACTIVE one returned by startSession', async () => {
    const erin = await tokenFor('metrics-tenant', 'erin');
    const paused = ok(await gql(r.url, StartSessionDocument, { topicId: 'purpose' }, erin)).startSession;
    ok(await gql(r.url, PauseSessionDocument, { sessionId: paused.id }, erin));
    const frank = await tokenFor('metrics-tenant', 'frank');
    ok(await gql(r.url, StartSessionDocument, { topicId: 'core_values' }, frank));

    // Within the inactivity timeout (30 min): resuming is not "after idle".
    r.clock.offset = 10 * MINUTE;
    ok(await gql(r.url, StartSessionDocument, { topicId: 'core_values' }, frank));
    let text = await scrape(r);
    expect(value(text, 'sessions_resumed_after_idle_total{topic="core_values"}')).toBeUndefined();

    // Three days later both come back.
    r.clock.offset = 3 * 86_400_000;
    ok(await gql(r.url, ResumeSessionDocument, { sessionId: paused.id }, erin));
    ok(await gql(r.url, StartSessionDocument, { topicId: 'core_values' }, frank));
    // Resuming again right away is not "after idle": the first resume touched the session.
    ok(await gql(r.url, ResumeSessionDocument, { sessionId: paused.id }, erin));
    text = await scrape(r);
    expect(value(text, 'sessions_resumed_after_idle_total{topic="purpose"}')).toBe(1);
    expect(value(text, 'sessions_resumed_after_idle_total{topic="core_values"}')).toBe(1);
    expect(value(text, 'session_idle_before_resume_seconds_count{topic="purpose"}')).toBe(1);
    const idleSeconds = value(text, 'session_idle_before_resume_seconds_sum{topic="purpose"}')!;
    expect(idleSeconds).toBeGreaterThanOrEqual(3 * 86400 - 60);
    expect(idleSeconds).toBeLessThanOrEqual(3 * 86400 + 60);
    // The check stays side-effect free and uncounted.
    ok(await gql(r.url, SessionCheckDocument, { topicId: 'purpose' }, erin));
    expect(value(await scrape(r), 'sessions_resumed_after_idle_total{topic="purpose"}')).toBe(1);
    r.clock.offset = 0;
  });

  test('METRICS_ENABLED=false removes the endpoint; operation names cannot blow up the label set', async () => {
    const off = await start({ METRICS_ENABLED: 'false' });
    try {
      expect((await fetch(`${baseOf(off.url)}/metrics`)).status).toBe(404);
    } finally {
      await off.stop();
    }
    const token = await tokenFor('metrics-tenant', 'gus');
    await post(r.url, JSON.stringify({ query: 'query Weird_Name_1 { topics { id } }' }), { authorization: `Bearer ${token}` });
    const text = await scrape(r);
    expect(value(text, 'graphql_operations_total{operation="Weird_Name_1",code="OK"}')).toBe(1);
  });
});

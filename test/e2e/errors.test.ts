import http from 'node:http';
import { AddressInfo } from 'node:net';
import { freePort } from '../../src/embedded/dynamo-local';
import { createDynamoClient } from '../../src/store/client';
import { newSessionId } from '../../src/domain/ids';
import {
  CancelSessionDocument,
  CompleteSessionDocument,
  MySessionsDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { baseOf, expectCode, expectNoInternals, expectStoreUnavailable, rawGql } from '../support/e2e-helpers';
import { gql, GqlResult, ok, post, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
let alice: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await tokenFor('errors', 'alice');
});
afterAll(() => server?.stop());

const TOPICS = ['core_values', 'purpose', 'vision', 'strengths', 'goals'];

/** Everything the caller can observe about their sessions. */
async function observable(token: string, url = server.url) {
  const checks = await Promise.all(TOPICS.map(async (topicId) => ok(await gql(url, SessionCheckDocument, { topicId }, token)).sessionCheck));
  const sessions = ok(await gql(url, MySessionsDocument, { first: 100 }, token)).mySessions.edges.map((e) => e.node);
  const messages = await Promise.all(
    sessions.map(async (s) => ok(await gql(url, SessionDocument, { id: s.id, first: 100 }, token)).session?.messages.edges.map((e) => e.node)),
  );
  return { checks, sessions, messages };
}

describe('bad input -> BAD_USER_INPUT, and nothing is written', () => {
  let sessionId: string;
  let before: Awaited<ReturnType<typeof observable>>;

  beforeAll(async () => {
    sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession.id;
    ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'first words', clientMessageId: 'c-1' }, alice));
    before = await observable(alice);
  });

  const cases: [string, () => Promise<GqlResult<unknown>>][] = [
    ['startSession with an unknown topic', () => gql(server.url, StartSessionDocument, { topicId: 'no-such-topic' }, alice)],
    ['startSession(restart) with an unknown topic', () => gql(server.url, StartSessionDocument, { topicId: 'no-such-topic', restart: true }, alice)],
    ['startSession with a topic id that cannot be one', () => gql(server.url, StartSessionDocument, { topicId: 'Bad Topic!'.repeat(100) }, alice)],
    ['sessionCheck with an unknown topic', () => gql(server.url, SessionCheckDocument, { topicId: 'no-such-topic' }, alice)],
    ['an empty message', () => gql(server.url, SendMessageDocument, { sessionId, content: '' }, alice)],
    ['a whitespace-only message', () => gql(server.url, SendMessageDocument, { sessionId, content: '  \n\t  ' }, alice)],
    ['a message of 4001 characters', () => gql(server.url, SendMessageDocument, { sessionId, content: 'x'.repeat(4001) }, alice)],
    ['a message of 50,000 characters', () => gql(server.url, SendMessageDocument, { sessionId, content: 'y'.repeat(50_000) }, alice)],
    ['a message with control characters', () => gql(server.url, SendMessageDocument, { sessionId, content: 'hi\u0000there' }, alice)],
    ['a malformed clientMessageId', () => gql(server.url, SendMessageDocument, { sessionId, content: 'hello', clientMessageId: 'has spaces!' }, alice)],
    ['sendMessage with a malformed session id', () => gql(server.url, SendMessageDocument, { sessionId: 'not-a-session', content: 'hello' }, alice)],
    ['pauseSession with a malformed session id', () => gql(server.url, PauseSessionDocument, { sessionId: "ses_'; DROP TABLE" }, alice)],
    ['resumeSession with a malformed session id', () => gql(server.url, ResumeSessionDocument, { sessionId: 'x' }, alice)],
    ['completeSession with a malformed session id', () => gql(server.url, CompleteSessionDocument, { sessionId: sessionId.toLowerCase() }, alice)],
    ['cancelSession with a malformed session id', () => gql(server.url, CancelSessionDocument, { sessionId: `${sessionId}0` }, alice)],
    ['mySessions(after: garbage)', () => gql(server.url, MySessionsDocument, { after: 'garbage' }, alice)],
    ['mySessions(after: a message cursor)', () => gql(server.url, MySessionsDocument, { after: Buffer.from('msg:1').toString('base64url') }, alice)],
    ['mySessions(first: 0)', () => gql(server.url, MySessionsDocument, { first: 0 }, alice)],
    ['mySessions(first: -1)', () => gql(server.url, MySessionsDocument, { first: -1 }, alice)],
    ['mySessions(first: 1000)', () => gql(server.url, MySessionsDocument, { first: 1000 }, alice)],
    ['messages(after: garbage)', () => gql(server.url, SessionDocument, { id: sessionId, after: 'garbage' }, alice)],
    ['messages(before: garbage)', () => gql(server.url, SessionDocument, { id: sessionId, before: 'garbage' }, alice)],
    ['messages(first: 0)', () => gql(server.url, SessionDocument, { id: sessionId, first: 0 }, alice)],
    ['messages(first: 1000)', () => gql(server.url, SessionDocument, { id: sessionId, first: 1000 }, alice)],
    ['messages(last: 0)', () => gql(server.url, SessionDocument, { id: sessionId, last: 0 }, alice)],
    ['messages(first and last together)', () => gql(server.url, SessionDocument, { id: sessionId, first: 2, last: 2 }, alice)],
  ];

  test.each(cases)('%s', async (_name, call) => {
    const res = await call();
    const error = expectCode(res, 'BAD_USER_INPUT');
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/internal/i);
    expectNoInternals(JSON.stringify(res));
  });

  test('a variable of the wrong type -> BAD_USER_INPUT', async () => {
    const res = await rawGql(server.url, 'query($first: Int) { mySessions(first: $first) { edges { cursor } } }', { first: 'ten' }, alice);
    expectCode(res, 'BAD_USER_INPUT');
  });

  test('boundaries are accepted: a message of exactly 4000 characters, first: 100', async () => {
    // Run on another topic's session so the "nothing written" snapshot above stays exact.
    const other = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, await tokenFor('errors-bounds', 'bounds'))).startSession.id;
    const bounds = await tokenFor('errors-bounds', 'bounds');
    const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: other, content: 'z'.repeat(4000) }, bounds)).sendMessage;
    expect(sent.message.content).toHaveLength(4000);
    ok(await gql(server.url, MySessionsDocument, { first: 100 }, bounds));
    ok(await gql(server.url, SessionDocument, { id: other, first: 100 }, bounds));
  });

  test('after all of the above, nothing the caller can observe has changed', async () => {
    for (const [, call] of cases) await call(); // once more, in sequence, in case a test ran alone
    expect(await observable(alice)).toEqual(before);
  });

  test('session(id) with a malformed or unknown id is null, not an error', async () => {
    for (const id of ['garbage', newSessionId(Date.now())]) {
      const res = await gql(server.url, SessionDocument, { id }, alice);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ session: null });
    }
  });
});

describe('the depth limit', () => {
  let shallow: TestServer;
  beforeAll(async () => {
    shallow = await startTestServer({ table: server.table, env: { MAX_QUERY_DEPTH: '3' } });
  });
  afterAll(() => shallow?.stop());

  test('a query within the limit runs (control)', async () => {
    const res = await rawGql(shallow.url, '{ sessionCheck(topicId: "vision") { hasSession } topics { settings { activeTtlSeconds } } }', {}, alice);
    expect(res.errors).toBeUndefined();
  });

  test.each([
    ['plain fields', 'query { mySessions { edges { node { id } } } }'],
    ['depth hidden in named fragments', 'query { mySessions { ...A } } fragment A on CoachingSessionConnection { edges { ...B } } fragment B on CoachingSessionEdge { node { id } }'],
    ['depth hidden in inline fragments', 'query { mySessions { ... on CoachingSessionConnection { edges { ... { node { ... on CoachingSession { id } } } } } } }'],
  ])('too deep (%s) -> GRAPHQL_VALIDATION_FAILED', async (_name, query) => {
    const res = await rawGql(shallow.url, query, {}, alice);
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.data).toBeUndefined(); // refused before execution
    expect(res.errors![0].message).toMatch(/deep|depth/i);
  });

  test('a too-deep mutation is refused before it executes: nothing is written', async () => {
    const deep = await tokenFor('errors', 'deep');
    const res = await rawGql(
      shallow.url,
      'mutation { startSession(topicId: "vision") { messages(last: 1) { edges { node { content } } } } }',
      {},
      deep,
    );
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.data).toBeUndefined();
    const check = ok(await gql(server.url, SessionCheckDocument, { topicId: 'vision' }, deep)).sessionCheck;
    expect(check.hasSession).toBe(false);
    expect(ok(await gql(server.url, MySessionsDocument, {}, deep)).mySessions.edges).toEqual([]);
  });

  test('the default limit leaves room for the deepest legitimate query', async () => {
    const res = await rawGql(
      server.url,
      '{ mySessions(first: 1) { edges { node { topic { settings { activeTtlSeconds } } messages(first: 1) { edges { node { id } } pageInfo { hasNextPage } } } } } }',
      {},
      alice,
    );
    expect(res.errors).toBeUndefined();
  });
});

describe('malformed and oversized HTTP bodies', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ table: server.table, env: { BODY_LIMIT_BYTES: '2000' } });
  });
  afterAll(() => small?.stop());

  test.each([['{"query": '], ['not json at all'], ['{"query": "{ topics { id } }",}']])('malformed JSON %j -> 400 with a JSON errors array', async (body) => {
    const res = await post(server.url, body, { authorization: `Bearer ${alice}` });
    expect(res.status).toBe(400);
    expect(res.json).toBeDefined();
    expect(Array.isArray(res.json!.errors)).toBe(true);
    expect(res.json!.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res.text);
  });

  test('a body over BODY_LIMIT_BYTES -> 413 with a JSON error', async () => {
    const body = JSON.stringify({ query: 'query { topics { id } }', variables: { padding: 'p'.repeat(3000) } });
    const res = await post(small.url, body, { authorization: `Bearer ${alice}` });
    expect(res.status).toBe(413);
    expect(res.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expectNoInternals(res.text);
  });

  test('an oversized sendMessage writes nothing', async () => {
    const token = await tokenFor('errors', 'big-body');
    const { id } = ok(await gql(small.url, StartSessionDocument, { topicId: 'strengths' }, token)).startSession;
    const query = 'mutation($id: ID!, $c: String!) { sendMessage(sessionId: $id, content: $c) { message { id } } }';
    const res = await post(small.url, JSON.stringify({ query, variables: { id, c: 'q'.repeat(2500) } }), { authorization: `Bearer ${token}` });
    expect(res.status).toBe(413);
    const session = ok(await gql(small.url, SessionDocument, { id }, token)).session!;
    expect(session.messageCount).toBe(1);
  });

  test('a body under the limit works (control)', async () => {
    const res = await rawGql(small.url, 'query { topics { id } }', { padding: 'p'.repeat(1000) }, alice);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
  });
});

describe('lifecycle errors', () => {
  let bob: string;
  beforeAll(async () => {
    bob = await tokenFor('errors', 'bob');
  });

  test('messaging a paused session -> SESSION_NOT_ACTIVE; nothing is stored; resuming makes it work', async () => {
    const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'core_values' }, bob)).startSession;
    ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, bob));
    const before = ok(await gql(server.url, SessionDocument, { id, first: 50 }, bob)).session;
    expectCode(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'hello?', clientMessageId: 'paused-1' }, bob), 'SESSION_NOT_ACTIVE');
    expectCode(await gql(server.url, PauseSessionDocument, { sessionId: id }, bob), 'SESSION_NOT_ACTIVE');
    expect(ok(await gql(server.url, SessionDocument, { id, first: 50 }, bob)).session).toEqual(before);

    ok(await gql(server.url, ResumeSessionDocument, { sessionId: id }, bob));
    const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'hello again', clientMessageId: 'paused-1' }, bob));
    expect(sent.sendMessage.message.content).toBe('hello again');
  });

  test('every write to a completed session -> SESSION_NOT_LIVE; nothing changes', async () => {
    const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, bob)).startSession;
    ok(await gql(server.url, CompleteSessionDocument, { sessionId: id }, bob));
    const before = ok(await gql(server.url, SessionDocument, { id, first: 50 }, bob)).session;
    expect(before?.status).toBe('COMPLETED');
    const attempts: [string, Promise<GqlResult<unknown>>][] = [
      ['sendMessage', gql(server.url, SendMessageDocument, { sessionId: id, content: 'one more thing' }, bob)],
      ['pauseSession', gql(server.url, PauseSessionDocument, { sessionId: id }, bob)],
      ['resumeSession', gql(server.url, ResumeSessionDocument, { sessionId: id }, bob)],
      ['completeSession', gql(server.url, CompleteSessionDocument, { sessionId: id }, bob)],
      ['cancelSession', gql(server.url, CancelSessionDocument, { sessionId: id }, bob)],
    ];
    for (const [name, attempt] of attempts) {
      const res = await attempt;
      expect({ name, code: res.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'SESSION_NOT_LIVE' });
      expectCode(res, 'SESSION_NOT_LIVE');
    }
    expect(ok(await gql(server.url, SessionDocument, { id, first: 50 }, bob)).session).toEqual(before);
    // The topic is free again: startSession makes a new session, the completed one stays as it was.
    const fresh = ok(await gql(server.url, StartSessionDocument, { topicId: 'vision' }, bob)).startSession;
    expect(fresh.id).not.toBe(id);
    expect(ok(await gql(server.url, SessionDocument, { id, first: 50 }, bob)).session).toEqual(before);
  });
});

describe('store failures', () => {
  test('a table that does not exist -> INTERNAL_SERVER_ERROR, masked', async () => {
    const broken = await startTestServer({ table: server.table, env: { TABLE_NAME: 'no_such_table' } });
    try {
      const res = await rawGql(broken.url, 'query { sessionCheck(topicId: "purpose") { hasSession } }', {}, alice);
      const error = expectCode(res, 'INTERNAL_SERVER_ERROR');
      expect(error.message).toBe('Internal server error');
      expect(Object.keys(error.extensions ?? {})).toEqual(['code']);
      expectNoInternals(res.text, ['no_such_table', server.table.endpoint, 'ResourceNotFound', 'DynamoDB']);
      const start = await gql(broken.url, StartSessionDocument, { topicId: 'purpose' }, alice);
      expect(expectCode(start, 'INTERNAL_SERVER_ERROR').message).toBe('Internal server error');
      expectNoInternals(JSON.stringify(start), ['no_such_table']);
    } finally {
      await broken.stop();
    }
  });

  /**
   * A store that answers every request with HTTP 503 (an overloaded or failing endpoint).
   * The closed-port case (connection refused) runs against the real process in
   * restart.test.ts: under Jest, Node's network errors come from another realm and the AWS
   * SDK's retry middleware replaces them with a generic wrapper (see the report).
   */
  test('a store answering 503 -> SERVICE_UNAVAILABLE; /readyz 503 while /healthz 200', async () => {
    let hits = 0;
    const failing = http.createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/x-amz-json-1.0' }).end('{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"secret-internal-detail"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const dynamo = createDynamoClient({ credentials: 'dynamodb-local', endpoint });
    const down = await startTestServer({ table: server.table, dynamo, env: { DYNAMODB_ENDPOINT: endpoint } });
    try {
      await expectStoreUnavailable(down.url, alice, endpoint);
      expect(hits).toBeGreaterThan(0);
    } finally {
      await down.stop();
      dynamo.destroy();
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  test('a closed store port -> SERVICE_UNAVAILABLE without internals; /readyz 503 while /healthz 200', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const dynamo = createDynamoClient({ credentials: 'dynamodb-local', endpoint });
    const down = await startTestServer({ table: server.table, dynamo, env: { DYNAMODB_ENDPOINT: endpoint } });
    try {
      const res = await rawGql(down.url, 'query { sessionCheck(topicId: "purpose") { hasSession } }', {}, alice);
      expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.data).toBeNull();
      expectNoInternals(res.text, [endpoint, String(port)]);
      const base = baseOf(down.url);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      await ready.arrayBuffer();
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
    } finally {
      await down.stop();
      dynamo.destroy();
    }
  });
});

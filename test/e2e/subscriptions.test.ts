import { SendMessageStreamDocument, SendMessageStreamSubscription, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { StreamCoach } from '../support/stream-coach';
import { bearer, subscribeTo, wsClient, WsClient } from '../support/ws-client';

// sendMessageStream over a real WebSocket (graphql-ws, the client Apollo's GraphQLWsLink and
// urql use), against DynamoDB Local: the events, the auth at connection_init, the codes.

type Event = SendMessageStreamSubscription['sendMessageStream'];

let server: TestServer;
const coach = new StreamCoach();
const clients: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ coach, env: { SUBSCRIPTIONS_PER_USER: '2' } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await server?.stop();
});

const connect = (params?: Record<string, unknown>, extra?: Parameters<typeof wsClient>[2]) => {
  const c = wsClient(server.url, params, extra);
  clients.push(c);
  return c;
};

/** A session of `user`'s, in a tenant of their own unless given (one live session per topic and tenant). */
async function sessionOf(user: string, topicId = 'purpose', tenant = `t-${user}`) {
  const token = await tokenFor(tenant, user);
  const session = ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
  return { token, id: session.id };
}

const messagesOf = async (token: string, id: string) =>
  ok(await gql(server.url, SessionDocument, { id, first: 50 }, token)).session!.messages.edges.map((e) => e.node);

const deltasOf = (events: { sendMessageStream: Event }[]) => events.flatMap((e) => (e.sendMessageStream.delta === null ? [] : [e.sendMessageStream.delta]));

test('the stored message first, the reply in several deltas, the stored reply last, then complete', async () => {
  const { token, id } = await sessionOf('alice');
  const ws = connect(bearer(token));
  const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: 'I want my work to matter.', clientMessageId: 'c-1' });
  expect(await sub.ended).toEqual({});

  const events = sub.events.map((e) => e.sendMessageStream);
  const [first, last] = [events[0], events[events.length - 1]];
  expect(first.message).toMatchObject({ role: 'USER', content: 'I want my work to matter.', clientMessageId: 'c-1', authorId: 'alice' });
  expect(first.session).toMatchObject({ id, messageCount: 2, turnCount: 1 });
  expect(first.delta).toBeNull();
  const middle = events.slice(1, -1);
  expect(middle.length).toBeGreaterThanOrEqual(2);
  expect(middle.every((e) => e.delta && !e.message && !e.reply)).toBe(true);
  expect(last.reply).toMatchObject({ role: 'ASSISTANT', inReplyTo: first.message!.id, clientMessageId: 'c-1', authorId: null });
  expect(last.session).toMatchObject({ id, messageCount: 3 });
  expect(deltasOf(sub.events).join('')).toBe(last.reply!.content);

  // What was streamed is what is stored.
  const stored = await messagesOf(token, id);
  expect(stored.slice(1)).toEqual([first.message, last.reply]);
});

test('no token, a bad one or a non-Bearer value: the socket closes at connection_init (4401 / 4403)', async () => {
  const none = connect();
  const refused = subscribeTo(none, SendMessageStreamDocument, { sessionId: 'x', content: 'hi', clientMessageId: 'c' });
  expect(await none.closed).toMatchObject({ code: 4401 });
  expect((await refused.ended).closed?.code).toBe(4401);

  for (const authorization of ['Bearer not-a-jwt', 'Basic abc', `Bearer ${await tokenFor('acme', 'alice')}x`, 42]) {
    const ws = connect({ authorization });
    const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: 'x', content: 'hi', clientMessageId: 'c' });
    const closed = await ws.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/^Forbidden/);
    expect(sub.events).toEqual([]);
  }
});

test('a token that expires closes the open socket (4403) when it does', async () => {
  const token = await tokenFor('acme', 'brief', { expiresIn: '2s' });
  const ws = connect(bearer(token), { lazy: false, onNonLazyError: () => undefined }); // stays open between subscriptions
  // Accepted while valid: a subscription runs (and fails on input, which needs no session).
  const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: 'not-a-session', content: 'hi', clientMessageId: 'c-1' });
  expect((await sub.ended).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  const closed = await ws.closed;
  expect(closed.code).toBe(4403);
  expect(closed.reason).toMatch(/expired/);
});

test("sendMessage's codes for bad input, nothing stored; the error mask holds (no INTERNAL_SERVER_ERROR, no stack)", async () => {
  const { token, id } = await sessionOf('carol');
  const other = await sessionOf('dave', 'vision', 't-carol'); // same tenant, another user's
  const ws = connect(bearer(token));
  const cases: [Record<string, unknown>, string, Record<string, unknown>?][] = [
    [{ sessionId: id, content: '   ', clientMessageId: 'c-1' }, 'BAD_USER_INPUT', { argumentName: 'content' }],
    [{ sessionId: id, content: 'x'.repeat(4001), clientMessageId: 'c-1' }, 'BAD_USER_INPUT', { argumentName: 'content' }],
    [{ sessionId: id, content: 'hi', clientMessageId: 'no spaces allowed' }, 'BAD_USER_INPUT', { argumentName: 'clientMessageId' }],
    [{ sessionId: 'ses_nope', content: 'hi', clientMessageId: 'c-1' }, 'BAD_USER_INPUT', { argumentName: 'sessionId' }],
    [{ sessionId: other.id, content: 'hi', clientMessageId: 'c-1' }, 'NOT_FOUND'],
    [{ sessionId: id, content: 'hi' }, 'BAD_USER_INPUT'], // a required variable missing
    [{ sessionId: id, content: 7, clientMessageId: 'c-1' }, 'BAD_USER_INPUT'],
  ];
  for (const [variables, code, details] of cases) {
    const { errors } = await subscribeTo(ws, SendMessageStreamDocument, variables as never).ended;
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions).toMatchObject({ code, ...details });
    expect(JSON.stringify(errors)).not.toMatch(/stacktrace|INTERNAL_SERVER_ERROR|at .+\.ts:\d+/);
  }
  expect(await messagesOf(token, id)).toHaveLength(1); // the opening only
  expect(await messagesOf(other.token, other.id)).toHaveLength(1);
});

test('documents the HTTP path refuses are refused the same way; queries and mutations belong on HTTP', async () => {
  const { token, id } = await sessionOf('erin');
  const ws = connect(bearer(token));
  const run = async (query: string, variables: Record<string, unknown> = {}) => {
    const ended = new Promise<readonly { extensions?: Record<string, unknown> }[] | undefined>((resolve) =>
      ws.client.subscribe({ query, variables }, { next: (r) => resolve(r.errors), error: (e) => resolve(e as never), complete: () => resolve(undefined) }),
    );
    return ended;
  };
  const codeOf = async (query: string, variables?: Record<string, unknown>) => (await run(query, variables))?.[0]?.extensions?.code;
  expect(await codeOf('subscription { sendMessageStream(')).toBe('GRAPHQL_PARSE_FAILED');
  expect(await codeOf('subscription { nope }')).toBe('GRAPHQL_VALIDATION_FAILED');
  // Two streams in one document: one root field per subscription (and one coach call per operation).
  expect(
    await codeOf(
      `subscription { a: sendMessageStream(sessionId: "${id}", content: "a", clientMessageId: "a") { delta }
                      b: sendMessageStream(sessionId: "${id}", content: "b", clientMessageId: "b") { delta } }`,
    ),
  ).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(await codeOf('query { topics { id } }')).toBe('BAD_REQUEST');
  expect(await codeOf(`mutation { pauseSession(sessionId: "${id}") { id } }`)).toBe('BAD_REQUEST');
  expect(await messagesOf(token, id)).toHaveLength(1);
  expect(ok(await gql(server.url, SessionDocument, { id }, token)).session!.status).toBe('ACTIVE');
});

test('a coach failure mid-stream is COACH_UNAVAILABLE after the pieces that came; the message stays stored', async () => {
  const { token, id } = await sessionOf('frank');
  const ws = connect(bearer(token));
  coach.failAfterFirst = new Error('the model fell over');
  try {
    const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: 'Still there?', clientMessageId: 'c-1' });
    const { errors } = await sub.ended;
    expect(errors?.[0].extensions?.code).toBe('COACH_UNAVAILABLE');
    expect(JSON.stringify(errors)).not.toMatch(/fell over/);
    expect(sub.events[0].sendMessageStream.message?.content).toBe('Still there?');
    expect(deltasOf(sub.events)).toHaveLength(1);
  } finally {
    coach.failAfterFirst = null;
  }
  expect((await messagesOf(token, id)).map((m) => m.role)).toEqual(['ASSISTANT', 'USER']);
  // The retry with the same id produces the reply, once.
  const retry = subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: 'Still there?', clientMessageId: 'c-1' });
  expect(await retry.ended).toEqual({});
  const reply = retry.events[retry.events.length - 1].sendMessageStream.reply!;
  expect(deltasOf(retry.events).join('')).toBe(reply.content);
  expect((await messagesOf(token, id)).map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
});

test('at most SUBSCRIPTIONS_PER_USER active streams per user: one more is TOO_MANY_SUBSCRIPTIONS; a slot frees when one completes', async () => {
  const a = await sessionOf('gina', 'purpose');
  const b = await sessionOf('gina', 'vision');
  const release = coach.holdAfterFirst();
  const first = connect(bearer(a.token));
  const second = connect(bearer(a.token)); // another tab: the bound is the user's, not the socket's
  const s1 = subscribeTo(first, SendMessageStreamDocument, { sessionId: a.id, content: 'One.', clientMessageId: 'g-1' });
  const s2 = subscribeTo(second, SendMessageStreamDocument, { sessionId: b.id, content: 'Two.', clientMessageId: 'g-2' });
  await Promise.all([s1.after(2), s2.after(2)]);

  const third = subscribeTo(first, SendMessageStreamDocument, { sessionId: a.id, content: 'Three.', clientMessageId: 'g-3' });
  const { errors } = await third.ended;
  expect(errors?.[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', maxSubscriptions: 2 });
  // Another user is not affected.
  const henry = await sessionOf('henry');
  const theirs = subscribeTo(connect(bearer(henry.token)), SendMessageStreamDocument, { sessionId: henry.id, content: 'Mine.', clientMessageId: 'h-1' });
  await theirs.after(2);

  release();
  expect(await s1.ended).toEqual({});
  expect(await s2.ended).toEqual({});
  expect(await theirs.ended).toEqual({});
  // Nothing of the refused one was stored; with a slot free again it runs.
  expect((await messagesOf(a.token, a.id)).map((m) => m.content)).not.toContain('Three.');
  const again = subscribeTo(first, SendMessageStreamDocument, { sessionId: a.id, content: 'Three.', clientMessageId: 'g-3' });
  expect(await again.ended).toEqual({});
  expect((await messagesOf(a.token, a.id)).filter((m) => m.role === 'USER').map((m) => m.content)).toEqual(['One.', 'Three.']);
});

test('the subscription sent as an HTTP POST is refused with a clear code, and nothing is stored', async () => {
  const { token, id } = await sessionOf('ivan');
  const res = await gql(server.url, SendMessageStreamDocument, { sessionId: id, content: 'Over HTTP?', clientMessageId: 'c-1' }, token);
  expect(res.status).toBe(400);
  expect(res.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
  expect(res.errors?.[0].message).toMatch(/WebSocket/);
  expect(await messagesOf(token, id)).toHaveLength(1);
});

test('streams are counted like HTTP operations, by outcome, and the socket gauges are on /metrics', async () => {
  const { token, id } = await sessionOf('judy');
  const ws = connect(bearer(token));
  expect(await subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: 'Count me.', clientMessageId: 'j-1' }).ended).toEqual({});
  await subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: ' ', clientMessageId: 'j-2' }).ended;
  const scrape = async () => (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
  let metrics = await scrape();
  // The ended streams stop counting as the server finishes them, just after the client hears the end.
  for (let i = 0; i < 50 && !/^graphql_ws_subscriptions 0$/m.test(metrics); i++) metrics = await new Promise((r) => setTimeout(r, 40)).then(scrape);
  expect(metrics).toMatch(/graphql_operations_total\{operation="SendMessageStream",code="OK"\} [1-9]/);
  expect(metrics).toMatch(/graphql_operations_total\{operation="SendMessageStream",code="BAD_USER_INPUT"\} [1-9]/);
  expect(metrics).toMatch(/^graphql_ws_connections \d+$/m);
  expect(metrics).toMatch(/^graphql_ws_subscriptions 0$/m);
  expect(metrics).toMatch(/coach_first_piece_seconds_count\{coach="stream"\} [1-9]/);
});

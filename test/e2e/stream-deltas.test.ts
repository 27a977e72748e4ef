import { execute, parse } from 'graphql';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Coach, CoachTurn } from '../../src/coach/port';
import { StreamResolver } from '../../src/conversation/resolver';
import { buildSchema } from '../../src/schema';
import type { Context } from '../../src/graphql/context';
import { StartSessionDocument } from '../generated/graphql/graphql';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { bearer, wsClient, WsClient } from '../support/ws-client';

// A streamed reply's deltas are not executed one by one (src/graphql/event-template.ts): the
// subscription's resolver and the store are used per message and reply, not per delta, and
// every delta still reaches the client exactly as a full execution of its selection gives it.

/** The embedded coach, its reply streamed in `pieces` pieces of one word each. */
class PiecesCoach implements Coach {
  readonly name = 'pieces';
  private readonly inner = new EmbeddedCoach({ pieceDelayMs: 0 });
  pieces = 3;
  opening = this.inner.opening.bind(this.inner);
  reply = async () => Array.from({ length: this.pieces }, (_, i) => `w${i}`).join(' ');
  welcomeBack = this.inner.welcomeBack.bind(this.inner);
  extractResult = this.inner.extractResult.bind(this.inner);
  summarize = this.inner.summarize.bind(this.inner);
  title = this.inner.title.bind(this.inner);
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    const words = (await this.reply()).split(' ');
    for (let i = 0; i < words.length; i++) yield i === 0 ? words[i] : ` ${words[i]}`;
    void turn;
  }
}

/** Aliases, __typename, the delta twice and the session's fields: what a delta's result must keep. */
const DOC = `subscription S($sessionId: ID!, $content: String!, $clientMessageId: ID!) {
  ev: sendMessageStream(sessionId: $sessionId, content: $content, clientMessageId: $clientMessageId) {
    __typename
    message { id role content }
    piece: delta
    delta
    reply { id content }
    session { id messageCount turnCount title topic { id } }
  }
}`;

let server: TestServer;
const coach = new PiecesCoach();
const clients: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ coach });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await server?.stop();
});

type Result = { data?: Record<string, unknown> | null; errors?: readonly unknown[] };

/** One stream of DOC to its end: every result as the client received it. */
async function stream(token: string, variables: Record<string, unknown>): Promise<Result[]> {
  const ws = wsClient(server.url, bearer(token));
  clients.push(ws);
  const results: Result[] = [];
  await new Promise<void>((resolve, reject) =>
    ws.client.subscribe({ query: DOC, variables }, { next: (r) => void results.push(r as Result), error: reject, complete: resolve }),
  );
  return results;
}

/** Resolver runs and store requests of one streamed turn whose reply comes in `pieces` deltas. */
async function turnWith(pieces: number, user: string) {
  const tenantId = `t-${user}`;
  const token = await tokenFor(tenantId, user);
  const sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession.id;
  await server.app.settled();
  coach.pieces = pieces;
  const resolver = jest.spyOn(StreamResolver.prototype, 'sendMessageStream');
  const before = server.app.dynamoTotals.requests;
  const variables = { sessionId, content: 'What matters to me is the work itself.', clientMessageId: `c-${user}` };
  const results = await stream(token, variables);
  // The first exchange's title is written in the background: counted once it is done, in both turns alike.
  await server.app.settled();
  const requests = server.app.dynamoTotals.requests - before;
  const resolverRuns = resolver.mock.calls.length;
  resolver.mockRestore();
  return { results, requests, resolverRuns, variables, viewer: { tenantId, userId: user, roles: [] } };
}

test('a 40-delta reply runs the resolver and the store as often as a 2-delta one', async () => {
  const short = await turnWith(2, 'short');
  const long = await turnWith(40, 'long');
  const deltas = (r: Result[]) => r.filter((x) => (x.data!.ev as { delta: string | null }).delta !== null).length;
  expect(deltas(short.results)).toBe(2);
  expect(deltas(long.results)).toBe(40);
  expect(long.requests).toBe(short.requests);
  // The message, the reply, and one execution of the delta's template.
  expect(short.resolverRuns).toBe(3);
  expect(long.resolverRuns).toBe(3);
});

test('every event reaches the client as a full execution of its selection gives it', async () => {
  const turn = await turnWith(5, 'shape');
  const [first, ...rest] = turn.results;
  const last = rest.pop()!;
  expect(first.data!.ev).toMatchObject({ __typename: 'SendMessageStreamEvent', delta: null, piece: null, reply: null, message: { role: 'USER' } });
  expect(last.data!.ev).toMatchObject({ delta: null, message: null, reply: { content: 'w0 w1 w2 w3 w4' }, session: { messageCount: 3, topic: { id: 'purpose' } } });
  expect(rest.map((r) => (r.data!.ev as { delta: string }).delta)).toEqual(['w0', ' w1', ' w2', ' w3', ' w4']);
  // graphql-js's own execution of each delta event, the resolver included.
  const contextValue = { viewer: turn.viewer } as unknown as Context;
  for (const got of rest) {
    const text = (got.data!.ev as { delta: string }).delta;
    const rootValue = { message: null, delta: text, reply: null, session: null };
    const reference = await execute({ schema: buildSchema(), document: parse(DOC), rootValue, contextValue, variableValues: turn.variables });
    expect(got).toEqual(JSON.parse(JSON.stringify(reference)));
  }
});

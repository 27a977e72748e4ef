import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, WelcomeBackTurn } from '../../src/coach/port';
import { Topic } from '../../src/domain/topic';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { jsonLogger } from '../../src/logger';
import { loadTracing, Tracing } from '../../src/observability/tracing';
import { SendMessageDocument, SendMessageStreamDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { eventually } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { bearer, subscribeTo, wsClient } from '../support/ws-client';

// Issue 22: a trace of one sendMessage shows the operation, its DynamoDB calls and the model
// call, through the real app on DynamoDB Local; spans carry no content and no raw ids.

const TENANT = 'tenant-raw-7f3a';
const USER = 'user-raw-91c2';
const CONTENT = 'my private words about my manager';
const REPLY = 'a reply that stays out of every span';

/** A coach that reads the conversation (a store Query under its span) and reports usage when told to. */
class UsageCoach implements Coach {
  readonly name = 'usage-test';
  reportUsage = true;
  private readonly inner = new EmbeddedCoach({ pieceDelayMs: 0 });
  opening = (topic: Topic) => this.inner.opening(topic);
  welcomeBack = (turn: WelcomeBackTurn) => this.inner.welcomeBack(turn);
  extractResult = (request: ResultRequest) => this.inner.extractResult(request);
  summarize = (request: SummaryRequest) => this.inner.summarize(request);
  title = (request: TitleRequest) => this.inner.title(request);
  async reply(turn: CoachTurn): Promise<string> {
    await turn.recentMessages(10);
    if (this.reportUsage) {
      turn.onUsage?.({ inputTokens: 100, outputTokens: 20 });
      turn.onUsage?.({ inputTokens: 11, outputTokens: 3 });
    }
    return REPLY;
  }
  /** sendMessageStream's path: the reply in two pieces. */
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    await turn.recentMessages(10);
    yield REPLY.slice(0, 8);
    if (this.reportUsage) turn.onUsage?.({ inputTokens: 7, outputTokens: 2 });
    yield REPLY.slice(8);
  }
}

const exporter = new InMemorySpanExporter();
const coach = new UsageCoach();
const lines: Record<string, unknown>[] = [];
let tracing: Tracing;
let server: TestServer;
let token: string;

beforeAll(async () => {
  const log = jsonLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  tracing = loadTracing({ endpoint: undefined, serviceName: 'test' }, { exporter, log })!;
  server = await startTestServer({ tracing, coach, log });
  token = await tokenFor(TENANT, USER);
});
afterAll(async () => {
  await server?.stop();
  await tracing?.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const childrenOf = (parent: ReadableSpan) => spans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
/** The operation's span once it has ended (it ends when the response closes, just after the client has it). */
async function operationSpan(name: string): Promise<ReadableSpan> {
  expect(await eventually(async () => spans().some((s) => s.name === name), 5000, 20)).toBe(true);
  return spans().find((s) => s.name === name)!;
}

/** Everything a span tells: name, attributes, events, status. */
const told = (list: ReadableSpan[]) => JSON.stringify(list.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));

async function startedSession(): Promise<string> {
  return ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession.id;
}

test('one sendMessage: the operation span, its DynamoDB commands and the model call under it, with token usage', async () => {
  const sessionId = await startedSession();
  exporter.reset();
  ok(await gql(server.url, SendMessageDocument, { sessionId, content: CONTENT, clientMessageId: 'trace-1' }, token));
  const op = await operationSpan('mutation SendMessage');
  expect(op.parentSpanContext).toBeUndefined();
  expect(op.attributes).toMatchObject({ 'graphql.operation.name': 'SendMessage', 'graphql.operation.type': 'mutation', 'http.response.status_code': 200 });
  expect(op.attributes['graphql.error.codes']).toBeUndefined();

  const children = childrenOf(op);
  const names = children.map((s) => s.name);
  // The writes of the turn, in transactions, and the reads before them.
  expect(names).toContain('DynamoDB.TransactWriteItems');
  expect(names.some((n) => /^DynamoDB\.(GetItem|Query|BatchGetItem)$/.test(n))).toBe(true);
  const write = children.find((s) => s.name === 'DynamoDB.TransactWriteItems')!;
  expect(write.attributes['aws.dynamodb.table_names']).toEqual([server.table.tableName]);
  expect(write.attributes['rpc.method']).toBe('TransactWriteItems');
  expect(write.attributes['aws.dynamodb.consumed_capacity']).toEqual(expect.arrayContaining([expect.stringContaining('CapacityUnits')]));

  const model = children.find((s) => s.name === 'coach reply')!;
  expect(model.attributes).toMatchObject({ 'app.coach.name': 'usage-test', 'app.coach.call': 'reply', 'gen_ai.usage.input_tokens': 111, 'gen_ai.usage.output_tokens': 23 });
  // The coach's own read of the conversation nests under the model call.
  expect(childrenOf(model).map((s) => s.name)).toContain('DynamoDB.Query');
  // One trace for all of it.
  expect(new Set(spans().map((s) => s.spanContext().traceId))).toEqual(new Set([op.spanContext().traceId]));
});

test('no span carries message content, a user id or the raw tenant id; the tenant only as a hash', async () => {
  const sessionId = await startedSession();
  ok(await gql(server.url, SendMessageDocument, { sessionId, content: CONTENT, clientMessageId: 'trace-2' }, token));
  await operationSpan('mutation SendMessage');
  const text = told(spans());
  for (const secret of [CONTENT, REPLY, USER, TENANT, token]) expect(text).not.toContain(secret);
  const op = spans().find((s) => s.name === 'mutation SendMessage')!;
  expect(op.attributes['app.tenant_hash']).toMatch(/^[0-9a-f]{16}$/);
});

test('a model call that reports no usage has no usage attributes', async () => {
  const sessionId = await startedSession();
  exporter.reset();
  coach.reportUsage = false;
  try {
    ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'hello', clientMessageId: 'trace-3' }, token));
  } finally {
    coach.reportUsage = true;
  }
  const op = await operationSpan('mutation SendMessage');
  const model = childrenOf(op).find((s) => s.name === 'coach reply')!;
  expect(model.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  expect(model.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
});

test('log lines written during an operation carry its trace_id and span_id', async () => {
  const sessionId = await startedSession();
  exporter.reset();
  lines.length = 0;
  ok(await gql(server.url, SendMessageDocument, { sessionId, content: 'hello', clientMessageId: 'trace-4' }, token));
  const op = await operationSpan('mutation SendMessage');
  const line = lines.find((l) => l.msg === 'graphql operation' && l.operation === 'SendMessage');
  expect(line).toMatchObject({ trace_id: op.spanContext().traceId, span_id: op.spanContext().spanId });
});

test('an error code is recorded on the operation span, without the message', async () => {
  exporter.reset();
  const res = await gql(server.url, SendMessageDocument, { sessionId: 'no-such-session', content: CONTENT, clientMessageId: 'trace-5' }, token);
  const code = String(res.errors?.[0]?.extensions?.code);
  const op = await operationSpan('mutation SendMessage');
  expect(op.attributes['graphql.error.codes']).toEqual([code]);
  expect(told([op])).not.toContain(String(res.errors?.[0]?.message));
});

test('a request refused before Apollo runs it (a malformed token) still has a span, with its code and status', async () => {
  exporter.reset();
  const res = await gql(server.url, SendMessageDocument, { sessionId: 'x', content: CONTENT, clientMessageId: 'trace-6' }, 'not-a-token');
  const op = await operationSpan('graphql');
  expect(op.attributes['graphql.error.codes']).toEqual(['UNAUTHENTICATED']);
  expect(op.attributes['http.response.status_code']).toBe(res.status);
});

test('a sendMessageStream subscription over WebSocket: its span holds its DynamoDB commands and the model call', async () => {
  const sessionId = await startedSession();
  exporter.reset();
  const ws = wsClient(server.url, bearer(token));
  try {
    const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId, content: CONTENT, clientMessageId: 'trace-ws-1' });
    expect(await sub.ended).toEqual({});
  } finally {
    await ws.dispose();
  }
  const op = await operationSpan('subscription SendMessageStream');
  expect(op.attributes).toMatchObject({ 'graphql.operation.type': 'subscription', 'graphql.operation.name': 'SendMessageStream' });
  const names = childrenOf(op).map((s) => s.name);
  expect(names).toContain('DynamoDB.TransactWriteItems');
  const model = childrenOf(op).find((s) => s.name === 'coach replyStream')!;
  expect(model.attributes).toMatchObject({ 'app.coach.call': 'replyStream', 'app.coach.pieces': 2, 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 2 });
  expect(model.events.map((e) => e.name)).toEqual(['first piece']);
  expect(childrenOf(model).map((s) => s.name)).toContain('DynamoDB.Query');
  expect(told(spans())).not.toContain(CONTENT);
  expect(told(spans())).not.toContain(REPLY.slice(8));
});

test('by default a caller cannot switch its trace off: an unsampled traceparent is still recorded, in the caller trace', async () => {
  exporter.reset();
  const traceId = 'aaf92f3577b34da6a3ce929d0e0e4736';
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-00` },
    body: JSON.stringify({ query: 'query Topics { topics { id } }' }),
  });
  expect(res.status).toBe(200);
  await res.text();
  const op = await operationSpan('query Topics');
  expect(op.spanContext().traceId).toBe(traceId);
  expect(op.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
});

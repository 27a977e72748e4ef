import { print } from 'graphql';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../src/config';
import { loadTracing, Tracing } from '../../src/observability/tracing';
import { parseTraceparent } from '../../src/observability/tracing-sdk';
import { SessionCheckDocument } from '../generated/graphql/graphql';
import { eventually } from '../support/e2e-helpers';
import { startTestServer, TestServer, tokenFor } from '../support/server';

// A caller's W3C traceparent continues its trace, and head sampling follows the standard
// OTEL_TRACES_SAMPLER variables: here parent-based with a ratio of 0, so only requests whose
// caller sampled them are recorded.

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let server: TestServer;
let token: string;

beforeAll(async () => {
  const config = loadConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).observability.tracing;
  tracing = loadTracing(config, { exporter })!;
  server = await startTestServer({ tracing });
  token = await tokenFor('trace-ctx', 'alice');
});
afterAll(async () => {
  await server?.stop();
  await tracing?.shutdown();
});

/** One sessionCheck with these extra headers; its HTTP status. */
async function check(headers: Record<string, string>): Promise<number> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query: print(SessionCheckDocument), variables: { topicId: 'purpose' } }),
  });
  await res.text();
  return res.status;
}

test('a sampled traceparent is continued: the operation is a child of the caller span, in its trace', async () => {
  expect(await check({ traceparent: `00-${TRACE}-${PARENT}-01` })).toBe(200);
  expect(await eventually(async () => exporter.getFinishedSpans().some((s) => s.name === 'query SessionCheck'), 5000, 20)).toBe(true);
  const op = exporter.getFinishedSpans().find((s) => s.name === 'query SessionCheck')!;
  expect(op.spanContext().traceId).toBe(TRACE);
  expect(op.parentSpanContext).toMatchObject({ traceId: TRACE, spanId: PARENT, isRemote: true });
  // The DynamoDB read nests under it, in the same trace.
  const children = exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === op.spanContext().spanId);
  expect(children.map((s) => s.name)).toContain('DynamoDB.GetItem');
  expect(children.every((s) => s.spanContext().traceId === TRACE)).toBe(true);
});

test('no traceparent, an unsampled one or a malformed one: nothing recorded at a ratio of 0, and the request still answers', async () => {
  exporter.reset();
  expect(await check({})).toBe(200);
  expect(await check({ traceparent: `00-${TRACE}-${PARENT}-00` })).toBe(200);
  expect(await check({ traceparent: 'not-a-traceparent' })).toBe(200);
  expect(await check({ traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` })).toBe(200);
  // A sampled control request afterwards is recorded: had the others been, they would be there first.
  expect(await check({ traceparent: `00-${TRACE}-${PARENT}-01` })).toBe(200);
  expect(await eventually(async () => exporter.getFinishedSpans().some((s) => s.name === 'query SessionCheck'), 5000, 20)).toBe(true);
  const ops = exporter.getFinishedSpans().filter((s) => s.kind === 1 /* server */);
  expect(ops.map((s) => s.spanContext().traceId)).toEqual([TRACE]);
});

test('the traceparent parser takes only the W3C form', () => {
  expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, spanId: PARENT, traceFlags: 1, isRemote: true });
  expect(parseTraceparent(`01-${TRACE}-${PARENT}-03-future`)).toMatchObject({ traceFlags: 1 });
  for (const bad of [undefined, [`00-${TRACE}-${PARENT}-01`], `ff-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01-extra`, `00-${TRACE.toUpperCase()}-${PARENT}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, 'x'.repeat(600)]) {
    expect(parseTraceparent(bad)).toBeUndefined();
  }
});

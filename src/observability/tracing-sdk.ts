import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Attributes, Context as OtelContext, isSpanContextValid, ROOT_CONTEXT, Span, SpanContext, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  Sampler,
  SimpleSpanProcessor,
  SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { ApolloServerPlugin } from '@apollo/server';
import type { TracingConfig } from './tracing-config';
import type { Context } from '../graphql/context';
import type { Logger } from '../logger';
import { SERVICE_SIDE } from './plugin';
import type { OperationSpan, Tracing, TracingOptions } from './tracing';
import { tracedCoach, traceDynamo } from './tracing-spans';

/** The active span's context, and the tracer that starts spans in it (no global OpenTelemetry state). */
export interface Scope {
  tracer: Tracer;
  active(): OtelContext;
  with<T>(ctx: OtelContext, fn: () => T): T;
}

/**
 * The SDK, built by hand: an AsyncLocalStorage context manager of its own (not registered
 * globally), the OTLP/HTTP exporter batching spans, and the spans at the app's own seams.
 */
export function startTracing(config: TracingConfig, opts: TracingOptions): Tracing {
  const contexts = new AsyncLocalStorageContextManager().enable();
  const exporter = watched(opts.exporter ?? new OTLPTraceExporter({ url: tracesUrl(config.endpoint ?? '') }), opts.log);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerOf(config),
    // A test's exporter sees each span as it ends; the collector gets batches (every 5 s or 512 spans).
    spanProcessors: [opts.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })],
  });
  const scope: Scope = {
    tracer: provider.getTracer('coaching-sessions-api'),
    active: () => contexts.active(),
    with: (ctx, fn) => contexts.with(ctx, fn),
  };
  const activeSpan = () => trace.getSpan(contexts.active());

  const operation = (type: string, name: string | null, tenantId: string | undefined): OperationSpan => {
    const span = scope.tracer.startSpan(spanName(type, name), { kind: SpanKind.SERVER, attributes: operationAttributes(type, name, tenantId) }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    return { run: (fn) => contexts.with(ctx, fn), end: (code) => endOperation(span, [code]) };
  };

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      const span = activeSpan();
      if (!span) return;
      return {
        async didResolveOperation(rc) {
          const type = rc.operation?.operation ?? 'unknown';
          const name = rc.operationName ?? null;
          span.updateName(spanName(type, name));
          span.setAttributes(operationAttributes(type, name, undefined));
        },
        async willSendResponse(rc) {
          const ctx = rc.contextValue;
          span.setAttribute('app.request_id', ctx.requestId);
          if (ctx.viewer) span.setAttribute('app.tenant_hash', tenantHash(ctx.viewer.tenantId));
          const body = rc.response.body;
          const errors = (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
          const codes = [...new Set(errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR')))];
          // Codes only: an error's message may quote what the caller sent.
          if (codes.length) markErrors(span, codes);
        },
      };
    },
  };

  return {
    async request(req: IncomingMessage, res: ServerResponse, handle: () => Promise<void>) {
      const remote = config.followTraceparent === false ? undefined : parseTraceparent(req.headers.traceparent);
      const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
      const span = scope.tracer.startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET' } }, parent);
      res.once('close', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        // Refused before Apollo ran it (token, rate limit, document): the refusal's code.
        const refused = (res as { locals?: { code?: string } }).locals?.code;
        if (res.statusCode >= 400 && !coded.has(span)) markErrors(span, [refused ?? `HTTP_${res.statusCode}`]);
        span.end();
      });
      return contexts.with(trace.setSpan(parent, span), handle);
    },
    plugin,
    operation,
    instrumentDynamo: (client) => traceDynamo(client, scope),
    coach: (inner) => tracedCoach(inner, scope),
    logger: (log) => withTraceIds(log, activeSpan),
    async shutdown() {
      // The exporter retries a collector that is down for up to 10 s: the process stops sooner.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_MS).unref()));
      const ended = await Promise.race([provider.shutdown().then(() => 'done' as const), late]);
      clearTimeout(timer);
      if (ended === 'late') opts.log?.warn(`trace export did not finish within ${SHUTDOWN_MS} ms at shutdown: the last spans are dropped`);
      contexts.disable();
    },
  };
}

/** How long stopping waits for the last export (main.ts gives the whole shutdown 15 s). */
const SHUTDOWN_MS = 3000;

/** OTLP/HTTP: the signal's path under the base URL the variable names. */
const tracesUrl = (endpoint: string) => `${endpoint.endsWith('/') ? endpoint : `${endpoint}/`}v1/traces`;

function samplerOf({ sampler = 'always_on', ratio = 1 }: TracingConfig): Sampler {
  const root = sampler.endsWith('always_off') ? new AlwaysOffSampler() : sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * The caller's W3C `traceparent` (version-flags form, https://www.w3.org/TR/trace-context/),
 * or undefined for anything else: a malformed header starts a new trace, never an error.
 */
export function parseTraceparent(header: string | string[] | undefined): SpanContext | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(header.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const context: SpanContext = { traceId: m[2], spanId: m[3], traceFlags: parseInt(m[4], 16) & 1, isRemote: true };
  return isSpanContextValid(context) ? context : undefined;
}

const spanName = (type: string, name: string | null) => (name ? `${type} ${name}` : type);

function operationAttributes(type: string, name: string | null, tenantId: string | undefined): Attributes {
  return {
    'graphql.operation.type': type,
    ...(name ? { 'graphql.operation.name': name } : {}),
    ...(tenantId !== undefined ? { 'app.tenant_hash': tenantHash(tenantId) } : {}),
  };
}

/** Spans whose error codes are set (by the plugin, or a subscription's end). */
const coded = new WeakSet<Span>();

function markErrors(span: Span, codes: string[]) {
  if (codes.length === 1 && codes[0] === 'OK') return;
  coded.add(span);
  span.setAttribute('graphql.error.codes', codes);
  // Only the service's own failures are errors of the span; a refused input is the caller's.
  if (codes.some((c) => SERVICE_SIDE.has(c))) span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(', ') });
}

function endOperation(span: Span, codes: string[]) {
  markErrors(span, codes);
  span.end();
}

/**
 * Spans never carry a user id; the tenant only as a truncated SHA-256, enough to group one
 * tenant's traces without naming it (a short, guessable tenant id can still be matched).
 */
export const tenantHash = (tenantId: string) => createHash('sha256').update(tenantId).digest('hex').slice(0, 16);

function withTraceIds(log: Logger, activeSpan: () => Span | undefined): Logger {
  const fields = (f?: Record<string, unknown>) => {
    const span = activeSpan();
    if (!span) return f;
    const { traceId, spanId } = span.spanContext();
    return { ...f, trace_id: traceId, span_id: spanId };
  };
  return {
    info: (msg, f) => log.info(msg, fields(f)),
    warn: (msg, f) => log.warn(msg, fields(f)),
    error: (msg, f) => log.error(msg, fields(f)),
  };
}

/** The exporter, its failures logged (a collector that is down must not flood the log). */
function watched(exporter: SpanExporter, log: Logger | undefined): SpanExporter {
  let lastWarning = -Infinity;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== 0 && Date.now() - lastWarning > 60_000) {
          lastWarning = Date.now();
          log?.warn('trace export failed (spans dropped; next warning in a minute at the earliest)', { spans: spans.length, error: String(result.error?.message ?? result.error) });
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

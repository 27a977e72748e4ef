import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Coach } from '../coach/port';
import type { TracingConfig } from './tracing-config';
import type { Context } from '../graphql/context';
import type { Logger } from '../logger';

/**
 * OpenTelemetry traces (docs/operations.md#tracing): one span per GraphQL operation, with a
 * child per DynamoDB command and per model call. Only types are imported here: the SDK
 * (tracing-sdk.ts) is required when tracing is configured, so without it no module of
 * OpenTelemetry is loaded and nothing costs.
 */
export interface Tracing {
  /** Runs one /graphql HTTP request inside its operation span; `plugin` names it once Apollo knows the operation. */
  request(req: IncomingMessage, res: ServerResponse, handle: () => Promise<void>): Promise<void>;
  plugin: ApolloServerPlugin<Context>;
  /** The span of an operation served outside Apollo (a subscription over WebSocket). */
  operation(type: string, name: string | null, tenantId: string | undefined): OperationSpan;
  /** A child span per command the client sends within an operation. */
  instrumentDynamo(client: DynamoDBClient): void;
  /** A child span per model call, with its token usage when the adapter reports it. */
  coach(inner: Coach): Coach;
  /** `log`, its lines carrying `trace_id` and `span_id` while a span is active. */
  logger(log: Logger): Logger;
  /** Exports what is left; afterwards nothing is recorded. */
  shutdown(): Promise<void>;
}

export interface OperationSpan {
  /** Runs `fn` with this span active: what it starts (store and coach calls, later work too) nests under it. */
  run<T>(fn: () => T): T;
  /** Ends the span with the operation's outcome code (`OK` or an error code). */
  end(code: string): void;
}

export interface TracingOptions {
  /** Where spans go instead of OTLP (tests: an InMemorySpanExporter); tracing is on with it even without an endpoint. */
  exporter?: SpanExporter;
  /** Export failures are logged here (at most one line a minute). */
  log?: Logger;
}

/** The tracing of `config`, or undefined when no OTLP endpoint is set (the SDK is then never loaded). */
export function loadTracing(config: TracingConfig, opts: TracingOptions = {}): Tracing | undefined {
  if (!config.endpoint && !opts.exporter) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  return startTracing(config, opts);
}

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Attributes, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Coach, CoachTurn, TokenUsage, UsageSink } from '../coach/port';
import type { Scope } from './tracing-sdk';

/**
 * A child span per DynamoDB command sent within an operation (retries included in it), named
 * `DynamoDB.<Command>` as the AWS SDK conventions have it: tables, index, consumed capacity.
 * Commands outside any operation (readiness probes, the embedded store's reaper) make no span.
 */
export function traceDynamo(client: DynamoDBClient, scope: Scope): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const parent = scope.active();
      if (!trace.getSpan(parent)) return next(args);
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as DynamoInput;
      const span = scope.tracer.startSpan(`DynamoDB.${command}`, { kind: SpanKind.CLIENT, attributes: dynamoAttributes(command, input) }, parent);
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: object | object[] }).ConsumedCapacity;
        if (consumed) span.setAttribute('aws.dynamodb.consumed_capacity', (Array.isArray(consumed) ? consumed : [consumed]).map((c) => JSON.stringify(c)));
        return result;
      } catch (e) {
        failed(span, e);
        throw e;
      } finally {
        span.end();
      }
    },
    { step: 'initialize', name: 'tracing', override: true },
  );
}

interface DynamoInput {
  TableName?: string;
  IndexName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Record<string, { TableName?: string } | undefined>[];
}

/** Names only: never a key or an item (they hold user ids and message contents). */
function dynamoAttributes(command: string, input: DynamoInput): Attributes {
  const tables = new Set<string>();
  if (input.TableName) tables.add(input.TableName);
  for (const name of Object.keys(input.RequestItems ?? {})) tables.add(name);
  for (const item of input.TransactItems ?? []) for (const op of Object.values(item)) if (op?.TableName) tables.add(op.TableName);
  return {
    'db.system.name': 'aws.dynamodb',
    'db.operation.name': command,
    'rpc.system': 'aws-api',
    'rpc.service': 'DynamoDB',
    'rpc.method': command,
    'aws.dynamodb.table_names': [...tables],
    ...(input.IndexName ? { 'aws.dynamodb.index_name': input.IndexName } : {}),
    ...(input.TransactItems ? { 'aws.dynamodb.transact_items': input.TransactItems.length } : {}),
  };
}

type Call = 'opening' | 'reply' | 'replyStream' | 'welcomeBack' | 'extractResult' | 'summarize' | 'title';

/**
 * A child span per model call (`coach <call>`), under whatever span is active: the adapter's
 * own store reads (recentMessages) nest under it. Token usage, when the adapter reports it
 * through onUsage, becomes `gen_ai.usage.*`; the caller's sink still gets every report.
 */
export function tracedCoach(inner: Coach, scope: Scope): Coach {
  const start = (call: Call) => {
    const parent = scope.active();
    const span = scope.tracer.startSpan(
      `coach ${call}`,
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'app.coach.name': inner.name, 'app.coach.call': call } },
      parent,
    );
    return { span, ctx: trace.setSpan(parent, span) };
  };
  const measured = async <T>(call: Call, sink: UsageSink | undefined, fn: (onUsage: UsageSink) => Promise<T>): Promise<T> => {
    const { span, ctx } = start(call);
    try {
      return await scope.with(ctx, () => fn(usageOf(span, sink)));
    } catch (e) {
      failed(span, e);
      throw e;
    } finally {
      span.end();
    }
  };
  async function* stream(turn: CoachTurn): AsyncGenerator<string> {
    const { span, ctx } = start('replyStream');
    const pieces = scope.with(ctx, () => inner.replyStream!({ ...turn, onUsage: usageOf(span, turn.onUsage) })[Symbol.asyncIterator]());
    let count = 0;
    let done = false;
    try {
      for (;;) {
        const next = await scope.with(ctx, () => pieces.next());
        if (next.done) break;
        if (count++ === 0) span.addEvent('first piece');
        yield next.value;
      }
      done = true;
    } catch (e) {
      done = true;
      failed(span, e);
      throw e;
    } finally {
      span.setAttribute('app.coach.pieces', count);
      // Abandoned by its reader: the adapter's stream is closed too (its request aborted).
      if (!done) await scope.with(ctx, async () => pieces.return?.(undefined)).catch(() => undefined);
      span.end();
    }
  }
  return {
    get name() {
      return inner.name;
    },
    opening: (topic, signal, tenantId, onUsage) => measured('opening', onUsage, (u) => inner.opening(topic, signal, tenantId, u)),
    reply: (turn) => measured('reply', turn.onUsage, (u) => inner.reply({ ...turn, onUsage: u })),
    ...(inner.replyStream ? { replyStream: stream } : {}),
    welcomeBack: (turn) => measured('welcomeBack', turn.onUsage, (u) => inner.welcomeBack({ ...turn, onUsage: u })),
    extractResult: (request) => measured('extractResult', request.onUsage, (u) => inner.extractResult({ ...request, onUsage: u })),
    summarize: (request) => measured('summarize', request.onUsage, (u) => inner.summarize({ ...request, onUsage: u })),
    title: (request) => measured('title', request.onUsage, (u) => inner.title({ ...request, onUsage: u })),
  };
}

/** Adds each report to the span's totals (a call may report more than once) and passes it on. */
function usageOf(span: Span, sink: UsageSink | undefined): UsageSink {
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  return (usage) => {
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    span.setAttributes({ 'gen_ai.usage.input_tokens': total.inputTokens, 'gen_ai.usage.output_tokens': total.outputTokens });
    sink?.(usage);
  };
}

/** The error's type only: a message may quote a request (a model's, or an item's values). */
function failed(span: Span, e: unknown) {
  const type = e instanceof Error ? e.name : typeof e;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

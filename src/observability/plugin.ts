import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../graphql/context';
import { requestIdOf } from '../http/request-id';
import type { Logger } from '../logger';
import type { RequestStats } from '../store/request-stats';
import { loggableVariables } from './loggable-variables';
import { Metrics, operationLabeler } from './metrics';

export interface OperationLogOptions {
  log: Logger;
  metrics?: Metrics;
  /** Also log the operation's variables, message contents included (LOG_MESSAGE_CONTENT=true). */
  logMessageContent?: boolean;
}

/** Outcome codes that say the service (not the caller) has a problem: logged at warn. */
export const SERVICE_SIDE = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'COACH_UNAVAILABLE']);


/** What is reported of one operation (over HTTP, or a subscription over WebSocket). */
export interface OperationLine {
  requestId?: string;
  operation: string | null;
  /** An authenticated caller's operation that validated: its name may become a metrics label. */
  known: boolean;
  operationType?: string;
  tenant?: string;
  user?: string;
  durationMs: number;
  httpStatus?: number;
  code: string;
  stats?: RequestStats;
  variables?: Record<string, unknown>;
}

/** One log line and one metrics sample per operation (docs/operations.md); `observe` reports requests refused before Apollo. */
export function createOperationObserver(opts: OperationLogOptions) {
  const label = operationLabeler();
  const seen = new WeakSet<RequestStats>();

  const report = (line: OperationLine) => {
    const op = label(line.operation, line.known);
    const seconds = line.durationMs / 1000;
    opts.metrics?.operations.inc({ operation: op, code: line.code });
    opts.metrics?.operationDuration.observe({ operation: op, code: line.code }, seconds);
    if (line.code === 'SESSION_CONFLICT') opts.metrics?.conflicts.inc({ operation: op });
    const fields: Record<string, unknown> = {
      requestId: line.requestId,
      operation: line.operation ?? 'anonymous',
      operationType: line.operationType,
      tenant: line.tenant,
      user: line.user,
      durationMs: Math.round(line.durationMs * 10) / 10,
      code: line.code,
      httpStatus: line.httpStatus,
      dynamo: line.stats && line.stats.counted !== false
        ? {
            requests: line.stats.requests,
            readCapacity: line.stats.readCapacity,
            writeCapacity: line.stats.writeCapacity,
            throttles: line.stats.throttles,
          }
        : undefined,
      variables: line.variables,
    };
    for (const k of Object.keys(fields)) if (fields[k] === undefined) delete fields[k];
    (SERVICE_SIDE.has(line.code) ? opts.log.warn : opts.log.info)('graphql operation', fields);
  };

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(rc) {
          const ctx = rc.contextValue;
          if (ctx.dynamoStats) seen.add(ctx.dynamoStats);
          const body = rc.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const first = errors?.[0]?.extensions?.code;
          const code = errors?.length ? (typeof first === 'string' ? first : 'INTERNAL_SERVER_ERROR') : 'OK';
          report({
            requestId: ctx.requestId,
            operation: rc.operationName ?? rc.request.operationName ?? null,
            known: Boolean(ctx.viewer && rc.operation),
            operationType: rc.operation?.operation,
            tenant: ctx.viewer?.tenantId,
            user: ctx.viewer?.userId,
            durationMs: performance.now() - started,
            httpStatus: rc.response.http.status ?? 200,
            code,
            stats: ctx.dynamoStats,
            // Never the document itself: literal arguments (message contents) stay out of the log.
            variables: opts.logMessageContent ? rc.request.variables : loggableVariables(rc.document, rc.operation, rc.request.variables),
          });
        },
      };
    },
  };

  /** Called first for every /graphql request: reports failures no plugin saw, coded from the HTTP status. */
  const observe = (req: IncomingMessage & { body?: unknown }, res: ServerResponse & { locals: { dynamoStats?: RequestStats; code?: string } }) => {
    const started = performance.now();
    // One id per request, echoed to the client; written back so that the server's context takes the same one.
    const requestId = requestIdOf(req);
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const stats = res.locals.dynamoStats as RequestStats | undefined;
      if ((stats && seen.has(stats)) || res.statusCode < 400) return;
      const body = req.body as { operationName?: unknown } | undefined;
      report({
        requestId,
        operation: typeof body?.operationName === 'string' ? body.operationName : null,
        known: false, // refused before Apollo ran it: no authenticated, validated operation
        durationMs: performance.now() - started,
        httpStatus: res.statusCode,
        code: res.locals.code ?? codeOfStatus(res.statusCode),
        stats,
      });
    });
  };

  // `report`: for operations served elsewhere (subscriptions, src/http/subscriptions.ts).
  return { plugin, observe, report };
}

function codeOfStatus(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 413) return 'BAD_USER_INPUT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'INTERNAL_SERVER_ERROR';
  return 'BAD_REQUEST';
}

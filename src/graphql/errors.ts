import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError } from '../domain/errors';
import { Logger } from '../logger';

/** Codes Apollo and graphql-js produce for requests that are malformed: safe to pass through. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
]);

/**
 * The one place errors become what clients see: domain errors keep their code and
 * message, request errors pass through, everything else is masked and logged.
 */
export function formatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    // A domain error thrown before execution (building the context) arrives wrapped, without a path.
    const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError ? unwrapped.originalError : unwrapped;
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...original.details, code: original.code },
      };
    }
    const code = formatted.extensions?.code;
    const fromRequest = !(original instanceof Error) || original instanceof GraphQLError;
    if (fromRequest && typeof code === 'string' && PASS_THROUGH.has(code)) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { ...numbers(formatted.extensions), code } };
    }
    log.error('unexpected error', { error: describe(original), path: formatted.path });
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** The numeric details of a request error (the cost limit's `cost`, `maxCost`, ...): safe to show, nothing else is. */
function numbers(extensions: Record<string, unknown> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(extensions ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}

function describe(e: unknown) {
  return e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e);
}

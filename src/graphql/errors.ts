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

/** The one place errors become what clients see: domain errors keep their code, unknown ones are masked. */
export function formatError(log: Logger, production = false) {
  const shown = (message: string) => (production ? withoutSuggestions(message) : message);
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
      return { message: shown(formatted.message), locations: formatted.locations, path: formatted.path, extensions: { ...numbers(formatted.extensions), code } };
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

const LINE_BREAK = /[\n\r\u2028\u2029]/g;
const SUGGESTION = 'Did you mean';

/** Apollo's suggestion-stripping regex in linear time: the regex backtracks quadratically. */
export function withoutSuggestions(message: string): string {
  if (!message.endsWith('?')) return message;
  let lastLine = 0;
  for (const m of message.matchAll(LINE_BREAK)) lastLine = m.index + 1;
  const at = message.indexOf(SUGGESTION, lastLine);
  if (at < 0 || at + SUGGESTION.length >= message.length - 1) return message;
  return message.slice(0, message[at - 1] === ' ' && at - 1 >= lastLine ? at - 1 : at);
}

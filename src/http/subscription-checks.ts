import { DocumentNode, getOperationAST, getVariableValues, GraphQLError, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { costErrors, CostLimits } from '../graphql/cost-limit';
import type { DocumentGate } from '../graphql/document-gate';

/** What an operation passes before it runs, whatever transport brings it (made by the HTTP server). */
export interface OperationChecks {
  schema: GraphQLSchema;
  /** Parse, shape and validation, once per distinct document (document-gate.ts). */
  gate: DocumentGate;
  limits: CostLimits;
  /** The one error formatter (graphql/errors.ts), as configured for this server. */
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

export interface Checked {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/** What Apollo checks over HTTP, for an operation arriving over WebSocket, with the same codes. */
export function checkOperation(
  checks: OperationChecks,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): Checked | GraphQLError[] {
  const gated = checks.gate.check(payload.query);
  if (!gated.ok) return gated.errors.map(asError);
  const { document } = gated;
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) return [coded('The document names no operation to run (or not the one in operationName)', 'OPERATION_RESOLUTION_FAILURE')];
  if (operation.operation !== 'subscription') {
    return [coded('Only subscriptions are served over WebSocket; send queries and mutations with an HTTP POST to /graphql', 'BAD_REQUEST')];
  }
  const variables = getVariableValues(checks.schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
  if (variables.errors) return variables.errors.map((e) => coded(e.message, 'BAD_USER_INPUT', e));
  const costly = costErrors(checks.schema, document, operation, payload.variables ?? undefined, checks.limits);
  return costly.length ? costly : { document, operation };
}

const coded = (message: string, code: string, from?: GraphQLError) =>
  new GraphQLError(message, { nodes: from?.nodes, extensions: { ...from?.extensions, code } });

/** A refusal the gate remembered, as an error again (its locations kept). */
function asError(formatted: GraphQLFormattedError): GraphQLError {
  const error = new GraphQLError(formatted.message, { extensions: formatted.extensions });
  if (formatted.locations) (error as { locations?: GraphQLFormattedError['locations'] }).locations = formatted.locations;
  return error;
}

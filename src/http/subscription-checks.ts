import {
  DocumentNode,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
  ValidationRule,
} from 'graphql';
import { costErrors, CostLimits } from '../graphql/cost-limit';
import { depthLimit } from '../graphql/depth-limit';

export interface OperationLimits extends CostLimits {
  maxQueryDepth: number;
  /** Tokens one document may have (the same bound as over HTTP). */
  maxTokens: number;
  /** Production: no introspection, no "Did you mean ...?" suggestions (as Apollo does over HTTP). */
  production: boolean;
}

export interface Checked {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/**
 * What Apollo checks over HTTP before an operation runs, for one arriving over WebSocket:
 * parse (token bound), validation (depth), then that it is a subscription (queries and
 * mutations go over HTTP), its variables, and its cost and coach calls (cost.ts). The
 * errors carry the codes the HTTP path gives.
 */
export function checkOperation(
  schema: GraphQLSchema,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  limits: OperationLimits,
): Checked | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: limits.maxTokens });
  } catch (e) {
    const message = e instanceof GraphQLError ? e.message : 'The document could not be parsed';
    return [coded(message, 'GRAPHQL_PARSE_FAILED')];
  }
  const rules: ValidationRule[] = [...specifiedRules, depthLimit(limits.maxQueryDepth)];
  if (limits.production) rules.push(NoSchemaIntrospectionCustomRule);
  const invalid = validate(schema, document, rules);
  if (invalid.length) {
    return invalid.map((e) => coded(limits.production ? e.message.replace(/ ?Did you mean(.+)\?$/, '') : e.message, 'GRAPHQL_VALIDATION_FAILED', e));
  }
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) return [coded('The document names no operation to run (or not the one in operationName)', 'OPERATION_RESOLUTION_FAILURE')];
  if (operation.operation !== 'subscription') {
    return [coded('Only subscriptions are served over WebSocket; send queries and mutations with an HTTP POST to /graphql', 'BAD_REQUEST')];
  }
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
  if (variables.errors) return variables.errors.map((e) => coded(e.message, 'BAD_USER_INPUT', e));
  const costly = costErrors(schema, document, operation, payload.variables ?? undefined, limits);
  return costly.length ? costly : { document, operation };
}

const coded = (message: string, code: string, from?: GraphQLError) =>
  new GraphQLError(message, { nodes: from?.nodes, extensions: { ...from?.extensions, code } });

import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { CostOf, memoOperationCost, operationCost, PageSizes } from './cost';
import type { CostBounds } from './cost-table';
import type { Context } from './context';
import type { Topic } from '../domain/topic';

export interface CostLimits extends PageSizes {
  /** MAX_QUERY_COST: the most an operation may cost (see cost.ts for the units). */
  maxCost: number;
  /** MAX_COACH_FIELDS: the most coach-calling fields one operation may select. */
  maxCoachFields: number;
}

/** Erasing fields (eraseMyData, eraseUserData) per operation: each is a whole erasure, so one at a time. */
export const MAX_ERASURE_FIELDS = 1;

/**
 * Not a validation rule: page sizes come from variables, and Apollo caches validation per
 * document. Subscriptions call this too. [] when the operation may run.
 */
export function costErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
  limits: CostLimits,
  costOf: CostOf = (...a) => operationCost(...a, limits),
): GraphQLError[] {
  const { cost, coachFields, coachFieldNames, erasureFields } = costOf(schema, document, operation, variables);
  const errors: GraphQLError[] = [];
  const refuse = (message: string, details: Record<string, number>) =>
    errors.push(new GraphQLError(message, { nodes: [operation], extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...details, http: { status: 400 } } }));
  if (coachFields > limits.maxCoachFields) {
    const names = coachFieldNames.join(', ');
    refuse(`The operation calls the coach ${coachFields} times (${names}); at most ${limits.maxCoachFields} coach-calling field(s) per request`, {
      coachFields,
      maxCoachFields: limits.maxCoachFields,
    });
  }
  if (erasureFields > MAX_ERASURE_FIELDS) {
    refuse(`The operation erases ${erasureFields} times; at most ${MAX_ERASURE_FIELDS} erasure (eraseMyData or eraseUserData) per request`, {
      erasureFields,
      maxErasureFields: MAX_ERASURE_FIELDS,
    });
  }
  if (cost > limits.maxCost) {
    const shown = Number.isFinite(cost) && cost < 1e15 ? Math.round(cost) : Number.MAX_SAFE_INTEGER;
    refuse(
      `The operation costs ${shown}, more than the limit of ${limits.maxCost}: every field returned counts, multiplied by the page sizes (first/last) of the lists it is in, and every store or coach call and every byte it may read or return counts more`,
      { cost: shown, maxCost: limits.maxCost },
    );
  }
  return errors;
}

/** Refuses, before anything runs, operations over the cost, coach-call or erasure limits (GRAPHQL_VALIDATION_FAILED, HTTP 400). */
export function costLimit<T extends object>(limits: CostLimits): ApolloServerPlugin<T> {
  const costOf = memoOperationCost(limits);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          // No operation: graphql-js reports that itself when it executes.
          if (!rc.operation) return;
          let errors = costErrors(rc.schema, rc.document, rc.operation, rc.request.variables, limits, costOf);
          // Priced with the largest catalogue a tenant may have; before refusing, priced by the caller's own.
          const own = errors.some((e) => e.extensions.maxCost !== undefined) ? await catalogBounds(rc.contextValue) : null;
          if (own) errors = costErrors(rc.schema, rc.document, rc.operation, rc.request.variables, { ...limits, ...own });
          // Apollo sends what didResolveOperation throws as the response; one error is enough to say why.
          if (errors.length) throw errors[0];
        },
      };
    },
  };
}

/** What the caller's tenant's catalogue really holds: how many topics, and the longest of each text. */
async function catalogBounds(context: object): Promise<Pick<CostBounds, 'maxTopics' | 'topicBytes'> | null> {
  const ctx = context as Partial<Context>;
  if (!ctx.viewer || !ctx.services?.topics) return null;
  const { all } = await ctx.services.topics.catalogFor(ctx.viewer.tenantId);
  const longest = (text: (t: Topic) => unknown) => Math.max(0, ...all.map((t) => Buffer.byteLength(JSON.stringify(text(t) ?? null))));
  return {
    maxTopics: all.length,
    topicBytes: {
      name: longest((t) => t.name),
      description: longest((t) => t.description),
      instructions: longest((t) => t.instructions),
      openingMessage: longest((t) => t.openingMessage),
      resultSchema: longest((t) => t.resultSchema),
    },
  };
}

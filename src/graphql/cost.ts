import {
  DocumentNode,
  FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLCompositeType,
  GraphQLSchema,
  isCompositeType,
  isListType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';

import { bytesCost, CostBounds, FIELD_BYTES, FIELD_COSTS, PAGE_CONTENT, STORE_CALL_COST, COACH_CALL_COST, topicsOf } from './cost-table';

export { BYTES_PER_COST_UNIT, COACH_CALL_COST, STORE_CALL_COST } from './cost-table';

/** An operation's cost, computed before it runs (the model is in docs/security.md#the-cost-of-an-operation). */
export interface OperationCost {
  cost: number;
  coachFields: number;
  /** The coach-calling fields selected, by name (for the error message). */
  coachFieldNames: string[];
  /** eraseMyData and eraseUserData fields selected. */
  erasureFields: number;
  /** The variables whose values the cost depends on (the rest do not change it). */
  variablesRead: string[];
}

/** The coach-calling fields, as documented (docs/security.md). */
export const COACH_FIELDS = [...FIELD_COSTS].filter(([, c]) => c.coach).map(([name]) => name);

export type PageSizes = CostBounds;

/** A byte-budgeted page being walked: read `executions` times, at most `bytes` each; whether a covered field was priced by it yet. */
interface PageScope {
  id: number;
  executions: number;
  bytes: number;
  covered: boolean;
}

/** Introspection is free: Sandbox and codegen need it, and production turns it off. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
  pages: PageSizes,
): OperationCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const defaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  const batched = new Set<string>();
  const coachFieldNames = new Set<string>();
  let erasures = 0;
  let scopes = 0;
  // A fragment is measured once per multiplier, so nested double spreads stay linear.
  const memo = new Map<string, { cost: number; coach: number }>();
  const variablesRead = new Set<string>();

  /** An argument's value: a literal, or a variable's value or default (undefined when absent). */
  const valueOf = (value: ValueNode | undefined): unknown => {
    if (value?.kind !== Kind.VARIABLE) return value && literal(value);
    const name = value.name.value;
    variablesRead.add(name);
    if (variables && Object.hasOwn(variables, name)) return variables[name];
    const fallback = defaults.get(name);
    return fallback && literal(fallback);
  };

  /** A page size argument's value, clamped to the range the service accepts. */
  const pageArg = (value: ValueNode | undefined): number | undefined => {
    const raw = valueOf(value);
    if (raw === undefined || raw === null) return undefined;
    // Not a whole number: the request fails its own checks; until then assume the largest page.
    if (typeof raw !== 'number' || !Number.isInteger(raw)) return pages.maxPageSize;
    return Math.min(Math.max(raw, 1), pages.maxPageSize);
  };

  /** `listSize`: the page size of the paged field above, when known. */
  const walk = (
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    times: number,
    listSize: number | undefined,
    visiting: Set<string>,
    scope: PageScope | undefined,
  ): { cost: number; coach: number } => {
    let cost = 0;
    let coach = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        // Unknown fragments and cycles are refused by graphql-js's validation before this runs.
        if (!frag || visiting.has(frag.name.value)) continue;
        const on = schema.getType(frag.typeCondition.name.value);
        const key = `${frag.name.value}:${times}:${listSize}:${scope?.id ?? '-'}`;
        let part = memo.get(key);
        if (!part) {
          visiting.add(frag.name.value);
          part = isCompositeType(on) ? walk(frag.selectionSet, on, times, listSize, visiting, scope) : { cost: 0, coach: 0 };
          visiting.delete(frag.name.value);
          memo.set(key, part);
        }
        cost += part.cost;
        coach += part.coach;
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        const part = isCompositeType(on) ? walk(sel.selectionSet, on, times, listSize, visiting, scope) : { cost: 0, coach: 0 };
        cost += part.cost;
        coach += part.coach;
        continue;
      }
      const name = sel.name.value;
      if (name === '__schema' || name === '__type') continue;
      cost += times;
      if (!('getFields' in type)) continue; // __typename on a union
      const fields = type.getFields();
      const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (!field) continue; // __typename
      const coordinate = `${type.name}.${name}`;
      const args = new Map((sel.arguments ?? []).map((a) => [a.name.value, a.value] as const));
      const known = FIELD_COSTS.get(coordinate);
      const paged = field.args.some((a) => a.name === 'first' || a.name === 'last');
      const page = paged ? Math.max(pageArg(args.get('first')) ?? 0, pageArg(args.get('last')) ?? 0) || pages.defaultPageSize : undefined;
      let inner = isListType(getNullableType(field.type)) ? times * (listSize ?? topicsOf(pages)) : times;
      let below = scope;
      if (known) {
        const calls = known.storeOf ? known.storeOf((arg) => valueOf(args.get(arg)), page ?? pages.defaultPageSize, pages) : (known.store ?? 0);
        if (known.batched) batched.add(coordinate);
        else cost += times * calls * STORE_CALL_COST;
        if (known.coach) {
          coach += times;
          coachFieldNames.add(name);
          cost += times * COACH_CALL_COST;
        }
        if (known.erasure) erasures += times;
        if (known.pageBytes) {
          const bytes = known.pageBytes(page ?? pages.defaultPageSize, pages);
          cost += times * bytesCost(bytes);
          below = { id: ++scopes, executions: times, bytes, covered: false };
        }
        inner *= known.executions ?? 1;
      }
      const sized = FIELD_BYTES.get(coordinate);
      if (sized) {
        let bytes = times * sized(pages);
        if (scope && PAGE_CONTENT.has(coordinate)) {
          // The page's price covers one copy of its contents; an alias is another copy.
          bytes = scope.covered ? Math.min(bytes, scope.executions * scope.bytes) : 0;
          scope.covered = true;
        }
        cost += bytesCost(bytes);
      }
      const named = getNamedType(field.type);
      if (sel.selectionSet && isCompositeType(named)) {
        const part = walk(sel.selectionSet, named, inner, page, visiting, below);
        cost += part.cost;
        coach += part.coach;
      }
    }
    return { cost, coach };
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return { cost: 0, coachFields: 0, coachFieldNames: [], erasureFields: 0, variablesRead: [] };
  const { cost, coach } = walk(operation.selectionSet, root, 1, undefined, new Set(), undefined);
  return {
    cost: cost + batched.size * STORE_CALL_COST,
    coachFields: coach,
    coachFieldNames: [...coachFieldNames],
    erasureFields: erasures,
    variablesRead: [...variablesRead],
  };
}

export type CostOf = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
) => OperationCost;

/** Costs kept per operation: at most this many sets of the variables it reads (page sizes). */
const MEMO_VALUES_PER_OPERATION = 32;

/**
 * Remembered per operation node and the variable values it read: Apollo hands every request of
 * one document the same parsed document, so a repeated operation is walked once.
 */
export function memoOperationCost(pages: PageSizes): CostOf {
  const memo = new WeakMap<OperationDefinitionNode, { variablesRead: string[]; byValues: Map<string, OperationCost> }>();
  return (schema, document, operation, variables) => {
    const known = memo.get(operation);
    // Absent and null differ (an absent variable takes its default), so absent has its own mark.
    const keyOf = (names: string[]) => names.map((n) => (variables && Object.hasOwn(variables, n) ? JSON.stringify(variables[n]) : '-')).join(',');
    const hit = known?.byValues.get(keyOf(known.variablesRead));
    if (hit) return hit;
    const result = operationCost(schema, document, operation, variables, pages);
    const entry = known ?? { variablesRead: result.variablesRead, byValues: new Map<string, OperationCost>() };
    if (!known) memo.set(operation, entry);
    if (entry.byValues.size < MEMO_VALUES_PER_OPERATION) entry.byValues.set(keyOf(entry.variablesRead), result);
    return result;
  };
}

/** A literal scalar argument value (lists and input objects: undefined, no cost depends on them). */
function literal(value: ValueNode): unknown {
  switch (value.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.STRING:
    case Kind.ENUM:
      return value.value;
    case Kind.BOOLEAN:
      return value.value;
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}

import { ASTNode, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';

/**
 * Rejects operations that select more than `max` fields before they execute: every field
 * counts once per place it appears, each alias separately, named fragments once per
 * spread (so `{ a: topics { id } b: topics { id } ... }` and fragments spread many times
 * add up). List sizes are bounded elsewhere (page sizes at most 100, depth by depthLimit).
 *
 * The count is memoised per fragment and stops as soon as it passes the limit, so a
 * document built to explode (fragments spreading fragments twice, 40 levels deep) is
 * refused in linear time. Introspection (`__schema`, `__type`) is exempt, as in
 * depthLimit; `__typename` counts like any field.
 */
export function costLimit(max: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const memo = new Map<string, number>();

    const costOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
      if (!set) return 0;
      let cost = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value === '__schema' || sel.name.value === '__type') continue;
          cost += 1 + costOf(sel.selectionSet, visiting);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          cost += costOf(sel.selectionSet, visiting);
        } else {
          const name = sel.name.value;
          let fragmentCost = memo.get(name);
          if (fragmentCost === undefined) {
            const frag = fragments.get(name);
            // Unknown fragments and cycles are reported by graphql-js's own rules.
            if (!frag || visiting.has(name)) continue;
            visiting.add(name);
            fragmentCost = costOf(frag.selectionSet, visiting);
            visiting.delete(name);
            memo.set(name, fragmentCost);
          }
          cost += fragmentCost;
        }
        if (cost > max) return cost; // enough to refuse; no need to count the rest
      }
      return cost;
    };

    return {
      OperationDefinition(node: ASTNode) {
        if (node.kind !== Kind.OPERATION_DEFINITION) return;
        const cost = costOf(node.selectionSet, new Set());
        if (cost > max) {
          context.reportError(
            new GraphQLError(`The query selects more than the limit of ${max} fields (aliases and fragment spreads included)`, {
              nodes: [node],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
          );
        }
      },
    };
  };
}

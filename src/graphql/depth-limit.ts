import { ASTNode, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';

/**
 * Rejects operations nested deeper than `max` before they execute (fragments followed).
 * Introspection (`__schema`, `__type`) is exempt: its standard query is deeper than any
 * sensible limit, Sandbox and codegen need it, and production turns it off altogether.
 *
 * A fragment's own depth does not depend on where it is spread, so it is computed once
 * (memoised): a document whose fragments spread other fragments twice, level after
 * level, costs linear time here instead of exponential.
 */
export function depthLimit(max: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    /** Depth a fragment's selection set adds below the point where it is spread. */
    const memo = new Map<string, number>();

    const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          deepest = Math.max(deepest, 1 + depthOf(sel.selectionSet, visiting));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(sel.selectionSet, visiting));
        } else {
          const name = sel.name.value;
          let depth = memo.get(name);
          if (depth === undefined) {
            const frag = fragments.get(name);
            // Unknown fragments and cycles are reported by graphql-js's own rules.
            if (!frag || visiting.has(name)) continue;
            visiting.add(name);
            depth = depthOf(frag.selectionSet, visiting);
            visiting.delete(name);
            memo.set(name, depth);
          }
          deepest = Math.max(deepest, depth);
        }
        if (deepest > max) return deepest;
      }
      return deepest;
    };

    return {
      OperationDefinition(node: ASTNode) {
        if (node.kind !== Kind.OPERATION_DEFINITION) return;
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > max) {
          context.reportError(
            new GraphQLError(`The query is nested deeper than the limit of ${max} levels`, {
              nodes: [node],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
          );
        }
      },
    };
  };
}

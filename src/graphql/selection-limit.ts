import { ASTNode, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';

export interface SelectionMeasure {
  /** Fields that do not count, nor what they select (introspection). */
  exempt: (fieldName: string) => boolean;
  /** How a selection's measure joins its siblings' (Math.max for depth; a sum would count fields). */
  combine: (siblings: number, selection: number) => number;
  /** The error for an operation over the limit. */
  message: (max: number) => string;
}

/** Named fragments are measured once (memoised), so nested double spreads cost linear time, not exponential. */
export function selectionLimit(max: number, measure: SelectionMeasure): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const memo = new Map<string, number>();

    const measureOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
      if (!set) return 0;
      let total = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (measure.exempt(sel.name.value)) continue;
          total = measure.combine(total, 1 + measureOf(sel.selectionSet, visiting));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          total = measure.combine(total, measureOf(sel.selectionSet, visiting));
        } else {
          const name = sel.name.value;
          let fragment = memo.get(name);
          if (fragment === undefined) {
            const frag = fragments.get(name);
            // Unknown fragments and cycles are reported by graphql-js's own rules.
            if (!frag || visiting.has(name)) continue;
            visiting.add(name);
            fragment = measureOf(frag.selectionSet, visiting);
            visiting.delete(name);
            memo.set(name, fragment);
          }
          total = measure.combine(total, fragment);
        }
        if (total > max) return total; // enough to refuse; no need to measure the rest
      }
      return total;
    };

    return {
      OperationDefinition(node: ASTNode) {
        if (node.kind !== Kind.OPERATION_DEFINITION) return;
        if (measureOf(node.selectionSet, new Set()) > max) {
          context.reportError(new GraphQLError(measure.message(max), { nodes: [node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        }
      },
    };
  };
}

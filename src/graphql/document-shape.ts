import { ASTNode, DocumentNode, GraphQLError, Kind, SelectionSetNode } from 'graphql';

/** How large a document may be before graphql-js validates it (docs/security.md#the-shape-of-a-document). */
export interface ShapeLimits {
  /** MAX_QUERY_SELECTIONS: fields, fragment spreads and inline fragments, counted where written. */
  maxSelections: number;
  /** MAX_QUERY_ALIASES: aliased fields. */
  maxAliases: number;
}


/** One response name in one selection set (inline fragments included): validation compares these pairwise. */
export const MAX_SAME_NAME = 10;
export const MAX_FRAGMENTS = 20;
export const MAX_DIRECTIVES = 50;
/** A name (field, alias, argument, variable, fragment, type): this API's longest is under 30. */
export const MAX_NAME_LENGTH = 100;

class Refused extends Error {
  constructor(
    message: string,
    readonly node: ASTNode,
  ) {
    super(message);
  }
}

/** One linear pass refusing documents whose validation would be slow (pairwise rules grow with selections). */
export function shapeError(document: DocumentNode, limits: ShapeLimits): GraphQLError | null {
  let selections = 0;
  let aliases = 0;
  let directives = 0;
  let fragments = 0;
  const check = (condition: boolean, message: string, node: ASTNode) => {
    if (condition) throw new Refused(message, node);
  };
  const name = (node: { value: string } & ASTNode) => check(node.value.length > MAX_NAME_LENGTH, `A name is longer than ${MAX_NAME_LENGTH} characters`, node);
  const directivesOf = (node: { directives?: readonly ASTNode[] }) => {
    directives += node.directives?.length ?? 0;
    if (node.directives?.length) check(directives > MAX_DIRECTIVES, `The document has more than ${MAX_DIRECTIVES} directives`, node.directives[0]);
  };

  /** A selection set; inline fragments count their fields with their parent's (`names`). */
  const walk = (set: SelectionSetNode, names = new Map<string, number>()) => {
    for (const sel of set.selections) {
      selections++;
      check(selections > limits.maxSelections, `The document has more than ${limits.maxSelections} selections (fields and fragments)`, sel);
      directivesOf(sel);
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        name(sel.name);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (sel.typeCondition) name(sel.typeCondition.name);
        walk(sel.selectionSet, names);
      } else {
        name(sel.name);
        if (sel.alias) {
          name(sel.alias);
          check(++aliases > limits.maxAliases, `The document has more than ${limits.maxAliases} aliased fields`, sel);
        }
        const key = (sel.alias ?? sel.name).value;
        const seen = (names.get(key) ?? 0) + 1;
        names.set(key, seen);
        check(seen > MAX_SAME_NAME, `"${key}" is selected more than ${MAX_SAME_NAME} times in one selection set`, sel);
        for (const arg of sel.arguments ?? []) name(arg.name);
        if (sel.selectionSet) walk(sel.selectionSet);
      }
    }
  };

  try {
    for (const def of document.definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) {
        check(++fragments > MAX_FRAGMENTS, `The document defines more than ${MAX_FRAGMENTS} fragments`, def);
        name(def.name);
      } else if (def.kind === Kind.OPERATION_DEFINITION) {
        if (def.name) name(def.name);
        for (const v of def.variableDefinitions ?? []) name(v.variable.name);
      }
      if ('directives' in def) directivesOf(def);
      if ('selectionSet' in def) walk(def.selectionSet);
    }
    return null;
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    return new GraphQLError(e.message, { nodes: [e.node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
  }
}

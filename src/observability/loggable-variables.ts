import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode, ValueNode } from 'graphql';

/** A variable is logged only if every argument it feeds is one of these, whatever it is called. */
const SAFE_ARGUMENTS = new Set([
  'topicId',
  'sessionId',
  'id',
  'messageId',
  'restart',
  'clientMessageId',
  'status',
  'first',
  'last',
  'minIdleMinutes',
  'includeArchived',
  'toUserId',
  'userId',
]);
const MAX_LOGGED_STRING = 128;

/** A function of the document alone, so remembered per parsed operation. */
const safeByOperation = new WeakMap<OperationDefinitionNode, string[]>();

/** The variables of `operation` that may be logged (see SAFE_ARGUMENTS); undefined when none. */
export function loggableVariables(
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  if (!document || !operation || !variables) return undefined;
  let safe = safeByOperation.get(operation);
  if (!safe) safeByOperation.set(operation, (safe = safeVariables(document, operation)));
  const out: Record<string, unknown> = {};
  for (const name of safe) {
    if (!Object.hasOwn(variables, name)) continue;
    const v = variables[name];
    if (v !== undefined && (typeof v !== 'string' || v.length <= MAX_LOGGED_STRING)) out[name] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function safeVariables(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const safe = new Set<string>();
  const unsafe = new Set<string>();

  /** Every variable inside `value` feeds argument `arg`: directly or as a list item is the argument's; inside an input object never safe. */
  const use = (value: ValueNode, arg: string | null) => {
    if (value.kind === Kind.VARIABLE) (arg !== null && SAFE_ARGUMENTS.has(arg) ? safe : unsafe).add(value.name.value);
    else if (value.kind === Kind.LIST) for (const item of value.values) use(item, arg);
    else if (value.kind === Kind.OBJECT) for (const field of value.fields) use(field.value, null);
  };
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      for (const directive of sel.directives ?? []) for (const arg of directive.arguments ?? []) use(arg.value, null);
      if (sel.kind === Kind.FIELD) {
        for (const arg of sel.arguments ?? []) use(arg.value, arg.name.value);
        if (sel.selectionSet) walk(sel.selectionSet);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet);
      } else if (!visited.has(sel.name.value)) {
        visited.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return [...safe].filter((name) => !unsafe.has(name));
}

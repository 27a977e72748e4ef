import { ValidationRule } from 'graphql';
import { selectionLimit } from './selection-limit';

/**
 * Rejects operations nested deeper than `max` before they execute (fragments followed).
 * Introspection (`__schema`, `__type`; any `__` field) is exempt: its standard query is
 * deeper than any sensible limit, Sandbox and codegen need it, and production turns it off
 * altogether.
 */
export function depthLimit(max: number): ValidationRule {
  return selectionLimit(max, {
    exempt: (name) => name.startsWith('__'),
    combine: Math.max,
    message: (limit) => `The query is nested deeper than the limit of ${limit} levels`,
  });
}

import { ValidationRule } from 'graphql';
import { selectionLimit } from './selection-limit';

/** Introspection is exempt: its standard query is deeper than any sensible limit, and production turns it off. */
export function depthLimit(max: number): ValidationRule {
  return selectionLimit(max, {
    exempt: (name) => name.startsWith('__'),
    combine: Math.max,
    message: (limit) => `The query is nested deeper than the limit of ${limit} levels`,
  });
}

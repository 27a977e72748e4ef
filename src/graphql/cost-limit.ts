import { ValidationRule } from 'graphql';
import { selectionLimit } from './selection-limit';

/**
 * Rejects operations that select more than `max` fields before they execute: every field
 * counts once per place it appears, each alias separately, named fragments once per
 * spread (so `{ a: topics { id } b: topics { id } ... }` and fragments spread many times
 * add up). List sizes are bounded elsewhere (page sizes at most 100, depth by depthLimit).
 * Introspection (`__schema`, `__type`) is exempt, as in depthLimit; `__typename` counts
 * like any field.
 */
export function costLimit(max: number): ValidationRule {
  return selectionLimit(max, {
    exempt: (name) => name === '__schema' || name === '__type',
    combine: (siblings, selection) => siblings + selection,
    message: (limit) => `The query selects more than the limit of ${limit} fields (aliases and fragment spreads included)`,
  });
}

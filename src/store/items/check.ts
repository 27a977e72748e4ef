import { Item } from '../schema';

/** Items are checked, not cast: a corrupt item fails loudly, naming its key. */
export class CorruptItemError extends Error {
  constructor(what: string, item: Item) {
    super(`corrupt ${what} item ${String(item.pk)}/${String(item.sk)}`);
    this.name = 'CorruptItemError';
  }
}

export function str(v: unknown, fail: () => Error): string {
  if (typeof v !== 'string') throw fail();
  return v;
}

export function num(v: unknown, fail: () => Error): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail();
  return v;
}

/** A time attribute (ISO-8601 string, see schema.ts) as epoch milliseconds. */
export function time(v: unknown, fail: () => Error): number {
  const ms = Date.parse(str(v, fail));
  if (Number.isNaN(ms)) throw fail();
  return ms;
}

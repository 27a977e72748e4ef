import { TransactItem } from '../../src/store/table-io';
import { INDEXES, Item, IndexSpec } from '../../src/store/schema';
import { Key } from '../../src/store/keys';

/**
 * An in-memory table that applies the store's real requests and books the capacity each one
 * consumes on the partition it lands on: the table's partition key, and each index's.
 * Units as AWS bills them (docs/data-model.md, "Indexes and their cost"): a write 1 WCU per KB
 * (2 inside a transaction), an index entry 1 WCU per KB for each put or delete of it (a moved
 * key is both); a consistent read 1 RCU per 4 KB (a Query sums its items first), an
 * eventually consistent one half that; index reads are eventually consistent.
 */

/** Where a request lands: the table or an index name, and its partition key value. */
export interface Partition {
  where: string;
  pk: string;
}

export interface Units {
  wcu: number;
  rcu: number;
}

/** The indexes as tableDefinition() projects them: byUser every attribute, the admin ones keys only. */
const PROJECTS_ALL: Record<string, boolean> = { [INDEXES.byUser.name]: true };

/** Options of the accounting: `gsiTxFactor` 2 books index writes of a transaction doubled (what DynamoDB Local reports). */
export interface LedgerOptions {
  gsiTxFactor?: number;
}

export class Ledger {
  readonly items = new Map<string, Item>();
  readonly booked = new Map<string, Units & Partition>();
  private readonly gsiTxFactor: number;

  constructor(opts: LedgerOptions = {}) {
    this.gsiTxFactor = opts.gsiTxFactor ?? 1;
  }

  get(key: Key): Item | undefined {
    return this.items.get(id(key));
  }

  /** The items of one partition, in sort key order. */
  partition(pk: string): Item[] {
    return [...this.items.values()].filter((i) => i.pk === pk).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
  }

  /** A GetItem (consistent unless told). */
  getItem(key: Key, consistent = true): Item | undefined {
    const item = this.get(key);
    this.book({ where: 'table', pk: key.pk }, { wcu: 0, rcu: readUnits(item ? itemBytes(item) : 0, consistent) });
    return item;
  }

  /** A Query of `items` (already chosen) from one partition of the table or an index. */
  query(where: string, pk: string, bytes: number, consistent: boolean): void {
    this.book({ where, pk }, { wcu: 0, rcu: readUnits(bytes, consistent) });
  }

  /** A BatchGetItem of `keys`, each a consistent read of its own. */
  batchGet(keys: readonly Key[]): void {
    for (const k of keys) this.getItem(k);
  }

  /** A TransactWriteItems as transactions.ts builds it: every part applied and booked. */
  transact(tx: readonly (readonly [string, TransactItem])[]): void {
    for (const [, part] of tx) this.write(part, 2);
  }

  /** A single write (UpdateItem / PutItem / DeleteItem) in TransactItem form. */
  write(part: TransactItem, factor = 1): void {
    if (part.ConditionCheck) {
      const key = part.ConditionCheck.Key as Key;
      this.book({ where: 'table', pk: key.pk }, { wcu: factor * writeUnits(itemBytes(this.get(key) ?? { ...key })), rcu: 0 });
      return;
    }
    const key = (part.Put?.Item ?? part.Update?.Key ?? part.Delete?.Key) as Key;
    const before = this.get({ pk: String(key.pk), sk: String(key.sk) });
    let after: Item | undefined;
    if (part.Put) after = { ...part.Put.Item };
    else if (part.Update) after = applyUpdate(before ?? { pk: key.pk, sk: key.sk }, part.Update.UpdateExpression!, part.Update.ExpressionAttributeNames ?? {}, part.Update.ExpressionAttributeValues ?? {});
    const size = Math.max(before ? itemBytes(before) : 0, after ? itemBytes(after) : 0);
    this.book({ where: 'table', pk: String(key.pk) }, { wcu: factor * writeUnits(size), rcu: 0 });
    for (const index of Object.values(INDEXES)) this.indexWrite(index, before, after, factor === 2 ? this.gsiTxFactor : 1);
    if (after) this.items.set(id(key), after);
    else this.items.delete(id(key));
  }

  /** What the write does to one index: nothing, a put, a delete, both (a moved key), or a rewrite of a projection. */
  private indexWrite(index: IndexSpec, before: Item | undefined, after: Item | undefined, factor: number): void {
    const entry = (i: Item | undefined) => (i && typeof i[index.pk] === 'string' && typeof i[index.sk] === 'string' ? i : undefined);
    const was = entry(before);
    const is = entry(after);
    const all = PROJECTS_ALL[index.name] ?? false;
    const bytes = (i: Item) => indexEntryBytes(i, index, all);
    const book = (i: Item) => this.book({ where: index.name, pk: String(i[index.pk]) }, { wcu: factor * writeUnits(bytes(i)), rcu: 0 });
    if (was && is && was[index.pk] === is[index.pk] && was[index.sk] === is[index.sk]) {
      if (all && JSON.stringify(was) !== JSON.stringify(is)) book(is);
      return;
    }
    if (was) book(was);
    if (is) book(is);
  }

  book(p: Partition, u: Units): void {
    const k = `${p.where}\u0000${p.pk}`;
    const b = this.booked.get(k) ?? { ...p, wcu: 0, rcu: 0 };
    b.wcu += u.wcu;
    b.rcu += u.rcu;
    this.booked.set(k, b);
  }
}

const id = (k: Key) => `${k.pk}\u0000${k.sk}`;

export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers about a byte per two digits). */
export function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);
}

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.min(21, Math.ceil(String(Math.abs(v)).replace(/[.-]/g, '').length / 2) + 1);
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (Array.isArray(v)) return 3 + v.reduce<number>((n, e) => n + 1 + valueBytes(e), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as object).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
  return 0;
}

/** An index entry: the index keys, the table keys, the projected attributes and 100 bytes of overhead. */
export function indexEntryBytes(item: Item, index: IndexSpec, all: boolean): number {
  if (all) return itemBytes(item) + 100;
  const keys = { pk: item.pk, sk: item.sk, [index.pk]: item[index.pk], [index.sk]: item[index.sk] };
  return itemBytes(keys) + 100;
}

/**
 * Applies an update expression of the forms the store writes (diffUpdate, replyCounted,
 * set(...)): `SET a = :v, b = :w REMOVE c ADD d :n`. Anything else throws, so a new form is
 * noticed rather than mis-booked.
 */
export function applyUpdate(item: Item, text: string, names: Record<string, string>, values: Record<string, unknown>): Item {
  const out: Item = { ...item };
  const name = (n: string) => names[n] ?? n;
  const clauses = text.split(/\b(?=SET |REMOVE |ADD )/);
  for (const clause of clauses) {
    const [verb, ...rest] = clause.trim().split(' ');
    const body = rest.join(' ');
    for (const part of body.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (verb === 'SET') {
        const m = /^(\S+) = (\S+)(?: \+ (\S+))?$/.exec(part);
        if (!m) throw new Error(`unsupported SET clause: ${part}`);
        const base = m[3] ? Number(out[name(m[2])] ?? 0) + Number(values[m[3]]) : values[m[2]];
        out[name(m[1])] = base;
      } else if (verb === 'REMOVE') delete out[name(part)];
      else if (verb === 'ADD') {
        const [a, v] = part.split(' ');
        out[name(a)] = Number(out[name(a)] ?? 0) + Number(values[v]);
      } else throw new Error(`unsupported update: ${text}`);
    }
  }
  return out;
}

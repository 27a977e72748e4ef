/** What every item shares: key, `type` and `ttl` attributes, index names, time formats, expression helpers. */

export type Item = Record<string, unknown>;

/** DynamoDB's TTL attribute: epoch seconds, the only time not stored as an ISO string. */
export const TTL_ATTRIBUTE = 'ttl';
/** Every item names its type (items/): child-ttl and erasure go by it. */
export const TYPE_ATTRIBUTE = 'type';
export const typeOf = (item: Item) => String(item[TYPE_ATTRIBUTE]);
/** Projections of the table's keys: both, or the partition key alone (a read that only asks "any?"). */
export const TABLE_KEYS = 'pk, sk';
export const PARTITION_KEY = 'pk';

export interface IndexSpec {
  readonly name: string;
  readonly pk: string;
  readonly sk: string;
}

/**
 * The GSIs (docs/data-model.md). The admin ones project keys only, so a message writes none
 * of them; projections cannot change in place, hence "V2" and OBSOLETE_INDEXES.
 */
export const INDEXES = {
  byUser: { name: 'byUser', pk: 'gsi1pk', sk: 'gsi1sk' },
  byTenantIdle: { name: 'byTenantIdleV2', pk: 'gsi2pk', sk: 'gsi2sk' },
  byIdle: { name: 'byIdleV2', pk: 'gsi3pk', sk: 'gsi3sk' },
  byTenantTopic: { name: 'byTenantTopicV2', pk: 'gsi4pk', sk: 'gsi4sk' },
} as const satisfies Record<string, IndexSpec>;

/** Indexes of earlier versions (all-attribute projections of the admin keys), dropped by ensureTable. */
export const OBSOLETE_INDEXES = ['byTenantIdle', 'byIdle', 'byTenantTopic'];

export const BY_USER_INDEX = INDEXES.byUser.name;
export const BY_TENANT_IDLE_INDEX = INDEXES.byTenantIdle.name;
export const BY_IDLE_INDEX = INDEXES.byIdle.name;
export const BY_TENANT_TOPIC_INDEX = INDEXES.byTenantTopic.name;


/** Times are ISO-8601 UTC strings of one width, so sort keys and conditions compare them as strings. */
export const isoTime = (ms: number) => new Date(ms).toISOString();
/** DynamoDB's `ttl` is epoch seconds; domain times are epoch milliseconds. */
export const toTtl = (ms: number) => Math.ceil(ms / 1000);
export const nowSeconds = (now: number) => Math.floor(now / 1000);
/** A time to the minute (seconds and ms zeroed): byUser's sort key moves at most once a minute. */
export const minuteOf = (ms: number) => ms - (((ms % 60_000) + 60_000) % 60_000);


/** A condition, filter, key condition or update expression with the names and values it uses. */
export interface Expression {
  text: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export const expr = (text: string, values?: Record<string, unknown>, names?: Record<string, string>): Expression => ({
  text,
  ...(names ? { names } : {}),
  ...(values ? { values } : {}),
});

const TTL_NAME = { '#ttl': TTL_ATTRIBUTE };

/** Not expired at `now` (ms): what every read and every conditional write of session data requires. */
export const unexpired = (now: number) => expr('#ttl > :now', { ':now': nowSeconds(now) }, TTL_NAME);
/** The read-side twin of `unexpired`: reads hide an item whose ttl has passed, deleted or not. */
export const isUnexpired = (item: Item | undefined, now: number): item is Item =>
  item !== undefined && typeof item[TTL_ATTRIBUTE] === 'number' && item[TTL_ATTRIBUTE] > nowSeconds(now);
/** Expired at `now` (ms), though DynamoDB may not have deleted it yet: it counts as absent. */
export const expired = (now: number) => expr('#ttl <= :now', { ':now': nowSeconds(now) }, TTL_NAME);
export const ITEM_ABSENT = expr('attribute_not_exists(pk)');
export const ITEM_PRESENT = expr('attribute_exists(pk)');
/** `ttl = <ttl>` (epoch seconds), an assignment for `set`. */
export const assignTtl = (ttl: number) => expr('#ttl = :ttl', { ':ttl': ttl }, TTL_NAME);


export const inPartition = (pk: string) => expr('pk = :pk', { ':pk': pk });
export const sortBetween = (pk: string, lo: string, hi: string) => expr('pk = :pk AND sk BETWEEN :lo AND :hi', { ':pk': pk, ':lo': lo, ':hi': hi });
export const sortBeginsWith = (pk: string, prefix: string) => expr('pk = :pk AND begins_with(sk, :prefix)', { ':pk': pk, ':prefix': prefix });

/** One partition of `index`, optionally only sort keys below, above or between bounds. */
export function indexKeys(index: IndexSpec, partition: string, range: { below?: string; above?: string; between?: [string, string] } = {}): Expression {
  const { below, above, between } = range;
  if (below !== undefined) return expr(`${index.pk} = :p AND ${index.sk} < :below`, { ':p': partition, ':below': below });
  if (above !== undefined) return expr(`${index.pk} = :p AND ${index.sk} > :above`, { ':p': partition, ':above': above });
  if (between) return expr(`${index.pk} = :p AND ${index.sk} BETWEEN :lo AND :hi`, { ':p': partition, ':lo': between[0], ':hi': between[1] });
  return expr(`${index.pk} = :p`, { ':p': partition });
}

/** A projection of `attributes`, each through a name placeholder (some are reserved words); for `params`. */
export function projection(...attributes: string[]): Expression {
  const names = Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a]));
  return { text: Object.keys(names).join(', '), names };
}

/**
 * SET what changed, REMOVE what went, ADD `counters` (deltas commute with other writers'); null
 * when nothing changes. Only changed attributes are sent, so untouched indexes are not written.
 */
export function diffUpdate(before: Item, after: Item, counters: Record<string, number> = {}, remove: readonly string[] = []): Expression | null {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const name = (attr: string) => {
    const n = `#u${Object.keys(names).length}`;
    names[n] = attr;
    return n;
  };
  const value = (v: unknown) => {
    const n = `:u${Object.keys(values).length}`;
    values[n] = v;
    return n;
  };
  const sets = Object.entries(after)
    .filter(([k, v]) => !(k in counters) && JSON.stringify(before[k]) !== JSON.stringify(v))
    .map(([k, v]) => `${name(k)} = ${value(v)}`);
  const gone = new Set([...Object.keys(before).filter((k) => !(k in after)), ...remove.filter((k) => !(k in after))]);
  const removes = [...gone].filter((k) => !(k in counters)).map(name);
  const adds = Object.entries(counters)
    .filter(([, d]) => d !== 0)
    .map(([k, d]) => `${name(k)} ${value(d)}`);
  const text = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return text ? { text, names, ...(Object.keys(values).length ? { values } : {}) } : null;
}

/** A compound part keeps its meaning inside another: `a AND (b OR c)`. */
const bracketed = (text: string) => (/ (AND|OR) /.test(text) ? `(${text})` : text);
export const and = (...parts: Expression[]) => join(parts, ' AND ', bracketed);
export const or = (...parts: Expression[]) => join(parts, ' OR ', bracketed);
export const set = (...assignments: Expression[]) => join(assignments, ', ', (text) => text, 'SET ');

function join(parts: Expression[], separator: string, wrap: (text: string) => string, prefix = ''): Expression {
  const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = params({}, ...parts);
  const text = prefix + parts.map((p) => (parts.length > 1 ? wrap(p.text) : p.text)).join(separator);
  return { text, ...(names ? { names } : {}), ...(values ? { values } : {}) };
}

type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

/** Merges expressions' names and values, leaving out empty maps as DynamoDB requires. */
export function params<K extends ExpressionKind>(
  kinds: Record<K, Expression>,
  ...extra: Expression[]
): Record<K, string> & { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const out = {} as Record<K, string>;
  for (const [kind, e] of Object.entries(kinds) as [K, Expression][]) out[kind] = e.text;
  for (const e of [...(Object.values(kinds) as Expression[]), ...extra]) {
    for (const [k, v] of Object.entries(e.names ?? {})) names[k] = v;
    for (const [k, v] of Object.entries(e.values ?? {})) {
      if (k in values && values[k] !== v) throw new Error(`expression value ${k} used twice with different values`);
      values[k] = v;
    }
  }
  return {
    ...out,
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

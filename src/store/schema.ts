/**
 * The one place that spells the table's attribute and index names, its time formats and
 * the condition fragments built on them. Key *values* (`T#<tenant>#S#...`) are made in
 * keys.ts; the layout is documented there.
 */

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** DynamoDB's TTL attribute: epoch seconds, the only time not stored as an ISO string. */
export const TTL_ATTRIBUTE = 'ttl';

export interface IndexSpec {
  readonly name: string;
  /** Partition and sort key attributes (strings). */
  readonly pk: string;
  readonly sk: string;
}

/** The global secondary indexes (docs/data-model.md). */
export const INDEXES = {
  byUser: { name: 'byUser', pk: 'gsi1pk', sk: 'gsi1sk' },
  byTenantIdle: { name: 'byTenantIdle', pk: 'gsi2pk', sk: 'gsi2sk' },
  byIdle: { name: 'byIdle', pk: 'gsi3pk', sk: 'gsi3sk' },
  byTenantTopic: { name: 'byTenantTopic', pk: 'gsi4pk', sk: 'gsi4sk' },
} as const satisfies Record<string, IndexSpec>;

export const BY_USER_INDEX = INDEXES.byUser.name;
export const BY_TENANT_IDLE_INDEX = INDEXES.byTenantIdle.name;
export const BY_IDLE_INDEX = INDEXES.byIdle.name;
export const BY_TENANT_TOPIC_INDEX = INDEXES.byTenantTopic.name;

// ---- times ---------------------------------------------------------------------

/**
 * Every time attribute but `ttl` is an ISO-8601 string (UTC, milliseconds): index sort
 * keys sort by it, and conditions compare it as a string (same width, so same order).
 */
export const isoTime = (ms: number) => new Date(ms).toISOString();
/** DynamoDB's `ttl` is epoch seconds; domain times are epoch milliseconds. */
export const toTtl = (ms: number) => Math.ceil(ms / 1000);
export const nowSeconds = (now: number) => Math.floor(now / 1000);

// ---- expressions ---------------------------------------------------------------

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

/** A compound part keeps its meaning inside another: `a AND (b OR c)`. */
const bracketed = (text: string) => (/ (AND|OR) /.test(text) ? `(${text})` : text);
export const and = (...parts: Expression[]) => join(parts, ' AND ', bracketed);
export const or = (...parts: Expression[]) => join(parts, ' OR ', bracketed);
/** An update expression: `SET a = :a, b = :b`. */
export const set = (...assignments: Expression[]) => join(assignments, ', ', (text) => text, 'SET ');

function join(parts: Expression[], separator: string, wrap: (text: string) => string, prefix = ''): Expression {
  const { ExpressionAttributeNames: names, ExpressionAttributeValues: values } = params({}, ...parts);
  const text = prefix + parts.map((p) => (parts.length > 1 ? wrap(p.text) : p.text)).join(separator);
  return { text, ...(names ? { names } : {}), ...(values ? { values } : {}) };
}

type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression';

/**
 * Request parameters for expressions: each under its own parameter, their names and
 * values merged (and left out when empty, as DynamoDB requires). A placeholder used
 * twice with different values is a programming error.
 */
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

/** The filter every session listing applies: not expired, and optionally one of `statuses`. */
export function sessionFilter(now: number, statuses: readonly string[] | null): Expression {
  if (!statuses) return unexpired(now);
  const values = Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s]));
  return and(unexpired(now), expr(`#status IN (${Object.keys(values).join(', ')})`, values, { '#status': 'status' }));
}

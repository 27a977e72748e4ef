import { isCleanText } from './text';

/**
 * The JSON Schema subset a topic's result may use (docs/coach.md, Results): small enough to
 * validate without a library. The root is always an object.
 */
export type ResultSchema =
  | {
      type: 'object';
      properties: Record<string, ResultSchema>;
      required?: string[];
      additionalProperties?: false;
      description?: string;
    }
  | { type: 'array'; items: ResultSchema; minItems?: number; maxItems?: number; description?: string }
  | { type: 'string'; maxLength?: number; description?: string }
  | { type: 'number' | 'integer' | 'boolean'; description?: string };

export type ResultObjectSchema = Extract<ResultSchema, { type: 'object' }>;

const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean'] as const;
const KEYS = new Map<string, readonly string[]>([
  ['object', ['type', 'properties', 'required', 'additionalProperties', 'description']],
  ['array', ['type', 'items', 'minItems', 'maxItems', 'description']],
  ['string', ['type', 'maxLength', 'description']],
  ['number', ['type', 'description']],
  ['integer', ['type', 'description']],
  ['boolean', ['type', 'description']],
]);
/** Names every object already has: as stored map keys they break the marshaller or vanish. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));
const MAX_DEPTH = 6;
const MAX_PROPERTIES = 50;
/** A property name: 1-64 characters, one line, clean text (the rules of other names, src/domain/text.ts). */
export const MAX_PROPERTY_NAME_CHARS = 64;
/** The schema is stored on the topic and sent with every extraction; depth bounds alone allow 50^6 nodes. */
export const MAX_SCHEMA_JSON_CHARS = 20_000;
const MAX_ITEMS_BOUND = 1000;
const MAX_LENGTH_BOUND = 100_000;

/** Reads a schema from TOPICS_FILE; `fail` names the problem (with its path). The root must be an object schema. */
export function parseResultSchema(raw: unknown, fail: (problem: string) => Error): ResultObjectSchema {
  // Measured before the walk, so a huge schema costs one stringify (JSON input holds no cycles).
  if (JSON.stringify(raw)?.length > MAX_SCHEMA_JSON_CHARS) throw fail(`"resultSchema" is longer than ${MAX_SCHEMA_JSON_CHARS} characters as JSON`);
  const schema = parseNode(raw, 'resultSchema', 0, fail);
  if (schema.type !== 'object') throw fail('"resultSchema" must have "type": "object" at its root');
  return schema;
}

function parseNode(raw: unknown, path: string, depth: number, fail: (problem: string) => Error): ResultSchema {
  if (depth > MAX_DEPTH) throw fail(`"${path}" nests deeper than ${MAX_DEPTH} levels`);
  if (!isObject(raw)) throw fail(`"${path}" must be an object`);
  const type = raw.type;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    throw fail(`"${path}.type" must be one of ${TYPES.join(', ')}`);
  }
  for (const key of Object.keys(raw)) {
    if (!KEYS.get(type)!.includes(key)) throw fail(`"${path}" has "${key}", which a ${type} schema does not support`);
  }
  const description = raw.description;
  if (description !== undefined && (typeof description !== 'string' || description.length > 1000 || !isCleanText(description, { multiline: true }))) {
    throw fail(`"${path}.description" must be a string of at most 1000 characters, without control characters`);
  }
  const base = description !== undefined ? { description: description as string } : {};
  const bound = (name: string, max: number): number | undefined => {
    const v = raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw fail(`"${path}.${name}" must be an integer from 0 to ${max}`);
    return v;
  };
  switch (type) {
    case 'object': {
      if (!isObject(raw.properties)) throw fail(`"${path}.properties" must be an object`);
      const names = Object.keys(raw.properties);
      if (names.length > MAX_PROPERTIES) throw fail(`"${path}.properties" has more than ${MAX_PROPERTIES} entries`);
      const bad = names.find((name) => !isPropertyName(name));
      if (bad !== undefined) {
        throw fail(
          `"${path}.properties" has a name that is empty, longer than ${MAX_PROPERTY_NAME_CHARS} characters, or has control characters or invalid Unicode: ${JSON.stringify(bad.slice(0, MAX_PROPERTY_NAME_CHARS))}`,
        );
      }
      const reserved = names.find((name) => RESERVED_NAMES.has(name));
      if (reserved !== undefined) throw fail(`"${path}.properties" has "${reserved}", a name every JavaScript object has already: choose another`);
      const props = raw.properties;
      const properties: Record<string, ResultSchema> = Object.fromEntries(
        names.map((name) => [name, parseNode(props[name], `${path}.properties.${name}`, depth + 1, fail)]),
      );
      const out: ResultObjectSchema = { type: 'object', properties, ...base };
      if (raw.required !== undefined) {
        if (!Array.isArray(raw.required) || raw.required.some((r) => typeof r !== 'string' || !names.includes(r))) {
          throw fail(`"${path}.required" must list names from "properties"`);
        }
        out.required = [...new Set(raw.required as string[])];
      }
      if (raw.additionalProperties !== undefined) {
        if (raw.additionalProperties !== false) throw fail(`"${path}.additionalProperties" can only be false`);
        out.additionalProperties = false;
      }
      return out;
    }
    case 'array': {
      const minItems = bound('minItems', MAX_ITEMS_BOUND);
      const maxItems = bound('maxItems', MAX_ITEMS_BOUND);
      if (minItems !== undefined && maxItems !== undefined && minItems > maxItems) throw fail(`"${path}.minItems" is greater than "maxItems"`);
      return {
        type: 'array',
        items: parseNode(raw.items, `${path}.items`, depth + 1, fail),
        ...(minItems !== undefined ? { minItems } : {}),
        ...(maxItems !== undefined ? { maxItems } : {}),
        ...base,
      };
    }
    case 'string': {
      const maxLength = bound('maxLength', MAX_LENGTH_BOUND);
      return { type: 'string', ...(maxLength !== undefined ? { maxLength } : {}), ...base };
    }
    default:
      return { type: type as 'number' | 'integer' | 'boolean', ...base };
  }
}

/** The problems of `value` against `schema` ("values[2].name: expected a string"); empty when valid. At most 10. */
export function validateResult(schema: ResultSchema, value: unknown): string[] {
  const problems: string[] = [];
  check(schema, value, '', problems);
  return problems.slice(0, 10);
}

function check(schema: ResultSchema, value: unknown, path: string, problems: string[]): void {
  if (problems.length >= 10) return;
  const at = path || '(root)';
  switch (schema.type) {
    case 'object': {
      if (!isObject(value)) return void problems.push(`${at}: expected an object`);
      for (const name of schema.required ?? []) {
        if (!Object.hasOwn(value, name) || value[name] === undefined || value[name] === null) problems.push(`${join(path, name)}: is required`);
      }
      for (const [name, v] of Object.entries(value)) {
        if (RESERVED_NAMES.has(name)) {
          problems.push(`${join(path, name)}: is a reserved name`);
          continue;
        }
        const sub = Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
        if (sub) {
          if (v !== undefined && v !== null) check(sub, v, join(path, name), problems);
        } else if (schema.additionalProperties === false) {
          problems.push(`${join(path, name)}: is not allowed`);
        }
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) return void problems.push(`${at}: expected an array`);
      if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${at}: expected at least ${schema.minItems} item(s), got ${value.length}`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${at}: expected at most ${schema.maxItems} item(s), got ${value.length}`);
      value.forEach((item, i) => check(schema.items, item, `${path}[${i}]`, problems));
      return;
    }
    case 'string':
      if (typeof value !== 'string') return void problems.push(`${at}: expected a string`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength} characters`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${at}: expected a number`);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) problems.push(`${at}: expected an integer`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${at}: expected a boolean`);
      return;
  }
}

/** Non-empty (not only spaces), at most MAX_PROPERTY_NAME_CHARS, one line without control characters, well-formed. */
export const isPropertyName = (name: string): boolean =>
  name.trim() !== '' && name.length <= MAX_PROPERTY_NAME_CHARS && isCleanText(name, { multiline: false });

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

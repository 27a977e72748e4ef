import { readFileSync } from 'node:fs';
import { SessionSettings } from '../domain/session';
import { DEFAULT_SETTINGS } from '../defaults';
import { Topic } from '../domain/topic';
import { isTopicId } from '../domain/ids';
import { BUILTIN_TOPICS } from './builtin';
import { parseResultSchema } from '../domain/result-schema';
import { isCleanText } from '../domain/text';

/** A fixed catalogue, or TenantTopics (defaults merged with the tenant's own). */
export interface TopicSource {
  /** The tenant's catalogue; call it once per operation. */
  catalogFor(tenantId: string): Promise<TopicCatalog>;
  /** The tenant's catalogue as last loaded (the defaults if never), without any read. */
  peek(tenantId: string): TopicCatalog;
}

/** Archived topics are not offered but still resolve by id, so their sessions keep their settings. */
export class TopicCatalog implements TopicSource {
  private readonly byId: Map<string, Topic>;
  /** The offered topics: not archived. */
  readonly topics: readonly Topic[];

  constructor(readonly all: readonly Topic[]) {
    this.byId = new Map(all.map((t) => [t.id, t]));
    this.topics = all.filter((t) => !t.archived);
  }

  /** Any topic of the catalogue, archived ones included. */
  get(id: string): Topic | undefined {
    return this.byId.get(id);
  }

  catalogFor(): Promise<TopicCatalog> {
    return Promise.resolve(this);
  }

  peek(): TopicCatalog {
    return this;
  }
}

/** Built-ins, then the file's entries (replacing built-ins with the same id). */
export function loadCatalog(topicsFile: string | undefined): TopicCatalog {
  const topics = [...BUILTIN_TOPICS];
  if (topicsFile) {
    for (const topic of parseTopicsFile(topicsFile)) {
      const i = topics.findIndex((t) => t.id === topic.id);
      if (i >= 0) topics[i] = topic;
      else topics.push(topic);
    }
  }
  return new TopicCatalog(topics);
}

export class TopicsFileError extends Error {
  constructor(file: string, problem: string) {
    super(`TOPICS_FILE ${file}: ${problem}`);
    this.name = 'TopicsFileError';
  }
}

export function parseTopicsFile(file: string): Topic[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TopicsFileError(file, `cannot be read as JSON (${(e as Error).message})`);
  }
  return parseTopics(raw, (problem) => new TopicsFileError(file, problem));
}

/** `field`: the offending field (a topic key or a setting name), when there is one. */
export type Fail = (problem: string, field?: string) => Error;

export function parseTopics(raw: unknown, fail: Fail): Topic[] {
  if (!Array.isArray(raw)) throw fail('must be a JSON array of topics');
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const topic = parseTopic(entry, (p) => fail(`entry ${i}: ${p}`));
    if (seen.has(topic.id)) throw fail(`entry ${i}: duplicate id "${topic.id}"`);
    seen.add(topic.id);
    return topic;
  });
}

const KNOWN_KEYS = new Set(['id', 'name', 'description', 'instructions', 'openingMessage', 'settings', 'resultSchema']);

/** One topic in the TOPICS_FILE shape and bounds; also validates topic administration. */
export function parseTopic(entry: unknown, fail: Fail): Topic {
  if (!isObject(entry)) throw fail('must be an object');
  for (const key of Object.keys(entry)) if (!KNOWN_KEYS.has(key)) throw fail(`unknown field "${key}"`, key);
  const id = entry.id;
  if (typeof id !== 'string' || !isTopicId(id)) {
    throw fail('"id" must be a string of lowercase letters, digits, "_" or "-" (at most 64)', 'id');
  }
  const name = requiredText(entry.name, 'name', 200, fail);
  const description = optionalText(entry.description, 'description', 2000, fail, true);
  const instructions = optionalText(entry.instructions, 'instructions', 20000, fail, true) ?? `Coach the user on ${name}.`;
  const openingMessage =
    optionalText(entry.openingMessage, 'openingMessage', 4000, fail, true) ??
    `Welcome! Let's work on ${name}. What would you like to explore first?`;
  const topic: Topic = { id, name, description, instructions, openingMessage, settings: parseSettings(entry.settings, fail) };
  // No resultSchema (or null): completeSession extracts nothing for this topic.
  if (entry.resultSchema !== undefined && entry.resultSchema !== null) {
    topic.resultSchema = parseResultSchema(entry.resultSchema, (p) => fail(p, 'resultSchema'));
  }
  return topic;
}

function parseSettings(raw: unknown, fail: Fail): SessionSettings {
  if (raw === undefined) return DEFAULT_SETTINGS;
  if (!isObject(raw)) throw fail('"settings" must be an object', 'settings');
  const known = [...Object.keys(DEFAULT_SETTINGS), 'maxTurns', 'remembersOutcomes'];
  for (const key of Object.keys(raw)) if (!known.includes(key)) throw fail(`unknown setting "${key}"`, key);
  const turns = maxTurns(raw.maxTurns, fail);
  return {
    inactivityTimeoutMinutes: integer(raw.inactivityTimeoutMinutes, 'inactivityTimeoutMinutes', 0, DEFAULT_SETTINGS.inactivityTimeoutMinutes, fail),
    activeTtlSeconds: integer(raw.activeTtlSeconds, 'activeTtlSeconds', 1, DEFAULT_SETTINGS.activeTtlSeconds, fail),
    terminalTtlSeconds: integer(raw.terminalTtlSeconds, 'terminalTtlSeconds', 1, DEFAULT_SETTINGS.terminalTtlSeconds, fail),
    ...(turns !== null ? { maxTurns: turns } : {}),
    ...(remembersOutcomes(raw.remembersOutcomes, fail) ? {} : { remembersOutcomes: false }),
  };
}

/** User messages per session: 1 to 10000, or null/absent for unlimited. */
export const MAX_TURNS_LIMIT = 10_000;

function maxTurns(value: unknown, fail: Fail): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TURNS_LIMIT) {
    throw fail(`setting "maxTurns" must be an integer from 1 to ${MAX_TURNS_LIMIT}, or null for unlimited`, 'maxTurns');
  }
  return value;
}

/** Absent or null: true (the default); otherwise a boolean. */
function remembersOutcomes(value: unknown, fail: Fail): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'boolean') throw fail('setting "remembersOutcomes" must be true or false', 'remembersOutcomes');
  return value;
}

// DynamoDB's TTL sweeper ignores items more than 5 years past their ttl; Int stays within 32 bits.
const MAX_SECONDS = 5 * 365 * 24 * 3600;
const MAX_MINUTES = MAX_SECONDS / 60;

function integer(value: unknown, name: string, min: number, fallback: number, fail: Fail): number {
  if (value === undefined) return fallback;
  const max = name.endsWith('Minutes') ? MAX_MINUTES : MAX_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fail(`setting "${name}" must be an integer from ${min} to ${max}`, name);
  }
  return value;
}

function requiredText(value: unknown, name: string, max: number, fail: Fail): string {
  const text = optionalText(value, name, max, fail);
  if (text === null) throw fail(`"${name}" is required`, name);
  return text;
}

/** A text field: `multiline` ones may hold tabs and line breaks, none any other control character (src/domain/text.ts). */
function optionalText(value: unknown, name: string, max: number, fail: Fail, multiline = false): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') throw fail(`"${name}" must be a non-empty string`, name);
  if (value.length > max) throw fail(`"${name}" is longer than ${max} characters`, name);
  if (!isCleanText(value, { multiline })) {
    throw fail(`"${name}" contains control characters${multiline ? ' (other than tab and line breaks)' : ''} or invalid Unicode`, name);
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

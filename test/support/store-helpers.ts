import type { SessionCapabilities } from '../../src/compose';
import { capabilities } from './capabilities';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, documentClient } from '../../src/store/client';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { TopicCatalog } from '../../src/topics/catalog';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { Clock } from '../../src/domain/clock';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { SessionSettings } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { Topic } from '../../src/domain/topic';
import { Viewer } from '../../src/domain/viewer';
import { sessionPk } from '../../src/store/items/session';
import { keyOf } from '../../src/store/keys';
import { expired, params } from '../../src/store/schema';
import { conditional, TableIO } from '../../src/store/table-io';
import { TestTable } from './dynamo';

export type { Item } from '../../src/store/schema';
import type { Item } from '../../src/store/schema';

export const viewer = (tenantId: string, userId: string): Viewer => ({ tenantId, userId, roles: [] });

export function topic(id: string, settings: Partial<SessionSettings> = {}): Topic {
  return {
    id,
    name: `Topic ${id}`,
    description: null,
    instructions: `Coach the user on ${id}.`,
    openingMessage: `Welcome to ${id}.`,
    settings: { ...DEFAULT_SETTINGS, ...settings },
  };
}

export const catalog = (...topics: Topic[]) => new TopicCatalog(topics);

/** A repository + service pair on one DynamoDB client. */
export interface Stack {
  repo: DynamoSessionRepository;
  service: SessionCapabilities;
  doc: DynamoDBDocumentClient;
  client: DynamoDBClient | null;
  /** Destroys the client if this stack owns it. */
  close(): void;
}

export function stackOn(table: TestTable, clock: Clock, topics: TopicCatalog): Stack {
  const repo = new DynamoSessionRepository(table.doc, table.tableName);
  const service = capabilities(repo, topics, { coach: new EmbeddedCoach(), clock: clock });
  return { repo, service, doc: table.doc, client: null, close: () => undefined };
}

/** A stack with the admin service on the same repository (transfers, listings, erasure, export). */
export function adminStackOn(table: TestTable, clock: Clock, topics: TopicCatalog) {
  const { repo, service } = stackOn(table, clock, topics);
  return { repo, service, admins: capabilities(repo, topics, { clock: clock }) };
}

/** A second "process": its own DynamoDB client (own sockets), same endpoint and table. */
export function independentStack(table: TestTable, clock: Clock, topics: TopicCatalog): Stack {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  const doc = documentClient(client);
  const repo = new DynamoSessionRepository(doc, table.tableName);
  const service = capabilities(repo, topics, { coach: new EmbeddedCoach(), clock: clock });
  return { repo, service, doc, client, close: () => client.destroy() };
}

/** A clock that moves forward by `stepMs` on every read, so events get distinct, ordered times. */
export class TickingClock implements Clock {
  constructor(
    private ms: number,
    private readonly stepMs = 1,
  ) {}
  now() {
    this.ms += this.stepMs;
    return this.ms;
  }
  advance(ms: number) {
    this.ms += ms;
  }
}

export async function scanAll(table: TestTable): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of io(table).scanPages({ ConsistentRead: true })) items.push(...page);
  return items;
}

/** Every item of one session's partition (session, messages, CMID records). */
export async function partition(table: TestTable, tenantId: string, sessionId: string): Promise<Item[]> {
  const items: Item[] = [];
  const pages = io(table).queryPages({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': sessionPk(tenantId, sessionId) },
    ConsistentRead: true,
  });
  for await (const page of pages) items.push(...page);
  return items;
}

/** Raw table I/O for assertions (SDK errors unchanged). */
const io = (table: TestTable) => new TableIO(table.doc, table.tableName, { guard: false });

export const bySk = (a: Item, b: Item) => String(a.sk).localeCompare(String(b.sk));
export const isMessage = (i: Item) => String(i.sk).startsWith('MSG#');
export const isRecord = (i: Item) => String(i.sk).startsWith('CMID#');
export const isChild = (i: Item) => isMessage(i) || isRecord(i);

/** A seeded PRNG (mulberry32), so "random" orders are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Emulates DynamoDB's late TTL sweep: deletes the given items, each only if it is still
 * expired at `nowSec` (as the real sweeper does), calling `after` after each deletion.
 * Returns the number of items actually deleted.
 */
export async function sweep(
  table: TestTable,
  items: readonly Item[],
  nowSec: number,
  after?: (deleted: Item) => Promise<void>,
): Promise<number> {
  let deleted = 0;
  for (const item of items) {
    const condition = params({ ConditionExpression: expired(nowSec * 1000) });
    if (!(await conditional(io(table).delete({ Key: keyOf(item), ...condition })))) continue;
    deleted++;
    await after?.(item);
  }
  return deleted;
}

/** Runs `fn` and returns the DomainError it throws (fails the test otherwise). */
export async function domainError(fn: () => Promise<unknown>, code?: ErrorCode): Promise<DomainError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof DomainError)) {
    throw new Error(`expected a DomainError${code ? ` ${code}` : ''}, got ${thrown === undefined ? 'success' : String(thrown)}`);
  }
  if (code) expect(thrown.code).toBe(code);
  return thrown;
}

export const sec = (ms: number) => Math.floor(ms / 1000);

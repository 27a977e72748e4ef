import { parseResultSchema } from '../../domain/result-schema';
import { SessionSettings } from '../../domain/session';
import { Topic } from '../../domain/topic';
import { StoredTopic } from '../../topics/topic-repository';
import { CorruptItemError, num, str, time } from './check';
import { expr, inPartition, isoTime, Item, ITEM_ABSENT } from '../schema';
import { encodeId, Key } from '../keys';

/** A tenant's topic item (T#<tenant>#TOPICS / TOPIC#<topicId>): configuration, not session data, so no ttl. */
export function topicItem(stored: StoredTopic): Item {
  const { topic } = stored;
  return {
    ...tenantTopicKey(stored.tenantId, topic.id),
    entity: 'TOPIC',
    tenantId: stored.tenantId,
    topicId: topic.id,
    name: topic.name,
    description: topic.description,
    instructions: topic.instructions,
    openingMessage: topic.openingMessage,
    settings: { ...topic.settings },
    resultSchema: topic.resultSchema ?? null,
    archived: stored.archived,
    version: stored.version,
    updatedAt: isoTime(stored.updatedAt),
    updatedBy: stored.updatedBy,
  };
}

/** Reads a topic item back, checking its shape as toSession does (CorruptItemError), settings included. */
export function toStoredTopic(tenantId: string, item: Item): StoredTopic {
  const fail = () => new CorruptItemError('topic', item);
  const description = item.description ?? null;
  if (description !== null && typeof description !== 'string') throw fail();
  const topic: Topic = {
    id: str(item.topicId, fail),
    name: str(item.name, fail),
    description,
    instructions: str(item.instructions, fail),
    openingMessage: str(item.openingMessage, fail),
    settings: settingsOf(item.settings, fail),
  };
  if (item.resultSchema !== null && item.resultSchema !== undefined) topic.resultSchema = parseResultSchema(item.resultSchema, fail);
  return {
    tenantId,
    topic,
    archived: item.archived === true,
    version: num(item.version, fail),
    // Items written before times were unified hold epoch milliseconds.
    updatedAt: typeof item.updatedAt === 'number' ? num(item.updatedAt, fail) : time(item.updatedAt, fail),
    updatedBy: str(item.updatedBy, fail),
  };
}

function settingsOf(raw: unknown, fail: () => Error): SessionSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail();
  const s = raw as Record<string, unknown>;
  const settings: SessionSettings = {
    inactivityTimeoutMinutes: num(s.inactivityTimeoutMinutes, fail),
    activeTtlSeconds: num(s.activeTtlSeconds, fail),
    terminalTtlSeconds: num(s.terminalTtlSeconds, fail),
  };
  if (s.maxTurns !== undefined && s.maxTurns !== null) settings.maxTurns = num(s.maxTurns, fail);
  if (s.remembersOutcomes === false) settings.remembersOutcomes = false;
  return settings;
}

/** All of a tenant's topics (key condition). */
export const tenantTopics = (tenantId: string) => inPartition(tenantTopicsPk(tenantId));

/** A put over the version read (null: a new topic, only if absent). */
export const topicVersionIs = (expected: number | null) => (expected === null ? ITEM_ABSENT : expr('version = :v', { ':v': expected }));

/** Topics the user last changed as an admin (filter, and the condition of their rewrite). */
export const updatedBy = (userId: string) => expr('updatedBy = :u', { ':u': userId });
export const authorRedaction = (userId: string, pseudonym: string) => ({ UpdateExpression: expr('SET updatedBy = :p', { ':p': pseudonym }), ConditionExpression: updatedBy(userId) });

export const tenantTopicsPk = (tenantId: string) => `T#${encodeId(tenantId)}#TOPICS`;

export const tenantTopicSk = (topicId: string) => `TOPIC#${topicId}`;

export const tenantTopicKey = (tenantId: string, topicId: string): Key => ({ pk: tenantTopicsPk(tenantId), sk: tenantTopicSk(topicId) });

import { Topic } from '../domain/topic';
import { StoredTopic } from '../topics/topic-repository';
import { tenantTopicKey } from './keys';
import { isoTime, Item } from './schema';

/** A tenant's topic item (keys.ts): configuration, not session data, so no ttl. */
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

export function toStoredTopic(tenantId: string, item: Item): StoredTopic {
  const settings = item.settings as Topic['settings'];
  const topic: Topic = {
    id: String(item.topicId),
    name: String(item.name),
    description: (item.description as string | null | undefined) ?? null,
    instructions: String(item.instructions),
    openingMessage: String(item.openingMessage),
    settings: {
      inactivityTimeoutMinutes: Number(settings.inactivityTimeoutMinutes),
      activeTtlSeconds: Number(settings.activeTtlSeconds),
      terminalTtlSeconds: Number(settings.terminalTtlSeconds),
      ...(settings.maxTurns !== undefined && settings.maxTurns !== null ? { maxTurns: Number(settings.maxTurns) } : {}),
    },
  };
  if (item.resultSchema) topic.resultSchema = item.resultSchema as Topic['resultSchema'];
  return {
    tenantId,
    topic,
    archived: item.archived === true,
    version: Number(item.version),
    // Items written before times were unified hold epoch milliseconds.
    updatedAt: typeof item.updatedAt === 'number' ? item.updatedAt : Date.parse(String(item.updatedAt)),
    updatedBy: String(item.updatedBy),
  };
}

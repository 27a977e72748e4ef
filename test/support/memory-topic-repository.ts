import { StoredTopic, TopicRepository, TopicVersionConflictError } from '../../src/topics/topic-repository';

/** TopicRepository in memory, with the same conditional semantics as DynamoDB's. */
export class MemoryTopicRepository implements TopicRepository {
  readonly items = new Map<string, StoredTopic>();
  /** Calls of listTenantTopics (the cache's reads). */
  lists = 0;

  async listTenantTopics(tenantId: string): Promise<StoredTopic[]> {
    this.lists++;
    return [...this.items.values()].filter((t) => t.tenantId === tenantId).map((t) => structuredClone(t));
  }

  async putTenantTopic(topic: StoredTopic, expectedVersion: number | null): Promise<void> {
    const key = `${topic.tenantId}\u0000${topic.topic.id}`;
    const current = this.items.get(key);
    if ((current?.version ?? null) !== expectedVersion) throw new TopicVersionConflictError(topic.tenantId, topic.topic.id);
    this.items.set(key, structuredClone(topic));
  }
}

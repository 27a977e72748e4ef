import { Topic } from '../domain/topic';

/** A tenant's own topic item: a new topic, an override of a default one, or an archive mark. */
export interface StoredTopic {
  tenantId: string;
  topic: Topic;
  archived: boolean;
  /** 1 on create, +1 per update (optimistic concurrency). */
  version: number;
  updatedAt: number;
  /** The admin (user id) who wrote this version. */
  updatedBy: string;
}

/** The item changed since it was read (or exists already, for a create). */
export class TopicVersionConflictError extends Error {
  constructor(readonly tenantId: string, readonly topicId: string) {
    super(`topic ${topicId} of tenant ${tenantId} changed meanwhile`);
    this.name = 'TopicVersionConflictError';
  }
}

/** Tenant topics: configuration items, never expiring (no ttl). */
export interface TopicRepository {
  /** Every topic item of the tenant, archived ones included (one Query). */
  listTenantTopics(tenantId: string): Promise<StoredTopic[]>;
  /** Conditional on `expectedVersion` (null: absent); TopicVersionConflictError otherwise. */
  putTenantTopic(topic: StoredTopic, expectedVersion: number | null): Promise<void>;
}

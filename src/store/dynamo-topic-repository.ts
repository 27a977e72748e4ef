import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoredTopic, TopicRepository, TopicVersionConflictError } from '../topics/topic-repository';
import { params } from './schema';
import { conditional, TableIO } from './table-io';
import { tenantTopics, topicItem, topicVersionIs, toStoredTopic } from './items/tenant-topic';

/** Tenant topics: configuration, so no ttl; an item that does not read as a topic fails the listing. */
export class DynamoTopicRepository implements TopicRepository {
  private readonly io: TableIO;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    this.io = new TableIO(doc, tableName);
  }

  async listTenantTopics(tenantId: string): Promise<StoredTopic[]> {
    const out: StoredTopic[] = [];
    const pages = this.io.queryPages({ ...params({ KeyConditionExpression: tenantTopics(tenantId) }), ConsistentRead: true });
    for await (const page of pages) for (const item of page) out.push(toStoredTopic(tenantId, item));
    return out;
  }

  async putTenantTopic(stored: StoredTopic, expectedVersion: number | null): Promise<void> {
    const written = await conditional(this.io.put({ Item: topicItem(stored), ...params({ ConditionExpression: topicVersionIs(expectedVersion) }) }));
    if (!written) throw new TopicVersionConflictError(stored.tenantId, stored.topic.id);
  }
}

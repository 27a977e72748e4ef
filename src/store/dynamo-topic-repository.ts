import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Topic } from '../domain/topic';
import { StoredTopic, TopicRepository, TopicVersionConflictError } from '../topics/topic-repository';
import { guarded } from './errors';
import { tenantTopicKey, tenantTopicsPk } from './keys';

/**
 * Tenant topics in the single table: pk = T#<tenant>#TOPICS, sk = TOPIC#<topicId>. They
 * are configuration, not session data, so they carry no ttl and never expire.
 */
export class DynamoTopicRepository implements TopicRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listTenantTopics(tenantId: string): Promise<StoredTopic[]> {
    const out: StoredTopic[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await guarded(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': tenantTopicsPk(tenantId) },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of res.Items ?? []) out.push(fromItem(tenantId, item));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async putTenantTopic(stored: StoredTopic, expectedVersion: number | null): Promise<void> {
    try {
      await guarded(() =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(stored),
            ...(expectedVersion === null
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
          }),
        ),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new TopicVersionConflictError(stored.tenantId, stored.topic.id);
      throw e;
    }
  }
}

export function toItem(stored: StoredTopic): Record<string, unknown> {
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
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
  };
}

function fromItem(tenantId: string, item: Record<string, unknown>): StoredTopic {
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
    updatedAt: Number(item.updatedAt),
    updatedBy: String(item.updatedBy),
  };
}

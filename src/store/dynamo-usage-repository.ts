import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TenantBudget } from '../domain/usage';
import type { TopicCounter, UsageRepository } from '../usage/repository';
import { budgetItem, budgetKey, nearCapItem, tokensOfItem, topicUsageKey, toBudget, toTopicCounter, userUsageKey } from './items/usage';
import { ITEM_ABSENT, params } from './schema';
import { conditional, TableIO } from './table-io';

/** The usage counters' reads and the caps (the counters are written by the session writes: transactions.ts). */
export class DynamoUsageRepository implements UsageRepository {
  private readonly io: TableIO;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.io = new TableIO(doc, table);
  }

  async topicCounters(tenantId: string, topicIds: readonly string[], month: string): Promise<TopicCounter[]> {
    const items = await this.io.batchGet(topicIds.map((id) => topicUsageKey(tenantId, id, month)));
    return items.filter((i) => i !== undefined).map(toTopicCounter);
  }

  async userTokens(tenantId: string, userId: string, month: string): Promise<number> {
    return tokensOfItem(await this.io.get(userUsageKey(tenantId, userId, month)));
  }

  async getBudget(tenantId: string): Promise<TenantBudget> {
    return toBudget(await this.io.get(budgetKey(tenantId)));
  }

  async setBudget(tenantId: string, budget: TenantBudget, now: number): Promise<void> {
    await this.io.put({ Item: budgetItem(tenantId, budget, now) });
  }

  markNearCap(tenantId: string, month: string, now: number): Promise<boolean> {
    return conditional(this.io.put({ Item: nearCapItem(tenantId, month, now), ...params({ ConditionExpression: ITEM_ABSENT }) }));
  }
}

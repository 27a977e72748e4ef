import type { TenantBudget } from '../domain/usage';

/** One topic's counter of a month (src/store/items/usage.ts). */
export interface TopicCounter {
  topicId: string;
  inputTokens: number;
  outputTokens: number;
  turns: number;
  ratingCount: number;
  ratingSum: number;
}

/** The usage counters and caps the usage capability reads and writes (DynamoDB: src/store/dynamo-usage-repository.ts). */
export interface UsageRepository {
  /** The month's counter of each topic that has one: one BatchGetItem per 100 topics. */
  topicCounters(tenantId: string, topicIds: readonly string[], month: string): Promise<TopicCounter[]>;
  /** Input plus output tokens of the user's month (their counter; 0 without one). */
  userTokens(tenantId: string, userId: string, month: string): Promise<number>;
  getBudget(tenantId: string): Promise<TenantBudget>;
  setBudget(tenantId: string, budget: TenantBudget, now: number): Promise<void>;
  /** Marks the month's 80% notice as sent: true only for the one call that marked it (conditional write). */
  markNearCap(tenantId: string, month: string, now: number): Promise<boolean>;
}

import type { TenantBudget } from '../../src/domain/usage';
import type { TopicCounter, UsageRepository } from '../../src/usage/repository';

/** The usage port in memory (unit tests above the store): caps, and counters a test sets. */
export class MemoryUsageRepository implements UsageRepository {
  readonly budgets = new Map<string, TenantBudget>();
  readonly counters = new Map<string, TopicCounter>();
  readonly users = new Map<string, number>();
  readonly marked = new Set<string>();

  async topicCounters(tenantId: string, topicIds: readonly string[], month: string): Promise<TopicCounter[]> {
    return topicIds.flatMap((id) => this.counters.get(`${tenantId}|${id}|${month}`) ?? []);
  }
  async userTokens(tenantId: string, userId: string, month: string): Promise<number> {
    return this.users.get(`${tenantId}|${userId}|${month}`) ?? 0;
  }
  async getBudget(tenantId: string): Promise<TenantBudget> {
    return this.budgets.get(tenantId) ?? { monthlyTokens: null, perUserMonthlyTokens: null };
  }
  async setBudget(tenantId: string, budget: TenantBudget): Promise<void> {
    this.budgets.set(tenantId, { ...budget });
  }
  async markNearCap(tenantId: string, month: string): Promise<boolean> {
    const key = `${tenantId}|${month}`;
    if (this.marked.has(key)) return false;
    this.marked.add(key);
    return true;
  }
}

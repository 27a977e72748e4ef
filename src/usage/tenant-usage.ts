import { checkCap, parseMonth, TenantBudget } from '../domain/usage';
import type { Clock } from '../domain/clock';
import type { Viewer } from '../domain/viewer';
import type { TopicSource } from '../topics/catalog';
import type { Budgets } from './budgets';
import type { TopicCounter, UsageRepository } from './repository';

/** Ratings below this count show no average: one user's rating cannot be read back from it. */
export const MIN_RATINGS_FOR_AVERAGE = 5;

export interface TopicUsageView {
  topicId: string;
  inputTokens: number;
  outputTokens: number;
  turns: number;
  ratingCount: number;
  ratingAverage: number | null;
}

export interface TenantUsageView {
  month: string;
  inputTokens: number;
  outputTokens: number;
  turns: number;
  budgetTokens: number | null;
  perUserBudgetTokens: number | null;
  byTopic: TopicUsageView[];
}

/** tenantUsage and setTenantBudget (admins; the resolver checks the role): aggregates that name no one. */
export class TenantUsage {
  constructor(private readonly deps: { usage: UsageRepository; topics: TopicSource; clock: Clock; budgets: Budgets }) {}

  /** One read of the caps and one BatchGetItem of the month's topic counters. */
  async get(viewer: Viewer, month: string | null): Promise<TenantUsageView> {
    const m = parseMonth(month, this.deps.clock.now());
    const catalog = await this.deps.topics.catalogFor(viewer.tenantId);
    const [budget, counters] = await Promise.all([
      this.deps.usage.getBudget(viewer.tenantId),
      this.deps.usage.topicCounters(viewer.tenantId, catalog.all.map((t) => t.id), m),
    ]);
    return view(m, budget, counters);
  }

  /** Both caps at once (null or absent removes one); a bad value changes nothing. */
  async setBudget(viewer: Viewer, monthlyTokens: number | null | undefined, perUserMonthlyTokens: number | null | undefined): Promise<TenantUsageView> {
    const budget: TenantBudget = { monthlyTokens: checkCap(monthlyTokens, 'monthlyTokens'), perUserMonthlyTokens: checkCap(perUserMonthlyTokens, 'perUserMonthlyTokens') };
    await this.deps.usage.setBudget(viewer.tenantId, budget, this.deps.clock.now());
    this.deps.budgets.forget(viewer.tenantId);
    return this.get(viewer, null);
  }
}

function view(month: string, budget: TenantBudget, counters: TopicCounter[]): TenantUsageView {
  const byTopic = counters
    .map((c) => ({
      topicId: c.topicId,
      inputTokens: c.inputTokens,
      outputTokens: c.outputTokens,
      turns: c.turns,
      ratingCount: c.ratingCount,
      ratingAverage: c.ratingCount >= MIN_RATINGS_FOR_AVERAGE ? Math.round((c.ratingSum / c.ratingCount) * 100) / 100 : null,
    }))
    .sort((a, b) => a.topicId.localeCompare(b.topicId));
  const sum = (k: 'inputTokens' | 'outputTokens' | 'turns') => byTopic.reduce((s, t) => s + t[k], 0);
  return {
    month,
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    turns: sum('turns'),
    budgetTokens: budget.monthlyTokens,
    perUserBudgetTokens: budget.perUserMonthlyTokens,
    byTopic,
  };
}

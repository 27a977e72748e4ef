import { budgetExceeded, monthEnd, monthOf, TenantBudget, tokensOf } from '../domain/usage';
import type { Clock } from '../domain/clock';
import type { Viewer } from '../domain/viewer';
import type { Logger } from '../logger';
import { Lru } from '../lru';
import type { TopicSource } from '../topics/catalog';
import type { UsageRepository } from './repository';
import { NEAR_CAP } from './near-cap-notice';

/** What a budget check tells its observers (metrics, the 80% notice). */
export interface BudgetEvents {
  refused?(e: { tenantId: string; scope: 'TENANT' | 'USER' }): void;
  /** The tenant's month passed 80% of its cap; reported by the one process whose conditional write marked it. */
  nearCap?(e: { tenantId: string; month: string; usedTokens: number; budgetTokens: number }): void;
}

export interface BudgetDeps {
  usage: UsageRepository;
  topics: TopicSource;
  clock: Clock;
  log: Logger;
  /** How long this process trusts a tenant's caps and totals it read (BUDGET_CACHE_MS). */
  cacheMs: number;
  events?: BudgetEvents;
}

/**
 * The caps' check before an operation starts a model call (docs/data-model.md#token-usage).
 * It reads the caps, and only under a cap the tenant's month total (every topic's counter)
 * and the user's; each read is trusted for BUDGET_CACHE_MS in this process, so a cap can be
 * overshot by the turns already running plus what the processes spend within that window.
 */
export class Budgets {
  private readonly cache = new Lru<{ until: number; value: Promise<unknown> }>(MAX_CACHED);
  /** Months whose 80% notice this process has seen to (marked here or by another process). */
  private readonly noticed = new Lru<true>(MAX_CACHED);

  constructor(private readonly deps: BudgetDeps) {}

  /** Throws BUDGET_EXCEEDED (scope TENANT or USER, resetAt the month's end) when a cap is used up; nothing is written. */
  async assertWithin(viewer: Viewer): Promise<void> {
    const now = this.deps.clock.now();
    const month = monthOf(now);
    const budget = await this.budget(viewer.tenantId);
    if (budget.monthlyTokens !== null) {
      const used = await this.cached(`total\u0000${viewer.tenantId}\u0000${month}`, now, () => this.tenantTokens(viewer.tenantId, month));
      this.noticeNearCap(viewer.tenantId, month, used, budget.monthlyTokens, now);
      if (used >= budget.monthlyTokens) this.refuse(viewer.tenantId, 'TENANT', month);
    }
    if (budget.perUserMonthlyTokens !== null) {
      const used = await this.cached(`user\u0000${viewer.tenantId}\u0000${viewer.userId}\u0000${month}`, now, () =>
        this.deps.usage.userTokens(viewer.tenantId, viewer.userId, month),
      );
      if (used >= budget.perUserMonthlyTokens) this.refuse(viewer.tenantId, 'USER', month);
    }
  }

  /** The tenant's caps (cached like the totals). */
  budget(tenantId: string): Promise<TenantBudget> {
    return this.cached(`budget\u0000${tenantId}`, this.deps.clock.now(), () => this.deps.usage.getBudget(tenantId));
  }

  /** After setTenantBudget: this process reads the caps again at once (others within BUDGET_CACHE_MS). */
  forget(tenantId: string): void {
    this.cache.delete(`budget\u0000${tenantId}`);
  }

  /** Every topic's counter of the month: the catalogue's topics, archived ones included. */
  async tenantTokens(tenantId: string, month: string): Promise<number> {
    const catalog = await this.deps.topics.catalogFor(tenantId);
    const counters = await this.deps.usage.topicCounters(tenantId, catalog.all.map((t) => t.id), month);
    return counters.reduce((sum, c) => sum + tokensOf(c), 0);
  }

  private refuse(tenantId: string, scope: 'TENANT' | 'USER', month: string): never {
    this.deps.events?.refused?.({ tenantId, scope });
    throw budgetExceeded(scope, monthEnd(month));
  }

  /** Past 80%: the month's notice, once per tenant and month across processes (a conditional write), never failing the check. */
  private noticeNearCap(tenantId: string, month: string, used: number, cap: number, now: number): void {
    const notify = this.deps.events?.nearCap;
    const key = `${tenantId}\u0000${month}`;
    if (used < NEAR_CAP * cap || !notify || this.noticed.get(key)) return;
    this.noticed.set(key, true);
    this.deps.usage.markNearCap(tenantId, month, now).then(
      (marked) => marked && notify({ tenantId, month, usedTokens: used, budgetTokens: cap }),
      (e) => {
        this.noticed.delete(key);
        this.deps.log.warn('usage notice not marked; tried again at a later check', { tenantId, error: String(e) });
      },
    );
  }

  private cached<T>(key: string, now: number, read: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.value as Promise<T>;
    const value = read();
    // A failed read is not kept: the next check reads again.
    value.catch(() => this.cache.delete(key));
    this.cache.set(key, { until: now + this.deps.cacheMs, value });
    return value;
  }
}

/** Tenants and users this process remembers at once; past it the least recently checked go. */
const MAX_CACHED = 50_000;

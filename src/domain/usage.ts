import { badInput, DomainError } from './errors';

/** What one model call consumed (tokens in and out); the embedded coach reports an estimate (docs/coach.md#token-usage). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export const addUsage = (a: TokenUsage, b: TokenUsage): TokenUsage => ({ inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens });
export const hasUsage = (u: TokenUsage | null | undefined): u is TokenUsage => !!u && (u.inputTokens > 0 || u.outputTokens > 0);
export const tokensOf = (u: TokenUsage) => u.inputTokens + u.outputTokens;

/**
 * What a write adds to the usage counters (docs/data-model.md#token-usage): the tokens of the
 * model calls it stores, and whether it completes a turn, for the session's tenant, topic and owner.
 */
export interface Spend {
  tenantId: string;
  topicId: string;
  userId: string;
  usage: TokenUsage;
  turns: number;
  /** When it is written (epoch ms): the UTC month it counts in. */
  at: number;
}

/** A tenant's caps (setTenantBudget); null: none. */
export interface TenantBudget {
  monthlyTokens: number | null;
  perUserMonthlyTokens: number | null;
}

/** `at`'s UTC month, `YYYY-MM`. */
export const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/** The first instant after `month` (`YYYY-MM`): when its caps reset. */
export function monthEnd(month: string): number {
  const [y, m] = month.split('-').map(Number);
  return Date.UTC(y, m, 1);
}

/** tenantUsage's `month` argument: `YYYY-MM` (UTC); null: the month of `now`. */
export function parseMonth(month: string | null | undefined, now: number): string {
  if (month === null || month === undefined) return monthOf(now);
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const m = match ? Number(match[2]) : 0;
  if (!match || m < 1 || m > 12 || Number(match[1]) < 1970) throw badInput('month must be YYYY-MM (a UTC month), e.g. 2026-12', { argumentName: 'month' });
  return month;
}

/** A cap as setTenantBudget takes it: a whole number of tokens >= 0, up to 2^53 (null: no cap). */
export function checkCap(value: number | null | undefined, argumentName: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw badInput(`${argumentName} must be a whole number of tokens, 0 or more (null removes the cap)`, { argumentName });
  return value;
}

/** An operation that would start a model call over a cap: nothing was stored. */
export const budgetExceeded = (scope: 'TENANT' | 'USER', resetAt: number) =>
  new DomainError(
    'BUDGET_EXCEEDED',
    scope === 'TENANT' ? "Your organisation's monthly model budget is used up; it resets at resetAt" : 'Your monthly model budget is used up; it resets at resetAt',
    { scope, resetAt: new Date(resetAt).toISOString() },
  );

/** `{ usage }` when there is some to record, else nothing (a message or session without usage stores none). */
export const usageField = (usage: TokenUsage | null | undefined): { usage?: TokenUsage } => (hasUsage(usage) ? { usage: { ...usage } } : {});

import { monthEnd, monthOf, Spend, TenantBudget, TokenUsage } from '../../domain/usage';
import { expr, Expression, Item, params, toTtl } from '../schema';
import { TransactItem } from '../table-io';
import type { TopicCounter } from '../../usage/repository';
import { encodeId, Key } from '../keys';
import { userPk } from './outcome';
import { holdKey } from './hold';

/**
 * Token usage counters (docs/data-model.md#token-usage), added to with ADD inside the writes
 * that store what the model wrote, so they cost no request of their own:
 * - per tenant, topic and month: T#<tenant>#TOPIC#<topicId> / USAGE#<YYYY-MM>, beside the topic's
 *   hold (one live session per tenant and topic: one writer at a time, and a tenant's topics in
 *   as many partitions). It names no one, so erasure keeps it; tenantUsage reads the month's
 *   item of each of the tenant's topics in one BatchGetItem;
 * - per user and month: T#<tenant>#USER#<userId> / USAGE#<YYYY-MM>, in the user's own partition,
 *   so erasure (which deletes that partition) removes it with the rest of the user's items.
 */
export const USAGE = 'USAGE';
export type UsagePart = 'usage' | 'userUsage';
export const USER_USAGE = 'USER_USAGE';
export const BUDGET = 'BUDGET';
export const USAGE_ALERT = 'USAGE_ALERT';

/** The month's 80% notice marker (put only if absent: one notice per tenant and month). */
export const nearCapItem = (tenantId: string, month: string, now: number): Item => ({
  ...alertKey(tenantId, month),
  type: USAGE_ALERT,
  sentAt: new Date(now).toISOString(),
  ttl: toTtl(monthEnd(month) + 35 * 86_400_000),
});

/** Topic counters are kept this long after their month ends (a year of history); the user's only to the end of the next month. */
const TOPIC_KEPT_MS = 400 * 86_400_000;
const USER_KEPT_MS = 32 * 86_400_000;

const USAGE_SK_PREFIX = 'USAGE#';
export const topicUsageKey = (tenantId: string, topicId: string, month: string): Key => ({ pk: holdKey(tenantId, topicId).pk, sk: `${USAGE_SK_PREFIX}${month}` });
export const userUsageKey = (tenantId: string, userId: string, month: string): Key => ({ pk: userPk(tenantId, userId), sk: `${USAGE_SK_PREFIX}${month}` });

/** The tenant's caps, and per month a marker that the 80% notice was sent (written once, conditionally). */
export const budgetKey = (tenantId: string): Key => ({ pk: `T#${encodeId(tenantId)}#BUDGET`, sk: BUDGET });
export const alertKey = (tenantId: string, month: string): Key => ({ pk: budgetKey(tenantId).pk, sk: `ALERT80#${month}` });

/** The counter writes of `spend` as transaction parts (none when it adds nothing). */
export function usageParts(table: string, spend: Spend | null): Record<UsagePart, TransactItem | undefined> {
  if (!spend || (spend.turns === 0 && spend.usage.inputTokens === 0 && spend.usage.outputTokens === 0)) return { usage: undefined, userUsage: undefined };
  const month = monthOf(spend.at);
  const end = monthEnd(month);
  const add = (kept: number, extra: Record<string, string>) => ({
    TableName: table,
    ...params({ UpdateExpression: counted(spend.usage, spend.turns, toTtl(end + kept), { month, ...extra }) }),
  });
  return {
    usage: { Update: { Key: topicUsageKey(spend.tenantId, spend.topicId, month), ...add(TOPIC_KEPT_MS, { type: USAGE, topicId: spend.topicId }) } },
    userUsage: { Update: { Key: userUsageKey(spend.tenantId, spend.userId, month), ...add(USER_KEPT_MS, { type: USER_USAGE }) } },
  };
}

/** ADD the tokens and turns; SET the item's own attributes (the same values all month). */
function counted(usage: TokenUsage, turns: number, ttl: number, own: Record<string, string>): Expression {
  const names: Record<string, string> = { '#ttl': 'ttl' };
  const values: Record<string, unknown> = { ':in': usage.inputTokens, ':out': usage.outputTokens, ':turns': turns, ':ttl': ttl };
  const sets = ['#ttl = :ttl'];
  for (const [k, v] of Object.entries(own)) {
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  return expr(`SET ${sets.join(', ')} ADD inputTokens :in, outputTokens :out, turns :turns`, values, names);
}

/** rateReply: a new rating adds to the count and the sum; a replaced one only moves the sum. */
export function ratingCounted(tenantId: string, topicId: string, at: number, countDelta: number, sumDelta: number) {
  const month = monthOf(at);
  return {
    Key: topicUsageKey(tenantId, topicId, month),
    ...params({
      UpdateExpression: expr('SET #type = :type, #month = :month, topicId = :topic, #ttl = :ttl ADD ratingCount :n, ratingSum :s', {
        ':type': USAGE,
        ':month': month,
        ':topic': topicId,
        ':ttl': toTtl(monthEnd(month) + TOPIC_KEPT_MS),
        ':n': countDelta,
        ':s': sumDelta,
      }, { '#type': 'type', '#month': 'month', '#ttl': 'ttl' }),
    }),
  };
}

/** Session items add their own usage (Session.usage) with the same ADD. */
export const sessionUsageDeltas = (usage: TokenUsage | null | undefined): Record<string, number> =>
  usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : {};

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export const toTopicCounter = (item: Item): TopicCounter => ({
  topicId: String(item.topicId),
  inputTokens: n(item.inputTokens),
  outputTokens: n(item.outputTokens),
  turns: n(item.turns),
  ratingCount: n(item.ratingCount),
  ratingSum: n(item.ratingSum),
});

export const tokensOfItem = (item: Item | undefined) => (item ? n(item.inputTokens) + n(item.outputTokens) : 0);

/** The usage recorded on a session or message item (absent: none). */
export function usageOf(item: Item): TokenUsage | undefined {
  const u = { inputTokens: n(item.inputTokens), outputTokens: n(item.outputTokens) };
  return u.inputTokens > 0 || u.outputTokens > 0 ? u : undefined;
}

export const usageAttributes = (usage: TokenUsage | undefined): Item => (usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } : {});

/** No admin id on it: it outlives any erasure of its author. */
export function budgetItem(tenantId: string, budget: TenantBudget, now: number): Item {
  return {
    ...budgetKey(tenantId),
    type: BUDGET,
    ...(budget.monthlyTokens !== null ? { monthlyTokens: budget.monthlyTokens } : {}),
    ...(budget.perUserMonthlyTokens !== null ? { perUserMonthlyTokens: budget.perUserMonthlyTokens } : {}),
    updatedAt: new Date(now).toISOString(),
  };
}

export const toBudget = (item: Item | undefined): TenantBudget => ({
  monthlyTokens: typeof item?.monthlyTokens === 'number' ? item.monthlyTokens : null,
  perUserMonthlyTokens: typeof item?.perUserMonthlyTokens === 'number' ? item.perUserMonthlyTokens : null,
});

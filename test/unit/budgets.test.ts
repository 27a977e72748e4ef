import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { TopicCatalog } from '../../src/topics/catalog';
import { Budgets, BudgetEvents } from '../../src/usage/budgets';
import { DomainError } from '../../src/domain/errors';
import { silentLogger } from '../../src/logger';
import { FakeClock } from '../support/clock';
import { MemoryUsageRepository } from '../support/memory-usage';
import { viewer } from '../support/store-helpers';

// The caps' check (src/usage/budgets.ts) above the store: what it reads, for how long it trusts it, what it refuses.

const MONTH = '2026-03';
const me = viewer('t1', 'alice');

function setup(cacheMs = 5000) {
  const clock = new FakeClock(Date.UTC(2026, 2, 10, 12, 0, 0));
  const usage = new MemoryUsageRepository();
  const catalog = new TopicCatalog(BUILTIN_TOPICS);
  const notices: Parameters<NonNullable<BudgetEvents['nearCap']>>[0][] = [];
  const refusals: string[] = [];
  const budgets = new Budgets({
    usage,
    topics: catalog,
    clock,
    log: silentLogger,
    cacheMs,
    events: { refused: (e) => refusals.push(e.scope), nearCap: (e) => notices.push(e) },
  });
  const spend = (topicId: string, tokens: number) =>
    usage.counters.set(`t1|${topicId}|${MONTH}`, { topicId, inputTokens: tokens, outputTokens: 0, turns: 1, ratingCount: 0, ratingSum: 0 });
  return { clock, usage, budgets, spend, notices, refusals };
}

const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  return e instanceof DomainError ? { code: e.code, ...e.details } : e;
};

test('no caps: nothing refused, whatever was spent', async () => {
  const { budgets, spend } = setup();
  spend('goals', 10 ** 12);
  await expect(budgets.assertWithin(me)).resolves.toBeUndefined();
});

test('the tenant total is every topic of the catalogue; at the cap it refuses with TENANT and the end of the UTC month', async () => {
  const { budgets, usage, spend, refusals } = setup(0);
  await usage.setBudget('t1', { monthlyTokens: 1000, perUserMonthlyTokens: null });
  spend('goals', 600);
  spend('vision', 399);
  await expect(budgets.assertWithin(me)).resolves.toBeUndefined();
  spend('vision', 400);
  expect(await refusal(budgets.assertWithin(me))).toEqual({ code: 'BUDGET_EXCEEDED', scope: 'TENANT', resetAt: '2026-04-01T00:00:00.000Z' });
  expect(refusals).toEqual(['TENANT']);
});

test('the per-user cap reads only that user: USER for them, nothing for another', async () => {
  const { budgets, usage } = setup(0);
  await usage.setBudget('t1', { monthlyTokens: null, perUserMonthlyTokens: 50 });
  usage.users.set(`t1|alice|${MONTH}`, 50);
  expect(await refusal(budgets.assertWithin(me))).toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'USER' });
  await expect(budgets.assertWithin(viewer('t1', 'bob'))).resolves.toBeUndefined();
});

test('a total read is trusted for the cache window, then read again; forget() drops this process copy of the caps', async () => {
  const { budgets, usage, spend, clock } = setup(5000);
  await usage.setBudget('t1', { monthlyTokens: 100, perUserMonthlyTokens: null });
  await budgets.assertWithin(me); // reads 0
  spend('goals', 500);
  await expect(budgets.assertWithin(me)).resolves.toBeUndefined(); // still the 0 read
  clock.advance(5000);
  expect(await refusal(budgets.assertWithin(me))).toMatchObject({ scope: 'TENANT' });
  // A cap raised here counts at once here (the total stays cached).
  await usage.setBudget('t1', { monthlyTokens: 1000, perUserMonthlyTokens: null });
  budgets.forget('t1');
  await expect(budgets.assertWithin(me)).resolves.toBeUndefined();
});

test('the 80% notice: once per tenant and month, when a check first sees it', async () => {
  const { budgets, usage, spend, notices } = setup(0);
  await usage.setBudget('t1', { monthlyTokens: 1000, perUserMonthlyTokens: null });
  spend('goals', 799);
  await budgets.assertWithin(me);
  expect(notices).toEqual([]);
  spend('goals', 800);
  await budgets.assertWithin(me);
  await budgets.assertWithin(me);
  await new Promise((r) => setImmediate(r));
  expect(notices).toEqual([{ tenantId: 't1', month: MONTH, usedTokens: 800, budgetTokens: 1000 }]);
});

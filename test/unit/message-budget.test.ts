// A page of messages stops early at the byte budget (src/sessions/queries.ts), with the in-memory
// repository standing in for the store: the fake keeps to the same budget (test/e2e/byte-budget.test.ts runs the real one).
import { PAGE_BYTE_BUDGET } from '../../src/domain/page-budget';
import { alice, setup } from './fixtures';

const big = (i: number) => `${i}:`.padEnd(4000, '語');

test('a page of 100 stops at the budget with more on its far side; paging on either way returns every message once', async () => {
  const ctx = setup();
  const session = await ctx.svc.lifecycle.start(alice, 'goals', false);
  for (let i = 0; i < 60; i++) await ctx.svc.conversation.sendMessage(alice, session.id, big(i), null);
  const view = (await ctx.svc.sessions.get(alice, session.id))!;
  const total = view.messageCount;
  const page = (args: { first?: number; after?: number; last?: number; before?: number }) =>
    ctx.svc.sessions.messages(alice, view, { first: args.first ?? null, after: args.after ?? null, last: args.last ?? null, before: args.before ?? null });

  const first = await page({ first: 100 });
  expect(first.messages.length).toBeLessThan(100);
  expect(first.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0)).toBeLessThanOrEqual(PAGE_BYTE_BUDGET);
  expect(first.hasNextPage).toBe(true);

  const forward: number[] = [];
  for (let after: number | undefined, n = 0; n < 20; n++) {
    const p = await page({ first: 100, after });
    forward.push(...p.messages.map((m) => m.seq));
    if (!p.hasNextPage) break;
    after = p.messages[p.messages.length - 1].seq;
  }
  const backward: number[] = [];
  for (let before: number | undefined, n = 0; n < 20; n++) {
    const p = await page({ last: 100, before });
    backward.unshift(...p.messages.map((m) => m.seq));
    if (!p.hasPreviousPage) break;
    before = p.messages[0].seq;
  }
  const all = Array.from({ length: total }, (_, i) => i + 1);
  expect(forward).toEqual(all);
  expect(backward).toEqual(all);
  // A page that fits is not cut: the last page says there is nothing after it.
  expect((await page({ first: 5 })).hasNextPage).toBe(true);
  expect((await page({ first: 100, after: total - 3 })).hasNextPage).toBe(false);
});

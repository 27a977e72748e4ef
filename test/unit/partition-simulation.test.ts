/**
 * The partition simulation (bench/partitions, docs/scaling.md): its accounting on cases small
 * enough to check by hand, the load of one tenant end to end, and a hundredth of the full load
 * (SIMULATE_FULL=1: all of it, 1M sessions, ~30 s), every partition under half its limits.
 */
import { itemBytes, Ledger } from '../../bench/partitions/ledger';
import { FULL_MIX, HALF, report, smallMix } from '../../bench/partitions/simulate';
import { INDEXES } from '../../src/store/schema';

const put = (item: Record<string, unknown>) => ({ Put: { TableName: 't', Item: item } });

describe('ledger', () => {
  test('a transaction books 2 WCU per KB of each item on its partition; a single write 1', () => {
    const l = new Ledger();
    l.transact([['a', put({ pk: 'P', sk: 'a', body: 'x'.repeat(500) })], ['b', put({ pk: 'Q', sk: 'b', body: 'x'.repeat(1500) })]]);
    l.write(put({ pk: 'P', sk: 'c', body: 'x' }));
    expect(l.booked.get('table\u0000P')).toMatchObject({ wcu: 2 + 1, rcu: 0 });
    expect(l.booked.get('table\u0000Q')).toMatchObject({ wcu: 4 }); // 1,511 bytes: 2 KB
    expect(itemBytes({ pk: 'Q', sk: 'b', body: 'x'.repeat(1500) })).toBe(2 + 1 + 2 + 1 + 4 + 1500);
  });

  test('a keys-only index: a moved key is a delete on the old partition and a put on the new; other changes write nothing', () => {
    const l = new Ledger();
    const { pk, sk } = INDEXES.byIdle;
    l.write(put({ pk: 'S', sk: 'SESSION', [pk]: 'LIVE#1', [sk]: 'a', n: 1 }));
    l.write({ Update: { TableName: 't', Key: { pk: 'S', sk: 'SESSION' }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':n': 2 } } });
    expect(l.booked.get(`${INDEXES.byIdle.name}\u0000LIVE#1`)).toMatchObject({ wcu: 1 });
    l.write({ Update: { TableName: 't', Key: { pk: 'S', sk: 'SESSION' }, UpdateExpression: 'SET #k = :k', ExpressionAttributeNames: { '#k': pk }, ExpressionAttributeValues: { ':k': 'LIVE#2' } } });
    expect(l.booked.get(`${INDEXES.byIdle.name}\u0000LIVE#1`)).toMatchObject({ wcu: 2 });
    expect(l.booked.get(`${INDEXES.byIdle.name}\u0000LIVE#2`)).toMatchObject({ wcu: 1 });
    expect(l.get({ pk: 'S', sk: 'SESSION' })).toMatchObject({ n: 2, [pk]: 'LIVE#2' });
  });

  test('reads: a consistent GetItem 1 RCU per 4 KB, an index Query half', () => {
    const l = new Ledger();
    l.write(put({ pk: 'R', sk: 'x', body: 'x'.repeat(5000) }));
    l.getItem({ pk: 'R', sk: 'x' });
    l.query('byIdleV2', 'LIVE#0', 100, false);
    expect(l.booked.get('table\u0000R')!.rcu).toBe(2);
    expect(l.booked.get('byIdleV2\u0000LIVE#0')!.rcu).toBe(0.5);
  });
});

describe('one tenant, three topics held, a turn every 30 s', () => {
  const out = report(smallMix(3), 32);
  const row = (where: string, pattern: string) => out.rows.find((r) => r.where === where && r.pattern === pattern)!;
  const life = FULL_MIX.life.turns * FULL_MIX.life.turnSeconds;

  test('the hold partition: per turn the hold (2) and the topic usage counter (2), and the hold put and delete, over the life', () => {
    // 20 turns x (2 + 2) + put 2 + delete 2 = 84 WCU in 600 s.
    expect(row('table', 'T#<tenant>#TOPIC#<topic>').top[0].wcu).toBeCloseTo((FULL_MIX.life.turns * 4 + 4) / life, 6);
  });

  test("the user's partition: the user usage counter each turn and the outcome at the end", () => {
    expect(row('table', 'T#<tenant>#USER#<user>').top[0].wcu).toBeCloseTo((FULL_MIX.life.turns * 2 + 2) / life, 6);
  });

  test("a tenant's partitions carry all its live sessions: byTenantIdle gets a put at each start and a delete at each end", () => {
    expect(row(INDEXES.byTenantIdle.name, 'T#<tenant>#LIVE').top[0].wcu).toBeCloseTo((3 * 2) / life, 6);
    expect(row(INDEXES.byIdle.name, 'LIVE#<shard>').count).toBeLessThanOrEqual(3);
  });

  test('every index and the table appear, and nothing is near the limits', () => {
    const places = new Set(out.rows.map((r) => r.where));
    for (const i of Object.values(INDEXES)) expect(places).toContain(i.name);
    expect(places).toContain('table');
    expect(out.failing).toEqual([]);
    expect(out.worst.wcu).toBeLessThan(HALF.wcu / 100);
    expect(out.turnsPerSecond).toBeCloseTo(3 / 30, 6);
  });
});

// Without SIMULATE_FULL, the same shape at 1/100 (10,000 sessions over 1,000 tenants).
const full = /^(1|true)$/.test(process.env.SIMULATE_FULL ?? '');
test(`${full ? 'the full load' : 'a hundredth of the load'}: every partition under half its limits`, () => {
  const out = report(full ? FULL_MIX : { ...FULL_MIX, sessions: 10_000, tenants: 1_000, processes: 4 }, 32);
  expect(out.failing).toEqual([]);
  expect(out.rows.find((r) => r.pattern === 'T#<tenant>#LIVE')!.top[0].pk).toContain('tenant-000001');
}, 300_000);

import { CostSampler } from '../../src/http/cost-sampler';

// Which operations count their DynamoDB calls (LOG_DYNAMO_COST_EVERY), on a clock that moves only when told.
function sampler(every: number) {
  let t = 0;
  const s = new CostSampler(every, 0.1, () => t);
  return { s, advance: (ms: number) => (t += ms) };
}

/** Runs `n` operations one after another, each `ms` long; the indexes of the counted ones. */
function sequential(s: CostSampler, advance: (ms: number) => void, n: number, ms: (i: number) => number) {
  const counted: number[] = [];
  for (let i = 0; i < n; i++) {
    const end = s.next();
    advance(ms(i));
    if (end) {
      counted.push(i);
      end();
    }
  }
  return counted;
}

test('one in `every`: the first, then every `every`-th, when operations are short and apart', () => {
  const { s, advance } = sampler(100);
  expect(sequential(s, advance, 301, () => 2)).toEqual([0, 100, 200, 300]);
});

test('1 counts every operation, also overlapping ones; 0 counts none', () => {
  const all = sampler(1);
  const ends = [all.s.next(), all.s.next(), all.s.next()];
  expect(ends.every((e) => typeof e === 'function')).toBe(true);
  const none = sampler(0);
  expect([none.s.next(), none.s.next()]).toEqual([undefined, undefined]);
});

test('after a counted operation of d ms, none is counted for 9 d ms; the turn passes to the first operation after that', () => {
  const { s, advance } = sampler(10);
  // Operation 0 takes 100 ms, so nothing is counted until 1,000 ms. The others take 1 ms
  // each: operation i starts at 100 + (i - 1) ms. Operation 10's turn waits; operation 901,
  // the first to start at 1,000 ms, takes it. It takes 1 ms, so the next may start at 1,010
  // ms: operation 910 starts at 1,009 and passes its turn to 911, and so on: one in ten,
  // which for 1 ms operations is the budget's limit exactly.
  const counted = sequential(s, advance, 1000, (i) => (i === 0 ? 100 : 1));
  expect(counted.slice(0, 5)).toEqual([0, 901, 911, 921, 931]);
});

test('never two counted operations at once, however many are due', () => {
  const { s, advance } = sampler(2);
  const first = s.next(); // operation 0: counted, still running
  expect(first).toBeDefined();
  for (let i = 0; i < 10; i++) expect(s.next()).toBeUndefined(); // due ones wait: one runs
  advance(5);
  first!();
  advance(44); // 9 × 5 ms is 45 ms: still within the wait
  expect(s.next()).toBeUndefined();
  advance(1);
  expect(s.next()).toBeDefined(); // the waiting turn is taken by the first operation after it
});

test('the share of time spent counting stays at or under the budget, whatever the load', () => {
  const { s, advance } = sampler(100);
  // 64 operations in flight, each 300 ms, a new one every 5 ms (200 a second) for 60 s.
  const running: { until: number; end?: () => void }[] = [];
  let now = 0;
  let counting = 0;
  for (let step = 0; step < 12_000; step++) {
    running.push({ until: now + 300, end: s.next() });
    advance(5);
    now += 5;
    if (running.some((r) => r.end)) counting += 5;
    for (const r of running.filter((r) => r.until <= now)) r.end?.();
    running.splice(0, running.length, ...running.filter((r) => r.until > now));
  }
  expect(counting / now).toBeLessThanOrEqual(0.11);
  expect(counting / now).toBeGreaterThan(0.05); // and it does keep counting
});

import { configureIdleShards } from '../../src/store/items/session-indexes';
import { DEFAULT_IDLE_INDEX_SHARDS } from '../../src/defaults';
import { Mix, Row, simulate, unitsPerTurn } from './model';

/**
 * `npm run simulate:partitions [-- --shards N --turns N --gsi-tx-factor 2 --small]`: the load
 * of docs/scaling.md replayed against the real key builders, printed per partition of the
 * table and of every index, against half of DynamoDB's per-partition limits.
 */

/** Half of DynamoDB's per-partition limits: the target. */
export const HALF = { wcu: 500, rcu: 1500 };

/** Prices of on-demand capacity, US East (N. Virginia), docs/scaling.md (read 2026-12-06). */
export const PRICE_PER_MILLION = { wru: 0.625, rru: 0.125 };

export const FULL_MIX: Mix = {
  sessions: 1_000_000,
  tenants: 100_000,
  maxTopics: 200,
  maxUsers: 100_000,
  life: { turns: 20, turnSeconds: 30, userChars: 200, replyChars: 600, coachHistory: 10, usageCounters: true },
  adminViewSeconds: 60,
  adminPage: 20,
  notifySeconds: 3600,
  queryMs: 5,
  batchGetMs: 5,
  processes: 480,
  probeSeconds: 5,
  gsiTxFactor: 1,
};

export interface Report {
  rows: Row[];
  worst: { wcu: number; rcu: number };
  failing: Row[];
  text: string;
  turnsPerSecond: number;
  perMillionTurns: { wcu: number; rcu: number; dollars: number };
  perTurn: ReturnType<typeof unitsPerTurn>;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (n: number) => `${Math.round(n * 100)}%`;

export function report(mix: Mix, shards: number): Report {
  configureIdleShards(shards);
  try {
    const { rows, tenants, exponent, totals, turnsPerSecond } = simulate(mix);
    rows.sort((a, b) => b.top[0].wcu / HALF.wcu + b.top[0].rcu / HALF.rcu - (a.top[0].wcu / HALF.wcu + a.top[0].rcu / HALF.rcu));
    const worst = { wcu: Math.max(...rows.map((r) => r.top[0].wcu)), rcu: Math.max(...rows.map((r) => r.top[0].rcu)) };
    const failing = rows.filter((r) => r.top[0].wcu > HALF.wcu || r.top[0].rcu > HALF.rcu);
    const million = 1_000_000 / turnsPerSecond;
    const perMillionTurns = { wcu: totals.wcu * million, rcu: totals.rcu * million, dollars: 0 };
    perMillionTurns.dollars = (perMillionTurns.wcu * PRICE_PER_MILLION.wru + perMillionTurns.rcu * PRICE_PER_MILLION.rru) / 1_000_000;
    const perTurn = unitsPerTurn(mix);
    const big = tenants[0];
    const small = tenants[tenants.length - 1];
    const lines = [
      `${fmt(mix.sessions, 0)} live sessions over ${fmt(mix.tenants, 0)} tenants (Zipf exponent ${exponent.toFixed(3)}: the largest ${big.topics} topics and ${fmt(big.users, 0)} users, the smallest ${small.topics} topics),`,
      `one live session per tenant and topic, a turn every ${mix.life.turns ? mix.life.turnSeconds : 0} s (${fmt(turnsPerSecond, 0)} turns/s), sessions of ${mix.life.turns} turns then completed,`,
      `admin views every ${mix.adminViewSeconds} s per tenant, notify-idle every ${mix.notifySeconds} s reading every live entry, usage counters ${mix.life.usageCounters ? 'on' : 'off'},`,
      `byIdleV2 shards ${shards}, index writes in a transaction x${mix.gsiTxFactor}. Units per second; target: every partition <= ${HALF.wcu} WCU and <= ${HALF.rcu} RCU.`,
      '',
      `| where | partition key | partitions | busiest | WCU/s | RCU/s | of half WCU | of half RCU |`,
      `|---|---|---|---|---|---|---|---|`,
      ...rows.map((r) => {
        const t = r.top[0];
        const busiest = r.scope === 'tenant' || r.scope === 'global' ? `\`${t.pk}\`` : `any (${r.scope})`;
        return `| ${r.where} | \`${r.pattern}\` | ${fmt(r.count, 0)} | ${busiest} | ${fmt(t.wcu, 2)} | ${fmt(t.rcu, 2)} | ${pct(t.wcu / HALF.wcu)} | ${pct(t.rcu / HALF.rcu)} |`;
      }),
      '',
      ...rows
        .filter((r) => r.scope === 'tenant' || r.scope === 'global')
        .map((r) => `Busiest of ${r.where} \`${r.pattern}\`: ${r.top.map((t) => `\`${t.pk}\` ${fmt(t.wcu, 1)} WCU/s ${fmt(t.rcu, 1)} RCU/s`).join('; ')}.`),
      `A turn, on average: ${fmt(perTurn.turn.wcu, 2)} WCU, ${fmt(perTurn.turn.rcu, 2)} RCU (the session read, the coach's read, both transactions, its share of settling); a start and an end: ${fmt(perTurn.startAndEnd.wcu, 1)} WCU, ${fmt(perTurn.startAndEnd.rcu, 1)} RCU.`,
      `Totals: ${fmt(totals.wcu, 0)} WCU/s, ${fmt(totals.rcu, 0)} RCU/s; per million turns ${fmt(perMillionTurns.wcu, 0)} WRU + ${fmt(perMillionTurns.rcu, 0)} RRU = $${fmt(perMillionTurns.dollars, 2)} on demand.`,
      failing.length ? `OVER HALF THE LIMIT: ${failing.map((r) => `${r.where} ${r.pattern}`).join(', ')}` : 'Every partition is under half its limits.',
    ];
    return { rows, worst, failing, text: lines.join('\n'), turnsPerSecond, perMillionTurns, perTurn };
  } finally {
    configureIdleShards(DEFAULT_IDLE_INDEX_SHARDS);
  }
}

/** A small load for `npm test`: one tenant, its topics all held. */
export const smallMix = (topics = 3): Mix => ({ ...FULL_MIX, sessions: topics, tenants: 1, maxTopics: topics, maxUsers: topics, processes: 1 });

function args(argv: string[]): { mix: Mix; shards: number } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
    return n;
  };
  const base = argv.includes('--small') ? smallMix() : FULL_MIX;
  const mix: Mix = {
    ...base,
    life: { ...base.life, turns: get('turns') ?? base.life.turns },
    gsiTxFactor: get('gsi-tx-factor') ?? base.gsiTxFactor,
  };
  return { mix, shards: get('shards') ?? DEFAULT_IDLE_INDEX_SHARDS };
}

if (require.main === module) {
  const { mix, shards } = args(process.argv.slice(2));
  const out = report(mix, shards);
  console.log(out.text);
  process.exitCode = out.failing.length ? 1 : 0;
}

import { newSessionId } from '../../src/domain/ids';
import { adminIndexAttributes, tenantLiveGsiPk, tenantTopicGsiPk } from '../../src/store/items/session-indexes';
import { sessionItem } from '../../src/store/items/session';
import { encodeId } from '../../src/store/keys';
import { INDEXES } from '../../src/store/schema';
import { indexEntryBytes, itemBytes, Ledger, readUnits, Units } from './ledger';
import { lifeSeconds, LifeShape, liveOneSession, SessionIds } from './lifecycle';

/** The load: live sessions spread over tenants whose sizes follow Zipf's law. */
export interface Mix {
  sessions: number;
  tenants: number;
  /** Topics (so live sessions: one per tenant and topic) and users of the largest tenant. */
  maxTopics: number;
  maxUsers: number;
  life: LifeShape;
  /** Every tenant's admin looks at idleSessions (and tenantSessions) this often. */
  adminViewSeconds: number;
  adminPage: number;
  /** notify-idle runs this often and, at worst, reads every live session's entry. */
  notifySeconds: number;
  /** Latencies that pace notify-idle's reading of one shard (a Query page, then BatchGets of 100). */
  queryMs: number;
  batchGetMs: number;
  /** Server processes (each probed for readiness every probeSeconds, a GetItem of PING). */
  processes: number;
  probeSeconds: number;
  gsiTxFactor: number;
}

export interface Tenant {
  id: string;
  topics: number;
  users: number;
}

/** Tenant r has ceil(maxTopics * r^-s) topics, all held; s is solved so the topics add up to `sessions`. */
export function zipfTenants(mix: Pick<Mix, 'sessions' | 'tenants' | 'maxTopics' | 'maxUsers'>): { tenants: Tenant[]; exponent: number } {
  const total = (s: number) => {
    let n = 0;
    for (let r = 1; r <= mix.tenants; r++) n += Math.ceil(mix.maxTopics * r ** -s);
    return n;
  };
  if (mix.tenants * mix.maxTopics < mix.sessions) throw new Error('more sessions than tenants x topics: one live session per tenant and topic');
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) > mix.sessions) lo = mid;
    else hi = mid;
  }
  const exponent = hi;
  const tenants = Array.from({ length: mix.tenants }, (_, i) => {
    const topics = Math.ceil(mix.maxTopics * (i + 1) ** -exponent);
    return { id: `tenant-${String(i + 1).padStart(6, '0')}`, topics, users: Math.max(topics, Math.round(mix.maxUsers * (i + 1) ** -exponent)) };
  });
  return { tenants, exponent };
}

/** What a booking's partition key is keyed by: one session, topic or user, a tenant, or nothing (global). */
export type Scope = 'session' | 'topic' | 'user' | 'tenant' | 'global';

export interface Row {
  where: string;
  /** The partition key with its ids replaced by <tenant>, <topic>, <user>, <session>. */
  pattern: string;
  scope: Scope;
  /** How many such partitions are live. */
  count: number;
  /** The busiest ones, with their units per second. */
  top: (Units & { pk: string })[];
}

const SAMPLE: SessionIds = { tenantId: 'tenant-000001', userId: 'user-sample', topicId: 'topic-sample', sessionId: 'ses_SAMPLESAMPLESAMPLESAMPLE00' };

export function scopeOf(pk: string, ids: SessionIds): Scope {
  if (pk.includes(ids.sessionId)) return 'session';
  if (pk.includes(`#${ids.topicId}`)) return 'topic';
  if (pk.includes(`#${encodeId(ids.userId)}`)) return 'user';
  if (pk.includes(encodeId(ids.tenantId))) return 'tenant';
  return 'global';
}

const patternOf = (pk: string, ids: SessionIds) =>
  pk.replace(ids.sessionId, '<session>').replace(`#${ids.topicId}`, '#<topic>').replace(`#${encodeId(ids.userId)}`, '#<user>').replace(encodeId(ids.tenantId), '<tenant>');

/** One session's life, as units per second of its life on each partition it touches. */
export function sessionRates(mix: Mix, ids: SessionIds = SAMPLE): { ledger: Ledger; lifeSeconds: number } {
  const ledger = liveOneSession(ids, mix.life, Date.UTC(2026, 11, 1), new Ledger({ gsiTxFactor: mix.gsiTxFactor }));
  return { ledger, lifeSeconds: lifeSeconds(mix.life) };
}

/** Units of a turn (on average over a life: what the turns add to a start and an end) and of the start and end. */
export function unitsPerTurn(mix: Mix): { turn: Units; startAndEnd: Units } {
  const sum = (turns: number) => {
    const l = liveOneSession(SAMPLE, { ...mix.life, turns }, Date.UTC(2026, 11, 1), new Ledger({ gsiTxFactor: mix.gsiTxFactor }));
    return [...l.booked.values()].reduce((u, b) => ({ wcu: u.wcu + b.wcu, rcu: u.rcu + b.rcu }), { wcu: 0, rcu: 0 });
  };
  const none = sum(0);
  const all = sum(mix.life.turns);
  const n = Math.max(1, mix.life.turns);
  return { turn: { wcu: (all.wcu - none.wcu) / n, rcu: (all.rcu - none.rcu) / n }, startAndEnd: none };
}

/** Every partition of the table and the indexes under the mix, grouped by key pattern. */
export function simulate(mix: Mix, opts: { ids?: (now: number) => string } = {}): { rows: Row[]; tenants: Tenant[]; exponent: number; totals: Units; turnsPerSecond: number } {
  const { tenants, exponent } = zipfTenants(mix);
  const { ledger, lifeSeconds } = sessionRates(mix);
  const rows = new Map<string, Row>();
  const add = (where: string, pk: string, scope: Scope, pattern: string, count: number, u: Units) => {
    const key = `${where}\u0000${pattern}`;
    const row = rows.get(key) ?? { where, pattern, scope, count, top: [] };
    const hit = row.top.find((t) => t.pk === pk);
    if (hit) {
      hit.wcu += u.wcu;
      hit.rcu += u.rcu;
    } else row.top.push({ pk, ...u });
    rows.set(key, row);
  };
  const totals: Units = { wcu: 0, rcu: 0 };
  const count = (u: Units, times: number) => {
    totals.wcu += u.wcu * times;
    totals.rcu += u.rcu * times;
  };
  const sample = ledger.booked;
  // Session, topic and user partitions see one live session at a time; tenant ones all of the tenant's.
  const global: Units = { wcu: 0, rcu: 0 };
  let globalWhere = '';
  for (const b of sample.values()) {
    const scope = scopeOf(b.pk, SAMPLE);
    const u = { wcu: b.wcu / lifeSeconds, rcu: b.rcu / lifeSeconds };
    count(u, mix.sessions);
    if (scope === 'global') {
      global.wcu += u.wcu;
      global.rcu += u.rcu;
      globalWhere = b.where;
      continue;
    }
    const pattern = patternOf(b.pk, SAMPLE);
    if (scope === 'tenant') {
      for (const t of tenants.slice(0, 3)) add(b.where, b.pk.replace(encodeId(SAMPLE.tenantId), encodeId(t.id)), scope, pattern, mix.tenants, { wcu: u.wcu * t.topics, rcu: u.rcu * t.topics });
    } else add(b.where, b.pk, scope, pattern, mix.sessions, u);
  }
  // The global partitions of a session (byIdle's shard) follow its id: spread real ids over them.
  const shards = new Map<string, number>();
  const now = Date.UTC(2026, 11, 1);
  const makeId = opts.ids ?? newSessionId;
  for (let i = 0; i < mix.sessions; i++) {
    const pk = String(adminIndexAttributes(stub(makeId(now + i)), now)[INDEXES.byIdle.pk]);
    shards.set(pk, (shards.get(pk) ?? 0) + 1);
  }
  for (const [pk, n] of shards) add(globalWhere || INDEXES.byIdle.name, pk, 'global', 'LIVE#<shard>', shards.size, { wcu: global.wcu * n, rcu: global.rcu * n });

  adminViews(mix, tenants, add, count);
  notifyIdle(mix, shards, add, count);
  const ping = { wcu: 0, rcu: (mix.processes / mix.probeSeconds) * readUnits(0, false) };
  add('table', 'PING', 'global', 'PING', 1, ping);
  count(ping, 1);
  for (const row of rows.values()) row.top.sort((a, b) => b.wcu / 1000 + b.rcu / 3000 - (a.wcu / 1000 + a.rcu / 3000)).splice(3);
  return { rows: [...rows.values()], tenants, exponent, totals, turnsPerSecond: (mix.sessions * mix.life.turns) / lifeSeconds };
}

type Add = (where: string, pk: string, scope: Scope, pattern: string, count: number, u: Units) => void;

const stub = (id: string) => ({ id, tenantId: SAMPLE.tenantId, userId: SAMPLE.userId, topicId: SAMPLE.topicId, status: 'ACTIVE' as const, createdAt: 0, updatedAt: 0, lastActivityAt: 0, endedAt: null, expiresAt: 0, messageCount: 1, version: 1 });

/** A keys-only admin index entry of a live session, and the session item an admin read fetches. */
function entrySizes(index: (typeof INDEXES)[keyof typeof INDEXES]) {
  const item = sessionItem({ ...stub(SAMPLE.sessionId), lastActivityAt: Date.UTC(2026, 11, 1), expiresAt: Date.UTC(2027, 0, 1), messageCount: 41, lastSeq: 41, turnCount: 20 }, 1_800_000_000);
  return { entry: indexEntryBytes(item, index, false), session: itemBytes(item) };
}

/** idleSessions (a full page, at worst) and tenantSessions (a page per topic) by every tenant's admin, every adminViewSeconds. */
function adminViews(mix: Mix, tenants: Tenant[], add: Add, count: (u: Units, n: number) => void): void {
  const idle = entrySizes(INDEXES.byTenantIdle);
  const listed = entrySizes(INDEXES.byTenantTopic);
  const page = mix.adminPage + 1;
  const idleQuery = readUnits(page * idle.entry, false) / mix.adminViewSeconds;
  const topicQuery = readUnits(page * listed.entry, false) / mix.adminViewSeconds;
  const batch = (2 * page * readUnits(idle.session, true)) / mix.adminViewSeconds;
  for (const t of tenants.slice(0, 3)) add(INDEXES.byTenantIdle.name, tenantLiveGsiPk(t.id), 'tenant', 'T#<tenant>#LIVE', mix.tenants, { wcu: 0, rcu: idleQuery });
  add(INDEXES.byTenantTopic.name, tenantTopicGsiPk(SAMPLE.tenantId, SAMPLE.topicId), 'topic', 'T#<tenant>#TOPIC#<topic>', mix.sessions, { wcu: 0, rcu: topicQuery });
  const topics = tenants.reduce((n, t) => n + t.topics, 0);
  count({ wcu: 0, rcu: idleQuery + batch }, mix.tenants);
  count({ wcu: 0, rcu: topicQuery }, topics);
}

/**
 * notify-idle at worst (every live session a candidate, e.g. --min-idle-minutes 0): each shard
 * read a 1 MB page at a time, each page followed by its BatchGets; a shard's peak is one page
 * per (queryMs + batches * batchGetMs).
 */
function notifyIdle(mix: Mix, shards: Map<string, number>, add: Add, count: (u: Units, n: number) => void): void {
  const { entry, session } = entrySizes(INDEXES.byIdle);
  const perPage = Math.floor((1024 * 1024) / entry);
  const pageRcu = readUnits(perPage * entry, false);
  const pageSeconds = (entries: number) => (mix.queryMs + Math.ceil(entries / 100) * mix.batchGetMs) / 1000;
  for (const [pk, n] of [...shards].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
    // Units in the busiest second: a page's pace, but never more than the whole shard holds.
    const rcu = Math.min(n >= perPage ? pageRcu / pageSeconds(perPage) : readUnits(n * entry, false) / pageSeconds(n), readUnits(n * entry, false));
    add(INDEXES.byIdle.name, pk, 'global', 'LIVE#<shard>', shards.size, { wcu: 0, rcu });
  }
  const runRcu = readUnits(mix.sessions * entry, false) + mix.sessions * readUnits(session, true);
  count({ wcu: 0, rcu: runRcu / mix.notifySeconds }, 1);
}

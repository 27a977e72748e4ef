/**
 * byIdle's shard count is configuration (IDLE_INDEX_SHARDS): writers spread new keys over it,
 * notify-idle reads every shard any count may use, so sessions keyed under an earlier count
 * (8, the fixed count of earlier versions), a larger one or a smaller one are all found.
 */
import { DynamoIdleNoticeStore } from '../../src/store/idle-notice-store';
import { configureIdleShards, idleShard, IDLE_SHARDS_MAX } from '../../src/store/items/session-indexes';
import { DEFAULT_IDLE_INDEX_SHARDS } from '../../src/defaults';
import { DAY, FakeClock } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { catalog, scanAll, stackOn, topic, viewer } from '../support/store-helpers';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  configureIdleShards(DEFAULT_IDLE_INDEX_SHARDS);
  await table.drop();
});

test('sessions keyed under 8, 64 and 3 shards are all found by notify-idle', async () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const { service } = stackOn(table, clock, catalog(topic('alpha')));
  const started: { id: string; shards: number }[] = [];
  const start = async (shards: number) => {
    configureIdleShards(shards);
    const s = await service.lifecycle.start(viewer(`shard-t${started.length}`, 'u'), 'alpha', false);
    started.push({ id: s.id, shards });
    return s.id;
  };
  try {
    await start(8);
    // Under 64 shards, until one lands beyond the 8 earlier versions read (7 in 8 do).
    for (let i = 0; i < 20 && idleShard(await start(64), 64) < 8; i++);
    await start(3);
  } finally {
    configureIdleShards(DEFAULT_IDLE_INDEX_SHARDS);
  }
  const items = await scanAll(table);
  for (const s of started) expect(items.find((i) => i.sessionId === s.id && i.sk === 'SESSION')).toMatchObject({ gsi3pk: `LIVE#${idleShard(s.id, s.shards)}` });
  expect(started.some((s) => s.shards === 64 && idleShard(s.id, 64) >= 8)).toBe(true);

  clock.advance(2 * DAY);
  const store = new DynamoIdleNoticeStore(table.doc, table.tableName);
  const found: string[] = [];
  for await (const batch of store.findIdle(clock.now() - DAY, clock.now())) found.push(...batch.map((c) => c.sessionId));
  expect(found.sort()).toEqual(started.map((s) => s.id).sort());
});

test('the shard count is bounded by what readers read', () => {
  expect(() => configureIdleShards(IDLE_SHARDS_MAX + 1)).toThrow(RangeError);
  expect(() => configureIdleShards(0)).toThrow(RangeError);
  configureIdleShards(DEFAULT_IDLE_INDEX_SHARDS);
});

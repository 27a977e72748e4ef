import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { SessionService } from '../../src/sessions/session-service';
import { loadCatalog } from '../../src/topics/catalog';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { silentLogger } from '../../src/logger';
import { FakeClock } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

test('smoke: start, message, check, complete', async () => {
  const clock = new FakeClock(Date.now());
  const repo = new DynamoSessionRepository(table.doc, table.tableName);
  const svc = new SessionService(repo, loadCatalog(undefined), new EmbeddedCoach(), clock, silentLogger);
  const alice = { tenantId: 't1', userId: 'alice', roles: [] };
  const s = await svc.start(alice, 'core_values', false);
  expect(s.status).toBe('ACTIVE');
  const r = await svc.sendMessage(alice, s.id, 'I love honesty. It matters.', 'c1');
  expect(r.reply.seq).toBe(3);
  const again = await svc.sendMessage(alice, s.id, 'I love honesty. It matters.', 'c1');
  expect(again.reply.seq).toBe(3);
  expect(again.session.messageCount).toBe(3);
  const chk = await svc.check({ tenantId: 't1', userId: 'bob', roles: [] }, 'core_values');
  expect(chk.conflict).toBe(true);
  const done = await svc.complete(alice, s.id);
  expect(done.status).toBe('COMPLETED');
  const page = await svc.mySessions(alice, null, 10, null);
  expect(page.sessions.map((x) => x.id)).toEqual([s.id]);
  const msgs = await svc.messages(alice, done, { first: null, after: null, last: 2, before: null });
  expect(msgs.messages.map((m) => m.seq)).toEqual([2, 3]);
});

import { capabilities } from '../support/capabilities';
/**
 * A user's data beyond one live session, on DynamoDB Local: erasure that leaves nothing of
 * the user in the table (the TTL sweep emulated, a transfer in between, checked with full
 * scans), the append-only transfer history, outcomes that outlive their session, and the
 * paged export (docs/administration.md, docs/data-model.md).
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../../src/domain/errors';
import { Viewer } from '../../src/domain/viewer';
import { ERASED_CONTENT, ERASED_RESULT } from '../../src/domain/user-data';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { sessionKey } from '../../src/store/items/session';
import { BUILTIN_RESULT_SCHEMAS } from '../../src/topics/builtin';
import { DAY, FakeClock, HOUR } from '../support/clock';
import { createTestTable, TestTable } from '../support/dynamo';
import { adminStackOn, catalog, Item, partition, scanAll, sec, stackOn, topic, viewer } from '../support/store-helpers';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';

// 'noted' has a result schema: the embedded coach fills it from the user's own words (a result quotes them).
const noted = { ...topic('noted'), resultSchema: BUILTIN_RESULT_SCHEMAS.purpose };
const topics = catalog(topic('alpha'), topic('beta'), topic('gamma'), topic('brief', { activeTtlSeconds: 3600, terminalTtlSeconds: 600 }), noted);
const admin = (tenantId: string): Viewer => ({ tenantId, userId: 'ada', roles: ['admin'] });

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

const stack = (t: TestTable, clock: FakeClock) => adminStackOn(t, clock, topics);

const text = (i: Item) => JSON.stringify(i);

test('erasure reaches messages the TTL sweep orphaned and what the user wrote in a session transferred away; only the audit entry names them', async () => {
  const own = await createTestTable();
  try {
    const clock = new FakeClock(Date.UTC(2026, 4, 1, 8, 0, 0));
    const { service, admins } = stack(own, clock);
    const alice = viewer('er-t', 'alice');
    const bob = viewer('er-t', 'bob');

    // 1. A session whose item the sweep already deleted, its messages left (they outlive it by up to a day).
    const swept = await service.lifecycle.start(alice, 'brief', false);
    await service.conversation.sendMessage(alice, swept.id, 'aliceSecretSwept about my manager', 'c-swept');
    await service.lifecycle.complete(alice, swept.id);
    clock.advance(2 * HOUR);
    await own.doc.send(new DeleteCommand({ TableName: own.tableName, Key: sessionKey('er-t', swept.id) }));
    expect((await partition(own, 'er-t', swept.id)).some((i) => String(i.content ?? '').includes('aliceSecretSwept'))).toBe(true);

    // 2. A session she wrote in, moved to bob, who writes and completes it (its result quotes both of them).
    const bobsOwn = await service.lifecycle.start(bob, 'gamma', false);
    await service.conversation.sendMessage(bob, bobsOwn.id, 'bobWordsOwn in his own session', 'b-0');
    const moved = await service.lifecycle.start(alice, 'noted', false);
    await service.conversation.sendMessage(alice, moved.id, 'I exist to aliceSecretMoved every day', 'c-moved');
    // She lets her words move with it (without her consent bob would never see them).
    await admins.transfers.setAllowTransferWithContent(alice, moved.id, true);
    await admins.transfers.transfer(admin('er-t'), moved.id, 'bob');
    await service.conversation.sendMessage(bob, moved.id, 'I exist to bobWordsMoved for my team', 'b-1');
    const completed = await service.lifecycle.complete(bob, moved.id);
    expect(completed.result).not.toBeNull(); // extracted from a conversation she wrote in

    // 3. Her live session and her outcome of it.
    const live = await service.lifecycle.start(alice, 'alpha', false);
    await service.conversation.sendMessage(alice, live.id, 'aliceSecretLive', 'c-live');
    const before = await scanAll(own);
    expect(before.filter((i) => text(i).includes('alice')).length).toBeGreaterThan(5);

    const counts = await admins.userData.eraseUserData(admin('er-t'), 'alice');
    expect(counts.sessionsDeleted).toBe(1); // the live one; the swept one had no item left
    expect(counts.itemsRedacted).toBeGreaterThan(0);

    const after = await scanAll(own);
    const audits = after.filter((i) => i.type === 'ERASURE');
    expect(audits).toEqual([expect.objectContaining({ pk: 'T#er-t#AUDIT', userId: 'alice', erasedBy: 'ada' })]);
    // Nothing else names her or holds a word she wrote (the coach's echoes and the extracted result included).
    expect(after.filter((i) => i.type !== 'ERASURE' && /alice/i.test(text(i))).map((i) => [i.pk, i.sk])).toEqual([]);
    expect(after.filter((i) => /aliceSecret/.test(text(i)))).toEqual([]);
    expect(after.filter((i) => String(i.pk).includes(swept.id) || String(i.pk).includes(live.id))).toEqual([]);

    // Bob keeps his session and his words; the conversation keeps its shape, her turns marked removed.
    const conversation = await service.sessions.messages(bob, (await service.sessions.get(bob, moved.id))!, { first: 50, after: null, last: null, before: null });
    const contents = conversation.messages.map((m) => m.content);
    expect(contents.join('\n')).toContain('bobWordsMoved');
    expect(contents).toContain(ERASED_CONTENT);
    expect(conversation.messages.every((m) => m.authorId !== 'alice')).toBe(true);
    expect(after.some((i) => text(i).includes('bobWordsOwn'))).toBe(true);
    // The result was extracted from her words too: gone from the session and from bob's outcome.
    const session = await service.sessions.get(bob, moved.id);
    expect(session?.result ?? null).toBeNull();
    expect(session?.resultError).toBe(ERASED_RESULT);
    const bobsOutcome = (await service.sessions.myResults(bob, null, null)).outcomes.find((o) => o.topicId === 'noted');
    expect(bobsOutcome).toMatchObject({ sessionId: moved.id, result: null, resultError: ERASED_RESULT });
    // The history keeps the hop, with a pseudonym for her.
    const history = (await admins.transfers.sessionTransfers(admin('er-t'), moved.id, null, null)).transfers;
    expect(history).toEqual([expect.objectContaining({ to: 'bob', by: 'ada', from: expect.stringMatching(/^erased:/) })]);

    // Run again: nothing more to do, one more audit entry.
    expect(await admins.userData.eraseUserData(admin('er-t'), 'alice')).toEqual({ sessionsDeleted: 0, itemsDeleted: 0, itemsRedacted: 0 });
    expect((await scanAll(own)).filter((i) => i.type === 'ERASURE')).toHaveLength(2);
  } finally {
    await own.drop();
  }
});

test('erasing the admin who made a transfer pseudonymises them in the history and in earlier audits', async () => {
  const own = await createTestTable();
  try {
    const clock = new FakeClock(Date.UTC(2026, 4, 2, 8, 0, 0));
    const { service, admins } = stack(own, clock);
    const ada = admin('ad-t');
    await service.lifecycle.start(viewer('ad-t', 'bob'), 'gamma', false);
    const s = await service.lifecycle.start(viewer('ad-t', 'alice'), 'alpha', false);
    await admins.transfers.transfer(ada, s.id, 'bob');
    await admins.userData.eraseUserData(ada, 'carl'); // an audit naming ada as the eraser
    await admins.userData.eraseMyData(ada);
    const after = await scanAll(own);
    expect(after.filter((i) => !(i.type === 'ERASURE' && i.userId === 'ada') && text(i).includes('"ada"')).map((i) => [i.pk, i.sk])).toEqual([]);
    const history = (await admins.transfers.sessionTransfers(admin('ad-t'), s.id, null, null)).transfers;
    expect(history).toEqual([expect.objectContaining({ from: 'alice', to: 'bob', by: expect.stringMatching(/^erased:/) })]);
  } finally {
    await own.drop();
  }
});

// Issue #19 (Low): the audit entry of an erasure had no ttl, so it was kept forever.
test('an erasure audit carries a ttl (365 days by default, or the configured retention) and is hidden from the export past it', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 2, 9, 0, 0));
  const { admins } = stack(table, clock);
  const ada = admin('au-t');
  const audits = async (tenant: string) => (await scanAll(table)).filter((i) => i.type === 'ERASURE' && i.pk === `T#${tenant}#AUDIT`);
  const erasureRecords = async (v: Viewer) => (await admins.userData.exportMyData(v, 100, null)).records.filter((r) => r.type === 'erasure');

  await admins.userData.eraseUserData(ada, 'carl');
  const [audit] = await audits('au-t');
  expect(audit.ttl).toBe(sec(clock.now()) + 365 * 86_400);
  // The admin's export lists the erasure they made while it is kept, and not after its retention.
  expect(await erasureRecords(ada)).toHaveLength(1);
  clock.advance(365 * DAY - 1000);
  expect(await erasureRecords(ada)).toHaveLength(1);
  clock.advance(1000);
  expect(await erasureRecords(ada)).toHaveLength(0);

  // ERASURE_AUDIT_RETENTION_DAYS reaches the repository through its options.
  const repo = new DynamoSessionRepository(table.doc, table.tableName, { erasureAuditRetentionDays: 30 });
  await capabilities(repo, topics, { clock: clock }).userData.eraseMyData(viewer('au-30', 'dora'));
  const [short] = await audits('au-30');
  expect(short.ttl).toBe(sec(clock.now()) + 30 * 86_400);
});

test('transfers: refused to the acting admin and to unknown users (nothing written), an append-only history otherwise', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 3, 8, 0, 0));
  const { service, admins } = stack(table, clock);
  const s = await service.lifecycle.start(viewer('xf-t', 'alice'), 'alpha', false);
  const before = await partition(table, 'xf-t', s.id);
  const refused = async (to: string) => (await admins.transfers.transfer(admin('xf-t'), s.id, to).catch((e: DomainError) => e)) as DomainError;
  expect((await refused('ada')).code).toBe('FORBIDDEN');
  expect((await refused('nobody')).code).toBe('BAD_USER_INPUT');
  expect(await partition(table, 'xf-t', s.id)).toEqual(before);
  // Known: bob has a session; carol had one, ended and expired past its TTL but her outcome is kept.
  await service.lifecycle.start(viewer('xf-t', 'bob'), 'beta', false);
  const carols = await service.lifecycle.start(viewer('xf-t', 'carol'), 'brief', false);
  await service.lifecycle.complete(viewer('xf-t', 'carol'), carols.id);
  clock.advance(DAY);
  await admins.transfers.transfer(admin('xf-t'), s.id, 'bob');
  await admins.transfers.transfer({ ...admin('xf-t'), userId: 'ann' }, s.id, 'carol');
  const page1 = await admins.transfers.sessionTransfers(admin('xf-t'), s.id, 1, null);
  const page2 = await admins.transfers.sessionTransfers(admin('xf-t'), s.id, 1, page1.transfers[0].seq);
  expect([...page1.transfers, ...page2.transfers].map((t) => [t.from, t.to, t.by])).toEqual([
    ['alice', 'bob', 'ada'],
    ['bob', 'carol', 'ann'],
  ]);
  expect(page1.hasNextPage).toBe(true);
  expect(page2.hasNextPage).toBe(false);
});

test('outcomes outlive the session: COMPLETED with its result after the TTL, until the topic starts again; a retention removes them', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 4, 8, 0, 0));
  const { service } = stack(table, clock);
  const me = viewer('oc-t', 'alice');
  const s = await service.lifecycle.start(me, 'noted', false);
  await service.conversation.sendMessage(me, s.id, 'I exist to help people learn', null);
  const done = await service.lifecycle.complete(me, s.id);
  clock.advance(400 * DAY); // far past the terminal TTL
  expect(await service.sessions.get(me, s.id)).toBeNull();
  const progress = (await service.sessions.topicProgress(me)).get('noted')!;
  expect(progress.status).toBe('COMPLETED');
  expect(progress.result).toMatchObject({ sessionId: s.id, completedAt: done.endedAt, result: done.result });
  await service.lifecycle.start(me, 'noted', false);
  expect((await service.sessions.topicProgress(me)).get('noted')).toMatchObject({ status: 'IN_PROGRESS', result: { sessionId: s.id } });

  // With a retention of a day, the outcome goes after a day.
  const { repo } = stackOn(table, clock, topics);
  const retained = capabilities(repo, topics, { coach: new EmbeddedCoach(), clock: clock, limits: { outcomeRetentionSeconds: 86_400 } });
  const bob = viewer('oc-t', 'bob');
  const b = await retained.lifecycle.start(bob, 'beta', false);
  await retained.lifecycle.complete(bob, b.id);
  expect((await retained.sessions.myResults(bob, null, null)).outcomes.map((o) => o.topicId)).toEqual(['beta']);
  clock.advance(DAY + HOUR);
  expect((await retained.sessions.myResults(bob, null, null)).outcomes).toEqual([]);
  // The ended session still says COMPLETED until its own TTL; the outcome (and its result) is gone.
  expect((await retained.sessions.topicProgress(bob)).get('beta')).toEqual({ status: 'COMPLETED', result: null });
});

test('myResults pages in topic order', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 5, 8, 0, 0));
  const { service } = stack(table, clock);
  const me = viewer('mr-t', 'alice');
  for (const t of ['gamma', 'alpha', 'beta']) await service.lifecycle.complete(me, (await service.lifecycle.start(me, t, false)).id);
  const first = await service.sessions.myResults(me, 2, null);
  expect(first.outcomes.map((o) => o.topicId)).toEqual(['alpha', 'beta']);
  expect(first.hasNextPage).toBe(true);
  const rest = await service.sessions.myResults(me, 2, 'beta');
  expect(rest.outcomes.map((o) => o.topicId)).toEqual(['gamma']);
  expect(rest.hasNextPage).toBe(false);
});

test('the export pages through a long history: every record once, in order, with only her own words from a session transferred away', async () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 6, 8, 0, 0));
  const { service, admins } = stack(table, clock);
  const me = viewer('ex-t', 'alice');
  const bob = viewer('ex-t', 'bob');
  await service.lifecycle.start(bob, 'gamma', false);
  const long = await service.lifecycle.start(me, 'alpha', false);
  for (let i = 0; i < 40; i++) await service.conversation.sendMessage(me, long.id, `note ${i}`, `n-${i}`);
  await service.lifecycle.complete(me, long.id);
  const away = await service.lifecycle.start(me, 'beta', false);
  await service.conversation.sendMessage(me, away.id, 'mine before the move', null);
  await admins.transfers.transfer(admin('ex-t'), away.id, 'bob');
  await service.conversation.sendMessage(bob, away.id, 'bobs words after', null);

  const records: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await admins.userData.exportMyData(me, 7, cursor);
    expect(page.records.length).toBeLessThanOrEqual(7);
    records.push(...page.records);
    cursor = page.cursor;
    pages++;
  } while (cursor && pages < 100);
  expect(cursor).toBeNull();
  expect(pages).toBeGreaterThan(10);
  const all = JSON.stringify(records);
  expect(records.filter((r) => r.type === 'outcome').map((r) => r.topicId)).toEqual(['alpha']);
  expect(records.filter((r) => r.type === 'session').map((r) => r.sessionId)).toEqual([long.id]);
  const longMessages = records.filter((r) => r.type === 'message' && r.sessionId === long.id);
  expect(longMessages).toHaveLength(1 + 40 * 2); // welcome, then each note and its reply
  expect(new Set(longMessages.map((r) => r.id)).size).toBe(longMessages.length);
  for (let i = 0; i < 40; i++) expect(all).toContain(`note ${i}`);
  expect(records.filter((r) => r.type === 'message' && r.sessionId === away.id).map((r) => r.content)).toEqual(['mine before the move']);
  expect(all).not.toContain('bobs words after');
  expect(records.filter((r) => r.type === 'transfer')).toEqual([expect.objectContaining({ sessionId: away.id, fromUserId: 'alice', toUserId: 'bob' })]);

  // Forged cursors are BAD_USER_INPUT, including one pointing into someone else's session.
  const forged = Buffer.from(JSON.stringify({ p: 's', o: '2026-05-06T08:00:00.000Z#' + away.id, s: away.id, part: 'msg', seq: 0 })).toString('base64url');
  for (const bad of ['garbage', forged]) {
    await expect(admins.userData.exportMyData(me, 7, bad)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  }
  await expect(admins.userData.exportMyData(me, 0, null)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
});

/**
 * The in-memory repository is the ground the service's unit tests stand on: these check
 * that it keeps the DynamoDB repository's contract (holds, versions, expiry, idempotency).
 */
import { DomainError } from '../../src/domain/errors';
import { ended, expiryFor, Message, Session, touched } from '../../src/domain/session';
import { DuplicateClientMessageError, StaleSessionError, TopicHeldError } from '../../src/sessions/repository';
import { MemorySessionRepository } from '../support/memory-repository';
import { FOCUS } from './fixtures';
import { liveSession } from '../support/session-fixture';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const settings = FOCUS.settings;
let n = 0;

function newSession(over: Partial<Session> = {}): { session: Session; first: Message } {
  const session = liveSession(++n, T0, settings, over);
  const id = session.id;
  return { session, first: { sessionId: id, seq: 1, role: 'ASSISTANT', content: 'hi', createdAt: T0 } };
}

const userMsg = (s: Session, content = 'hello'): Message => ({ sessionId: s.id, seq: s.messageCount + 1, role: 'USER', content, createdAt: T0 });
const withMsg = (s: Session, now = T0): Session => ({ ...touched(s, 'ACTIVE', now, settings), messageCount: s.messageCount + 1 });

test('createSession takes the hold; a second live session for the topic gets TopicHeldError(holder)', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  // The hold: who holds the topic and what sessionCheck shows of their session.
  const hold = {
    sessionId: a.session.id,
    userId: a.session.userId,
    status: 'ACTIVE',
    lastActivityAt: a.session.lastActivityAt,
    expiresAt: a.session.expiresAt,
    turnCount: 0,
  };
  expect(await repo.findHolder('t1', 'focus', T0)).toEqual(hold);
  const b = newSession({ userId: 'bob' });
  const err = await repo.createSession(b.session, b.first, T0).catch((e) => e);
  expect(err).toBeInstanceOf(TopicHeldError);
  expect((err as TopicHeldError).holder).toEqual(hold);
  expect(await repo.getSession('t1', b.session.id, T0)).toBeNull();
  // Other tenants have their own holds.
  const c = newSession({ tenantId: 't2' });
  await repo.createSession(c.session, c.first, T0);
  expect((await repo.findHolder('t2', 'focus', T0))!.sessionId).toBe(c.session.id);
});

test('an expired hold does not block, and expired items are hidden from every read', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  const at = a.session.expiresAt;
  expect(await repo.findHolder('t1', 'focus', at - 1)).not.toBeNull();
  expect(await repo.findHolder('t1', 'focus', at)).toBeNull();
  expect(await repo.getSession('t1', a.session.id, at)).toBeNull();
  expect(await repo.getSessions('t1', [a.session.id], at)).toEqual([null]);
  expect((await repo.listUserSessions('t1', 'alice', { statuses: null, limit: 10, cursor: null }, at)).sessions).toEqual([]);
  const b = newSession({ userId: 'bob', createdAt: at, updatedAt: at, lastActivityAt: at, expiresAt: expiryFor('ACTIVE', at, null, settings) });
  await repo.createSession(b.session, b.first, at);
  expect((await repo.findHolder('t1', 'focus', at))!.userId).toBe('bob');
});

test('versioned writes: a stale version, an expired session or a lost hold is StaleSessionError and changes nothing', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  const paused = touched(a.session, 'PAUSED', T0 + 1000, settings);
  await repo.updateSession(a.session, paused, T0 + 1000);
  const before = repo.snapshot();
  // stale version
  await expect(repo.updateSession(a.session, touched(a.session, 'ACTIVE', T0 + 2000, settings), T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
  await expect(repo.appendMessage(a.session, withMsg(a.session), userMsg(a.session), null, T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
  // expired
  await expect(repo.updateSession(paused, touched(paused, 'ACTIVE', paused.expiresAt, settings), paused.expiresAt)).rejects.toBeInstanceOf(StaleSessionError);
  expect(repo.snapshot()).toEqual(before);
  // ended: the hold is gone, so even the right version of an ended session cannot be written
  const done = ended(paused, 'COMPLETED', T0 + 3000, settings);
  await repo.updateSession(paused, done, T0 + 3000);
  expect(await repo.findHolder('t1', 'focus', T0 + 3000)).toBeNull();
  await expect(repo.updateSession(done, { ...done, version: done.version + 1 }, T0 + 4000)).rejects.toBeInstanceOf(StaleSessionError);
});

test('replaceSession ends the previous session and hands the hold to the new one atomically', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  const b = newSession();
  const abandoned = ended(a.session, 'ABANDONED', T0 + 1000, settings);
  await repo.replaceSession(a.session, abandoned, b.session, b.first, T0 + 1000);
  expect((await repo.findHolder('t1', 'focus', T0 + 1000))!.sessionId).toBe(b.session.id);
  expect((await repo.getSession('t1', a.session.id, T0 + 1000))!.status).toBe('ABANDONED');
  const before = repo.snapshot();
  const c = newSession();
  await expect(repo.replaceSession(a.session, abandoned, c.session, c.first, T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
  expect(repo.snapshot()).toEqual(before);
});

test('client message ids: a USER message records once, an ASSISTANT message completes the record once', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  const s2 = withMsg(a.session);
  await repo.appendMessage(a.session, s2, userMsg(a.session), 'cm-1', T0);
  expect(await repo.getClientMessage('t1', a.session.id, 'cm-1', T0)).toEqual({ userSeq: 2, replySeq: null, replyFailed: false });

  const before = repo.snapshot();
  const dup = await repo.appendMessage(s2, withMsg(s2), userMsg(s2), 'cm-1', T0).catch((e) => e);
  expect(dup).toBeInstanceOf(DuplicateClientMessageError);
  expect((dup as DuplicateClientMessageError).record).toEqual({ userSeq: 2, replySeq: null, replyFailed: false });
  expect(repo.snapshot()).toEqual(before);

  const reply: Message = { sessionId: a.session.id, seq: 3, role: 'ASSISTANT', content: 'ok', createdAt: T0 };
  const s3 = withMsg(s2);
  await repo.appendMessage(s2, s3, reply, 'cm-1', T0);
  expect(await repo.getClientMessage('t1', a.session.id, 'cm-1', T0)).toEqual({ userSeq: 2, replySeq: 3, replyFailed: false });
  const second = await repo.appendMessage(s3, withMsg(s3), { ...reply, seq: 4 }, 'cm-1', T0).catch((e) => e);
  expect(second).toBeInstanceOf(DuplicateClientMessageError);
  expect((second as DuplicateClientMessageError).record).toEqual({ userSeq: 2, replySeq: 3, replyFailed: false });
  expect((await repo.getMessages('t1', a.session.id, [2, 3, 4], T0)).map((m) => m.seq)).toEqual([2, 3]);
});

test('callers get copies: mutating a result does not change what is stored', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  a.session.status = 'CANCELLED'; // the object handed in
  const got = (await repo.getSession('t1', a.session.id, T0))!;
  expect(got.status).toBe('ACTIVE');
  got.messageCount = 99;
  expect((await repo.getSession('t1', a.session.id, T0))!.messageCount).toBe(1);
  const [m] = await repo.listMessages('t1', a.session.id, { direction: 'forward', from: null, limit: 5 }, T0);
  m.content = 'tampered';
  expect((await repo.getMessages('t1', a.session.id, [1], T0))[0].content).toBe('hi');
});

test('listMessages pages forward and backward with exclusive bounds, ascending', async () => {
  const repo = new MemorySessionRepository();
  const a = newSession();
  await repo.createSession(a.session, a.first, T0);
  let s = a.session;
  for (let i = 0; i < 5; i++) {
    const next = withMsg(s);
    await repo.appendMessage(s, next, userMsg(s, `m${i}`), null, T0);
    s = next;
  }
  const seqs = async (direction: 'forward' | 'backward', from: number | null, limit: number) =>
    (await repo.listMessages('t1', s.id, { direction, from, limit }, T0)).map((m) => m.seq);
  expect(await seqs('forward', null, 2)).toEqual([1, 2]);
  expect(await seqs('forward', 2, 2)).toEqual([3, 4]);
  expect(await seqs('backward', null, 2)).toEqual([5, 6]);
  expect(await seqs('backward', 5, 2)).toEqual([3, 4]);
  expect(await seqs('backward', 2, 5)).toEqual([1]);
});

test('listUserSessions: recent first, status filter, cursor pages, bad cursor is BAD_USER_INPUT', async () => {
  const repo = new MemorySessionRepository();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = newSession({ topicId: `t${i}`, lastActivityAt: T0 + i * 1000 });
    await repo.createSession(s.session, s.first, T0);
    ids.push(s.session.id);
  }
  const p1 = await repo.listUserSessions('t1', 'alice', { statuses: null, limit: 2, cursor: null }, T0);
  expect(p1.sessions.map((s) => s.id)).toEqual([ids[2], ids[1]]);
  expect(p1.hasNextPage).toBe(true);
  const p2 = await repo.listUserSessions('t1', 'alice', { statuses: null, limit: 2, cursor: p1.cursors[1] }, T0);
  expect(p2.sessions.map((s) => s.id)).toEqual([ids[0]]);
  expect(p2.hasNextPage).toBe(false);
  expect((await repo.listUserSessions('t1', 'alice', { statuses: ['PAUSED'], limit: 2, cursor: null }, T0)).sessions).toEqual([]);
  expect((await repo.listUserSessions('t1', 'bob', { statuses: null, limit: 2, cursor: null }, T0)).sessions).toEqual([]);
  const bad = await repo.listUserSessions('t1', 'alice', { statuses: null, limit: 2, cursor: '!!' }, T0).catch((e) => e);
  expect(bad).toBeInstanceOf(DomainError);
  expect((bad as DomainError).code).toBe('BAD_USER_INPUT');
});

test('failNext injects one fault; calls are counted', async () => {
  const repo = new MemorySessionRepository();
  repo.failNext('ping', new Error('down'));
  await expect(repo.ping()).rejects.toThrow('down');
  await expect(repo.ping()).resolves.toBeUndefined();
  expect(repo.calls.ping).toBe(2);
});

/**
 * The repository contract, one suite for every implementation (the in-memory fake the
 * service's unit tests stand on, and DynamoDB): test/unit/memory-repository.test.ts and
 * test/store/dynamo-repository.test.ts run it. Each test works in a tenant of its own, so
 * one DynamoDB table serves the whole suite.
 */
import { DomainError } from '../../src/domain/errors';
import { ended, expiryFor, Message, Session, touched } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { ERASED_CONTENT, TransferEntry } from '../../src/domain/user-data';
import { ownershipsAfterTransfer } from '../../src/domain/visibility';
import { AdminRepository } from '../../src/sessions/admin-repository';
import { DuplicateClientMessageError, DuplicateReplyError, SessionRepository, StaleSessionError, TopicHeldError } from '../../src/sessions/repository';
import { liveSession } from '../support/session-fixture';
import { replyRevisionContract } from './reply-revision.contract';

export type Repository = SessionRepository & AdminRepository;

export interface ContractSubject {
  /** Before the suite (e.g. make a table). */
  setUp?: () => Promise<void>;
  tearDown?: () => Promise<void>;
  /** A repository for one test. */
  make: () => Repository;
  /** Everything `repo` stores, for "changes nothing" assertions. */
  snapshot: (repo: Repository) => Promise<unknown>;
}

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const settings = DEFAULT_SETTINGS;

/** What a session is, without what the store keeps for its own writes (Session.stored). */
const plain = (s: Session | null) => {
  if (!s) return s;
  const { stored: _stored, ...rest } = s;
  return rest;
};

export function sessionRepositoryContract(name: string, subject: ContractSubject): void {
  describe(`${name}: the repository contract`, () => {
    let repo: Repository;
    let tenantId: string;
    let n = 0;
    let tenants = 0;
    const run = Math.random().toString(36).slice(2, 8);

    if (subject.setUp) beforeAll(subject.setUp);
    if (subject.tearDown) afterAll(subject.tearDown);
    beforeEach(() => {
      repo = subject.make();
      tenantId = `c${run}-${++tenants}`;
    });

    function newSession(over: Partial<Session> = {}): { session: Session; first: Message } {
      const session = liveSession(++n, T0, settings, { tenantId, ...over });
      return { session, first: { sessionId: session.id, seq: 1, role: 'ASSISTANT', content: 'hi', createdAt: T0 } };
    }
    async function started(over: Partial<Session> = {}): Promise<Session> {
      const { session, first } = newSession(over);
      await repo.createSession(session, first, T0);
      return session;
    }
    const userMsg = (s: Session, content = 'hello', at = T0): Message => ({ sessionId: s.id, seq: s.messageCount + 1, role: 'USER', content, createdAt: at, authorId: s.userId });
    const withMsg = (s: Session, now = T0): Session => ({ ...touched(s, 'ACTIVE', now, settings), messageCount: s.messageCount + 1 });
    async function say(s: Session, content: string, now = T0): Promise<Session> {
      const next = withMsg(s, now);
      await repo.appendMessage(s, next, userMsg(s, content, now), null, now);
      return next;
    }

    test('createSession takes the hold; a second live session for the topic gets TopicHeldError(holder)', async () => {
      const a = newSession();
      await repo.createSession(a.session, a.first, T0);
      // The hold: who holds the topic and what sessionCheck shows of their session.
      const hold = { sessionId: a.session.id, userId: a.session.userId, status: 'ACTIVE', lastActivityAt: a.session.lastActivityAt, expiresAt: a.session.expiresAt, turnCount: 0 };
      expect(await repo.findHolder(tenantId, 'focus', T0)).toEqual(hold);
      const b = newSession({ userId: 'bob' });
      const err = await repo.createSession(b.session, b.first, T0).catch((e) => e);
      expect(err).toBeInstanceOf(TopicHeldError);
      expect((err as TopicHeldError).holder).toEqual(hold);
      expect(await repo.getSession(tenantId, b.session.id, T0)).toBeNull();
      // Other tenants have their own holds.
      const c = newSession({ tenantId: `${tenantId}-other` });
      await repo.createSession(c.session, c.first, T0);
      expect((await repo.findHolder(`${tenantId}-other`, 'focus', T0))!.sessionId).toBe(c.session.id);
    });

    test('an expired hold does not block, and expired items are hidden from every read', async () => {
      const a = await started();
      const at = a.expiresAt;
      expect(await repo.findHolder(tenantId, 'focus', at - 1)).not.toBeNull();
      expect(await repo.findHolder(tenantId, 'focus', at)).toBeNull();
      expect(await repo.getSession(tenantId, a.id, at)).toBeNull();
      expect(await repo.getSessions(tenantId, [a.id], at)).toEqual([null]);
      expect((await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 10, cursor: null }, at)).sessions).toEqual([]);
      const b = newSession({ userId: 'bob', createdAt: at, updatedAt: at, lastActivityAt: at, expiresAt: expiryFor('ACTIVE', at, null, settings) });
      await repo.createSession(b.session, b.first, at);
      expect((await repo.findHolder(tenantId, 'focus', at))!.userId).toBe('bob');
    });

    test('versioned writes: a stale version, an expired session or a lost hold is StaleSessionError and changes nothing', async () => {
      const a = await started();
      const paused = touched(a, 'PAUSED', T0 + 1000, settings);
      await repo.updateSession(a, paused, T0 + 1000);
      const before = await subject.snapshot(repo);
      // stale version
      await expect(repo.updateSession(a, touched(a, 'ACTIVE', T0 + 2000, settings), T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
      await expect(repo.appendMessage(a, withMsg(a), userMsg(a), null, T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
      // expired
      await expect(repo.updateSession(paused, touched(paused, 'ACTIVE', paused.expiresAt, settings), paused.expiresAt)).rejects.toBeInstanceOf(StaleSessionError);
      expect(await subject.snapshot(repo)).toEqual(before);
      expect(plain(await repo.getSession(tenantId, a.id, T0 + 2000))).toEqual(plain(paused));
      expect((await repo.listMessages(tenantId, a.id, { direction: 'forward', from: null, limit: 10 }, T0 + 2000)).map((m) => m.seq)).toEqual([1]);
      // ended: the hold is gone, so even the right version of an ended session cannot be written
      const done = ended(paused, 'COMPLETED', T0 + 3000, settings);
      await repo.updateSession(paused, done, T0 + 3000);
      expect(await repo.findHolder(tenantId, 'focus', T0 + 3000)).toBeNull();
      await expect(repo.updateSession(done, { ...done, version: done.version + 1 }, T0 + 4000)).rejects.toBeInstanceOf(StaleSessionError);
    });

    test('replaceSession ends the previous session and hands the hold to the new one atomically', async () => {
      const a = await started();
      const b = newSession();
      const abandoned = ended(a, 'ABANDONED', T0 + 1000, settings);
      await repo.replaceSession(a, abandoned, b.session, b.first, T0 + 1000);
      expect((await repo.findHolder(tenantId, 'focus', T0 + 1000))!.sessionId).toBe(b.session.id);
      expect((await repo.getSession(tenantId, a.id, T0 + 1000))!.status).toBe('ABANDONED');
      const before = await subject.snapshot(repo);
      const c = newSession();
      await expect(repo.replaceSession(a, abandoned, c.session, c.first, T0 + 2000)).rejects.toBeInstanceOf(StaleSessionError);
      expect(await subject.snapshot(repo)).toEqual(before);
      expect(await repo.getSession(tenantId, c.session.id, T0 + 2000)).toBeNull();
      expect((await repo.findHolder(tenantId, 'focus', T0 + 2000))!.sessionId).toBe(b.session.id);
    });

    test('client message ids: a USER message records once, an ASSISTANT message completes the record once', async () => {
      const a = await started();
      const s2 = withMsg(a);
      await repo.appendMessage(a, s2, userMsg(a), 'cm-1', T0);
      expect(await repo.getClientMessage(tenantId, a.id, 'cm-1', T0)).toEqual({ userSeq: 2, replySeq: null, replyFailed: false });

      const before = await subject.snapshot(repo);
      const dup = await repo.appendMessage(s2, withMsg(s2), userMsg(s2), 'cm-1', T0).catch((e) => e);
      expect(dup).toBeInstanceOf(DuplicateClientMessageError);
      expect((dup as DuplicateClientMessageError).record).toEqual({ userSeq: 2, replySeq: null, replyFailed: false });
      expect(await subject.snapshot(repo)).toEqual(before);

      const reply: Message = { sessionId: a.id, seq: 3, role: 'ASSISTANT', content: 'ok', createdAt: T0 };
      const s3 = withMsg(s2);
      await repo.appendMessage(s2, s3, reply, 'cm-1', T0);
      expect(await repo.getClientMessage(tenantId, a.id, 'cm-1', T0)).toEqual({ userSeq: 2, replySeq: 3, replyFailed: false });
      const second = await repo.appendMessage(s3, withMsg(s3), { ...reply, seq: 4 }, 'cm-1', T0).catch((e) => e);
      expect(second).toBeInstanceOf(DuplicateClientMessageError);
      expect((second as DuplicateClientMessageError).record).toEqual({ userSeq: 2, replySeq: 3, replyFailed: false });
      expect((await repo.getMessages(tenantId, a.id, [2, 3, 4], T0)).map((m) => m.seq)).toEqual([2, 3]);
    });

    test('appendReply: the reserved seq once, counted without a version; a duplicate names what holds it; never after the end', async () => {
      const a = await started();
      const s2 = { ...withMsg(a), lastSeq: 3 };
      await repo.appendMessage(a, s2, userMsg(a), 'cm-r', T0);
      const reply: Message = { sessionId: a.id, seq: 3, role: 'ASSISTANT', content: 'answer', createdAt: T0 + 10, replyTo: 2 };
      await repo.appendReply(s2, reply, T0 + 10);
      const stored = (await repo.getSession(tenantId, a.id, T0 + 10))!;
      expect([stored.messageCount, stored.version]).toEqual([3, s2.version]);
      const dup = await repo.appendReply(s2, { ...reply, content: 'again' }, T0 + 20).catch((e) => e);
      expect(dup).toBeInstanceOf(DuplicateReplyError);
      expect((dup as DuplicateReplyError).existing).toMatchObject({ seq: 3, content: 'answer', replyTo: 2 });
      await repo.updateSession(stored, ended(stored, 'CANCELLED', T0 + 30, settings), T0 + 30);
      await expect(repo.appendReply(stored, { ...reply, seq: 5 }, T0 + 40)).rejects.toBeInstanceOf(StaleSessionError);
      expect((await repo.getMessages(tenantId, a.id, [3, 5], T0 + 40)).map((m) => m.content)).toEqual(['answer']);
    });

    test('rateMessage: a coach message takes a rating, a later one replaces it; a user message or a missing seq does not', async () => {
      const a = await started();
      const s2 = withMsg(a);
      await repo.appendMessage(a, s2, userMsg(a), null, T0);
      expect(await repo.rateMessage(tenantId, a.id, 1, 4, 'good', T0 + 10)).toBe(true);
      expect(await repo.rateMessage(tenantId, a.id, 1, 2, null, T0 + 20)).toBe(true);
      expect(await repo.rateMessage(tenantId, a.id, 2, 5, null, T0 + 20)).toBe(false);
      expect(await repo.rateMessage(tenantId, a.id, 9, 5, null, T0 + 20)).toBe(false);
      const [opening, user] = await repo.getMessages(tenantId, a.id, [1, 2], T0 + 30);
      expect([opening.rating, opening.ratingComment, user.rating]).toEqual([2, null, undefined]);
    });

    test('callers get copies: mutating a result does not change what is stored', async () => {
      const a = newSession();
      await repo.createSession(a.session, a.first, T0);
      a.session.status = 'CANCELLED'; // the object handed in
      const got = (await repo.getSession(tenantId, a.session.id, T0))!;
      expect(got.status).toBe('ACTIVE');
      got.messageCount = 99;
      expect((await repo.getSession(tenantId, a.session.id, T0))!.messageCount).toBe(1);
      const [m] = await repo.listMessages(tenantId, a.session.id, { direction: 'forward', from: null, limit: 5 }, T0);
      m.content = 'tampered';
      expect((await repo.getMessages(tenantId, a.session.id, [1], T0))[0].content).toBe('hi');
    });

    test('listMessages pages forward and backward with exclusive bounds, ascending', async () => {
      let s = await started();
      for (let i = 0; i < 5; i++) s = await say(s, `m${i}`);
      const seqs = async (direction: 'forward' | 'backward', from: number | null, limit: number) =>
        (await repo.listMessages(tenantId, s.id, { direction, from, limit }, T0)).map((m) => m.seq);
      expect(await seqs('forward', null, 2)).toEqual([1, 2]);
      expect(await seqs('forward', 2, 2)).toEqual([3, 4]);
      expect(await seqs('backward', null, 2)).toEqual([5, 6]);
      expect(await seqs('backward', 5, 2)).toEqual([3, 4]);
      expect(await seqs('backward', 2, 5)).toEqual([1]);
    });

    test('listUserSessions: recent first, status filter, cursor pages, expired hidden, bad cursor is BAD_USER_INPUT', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await started({ topicId: `t${i}`, lastActivityAt: T0 + i * 1000 })).id);
      const p1 = await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 2, cursor: null }, T0);
      expect(p1.sessions.map((s) => s.id)).toEqual([ids[2], ids[1]]);
      expect(p1.hasNextPage).toBe(true);
      const p2 = await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 2, cursor: p1.cursors[1] }, T0);
      expect(p2.sessions.map((s) => s.id)).toEqual([ids[0]]);
      expect(p2.hasNextPage).toBe(false);
      expect((await repo.listUserSessions(tenantId, 'alice', { statuses: ['PAUSED'], limit: 2, cursor: null }, T0)).sessions).toEqual([]);
      expect((await repo.listUserSessions(tenantId, 'bob', { statuses: null, limit: 2, cursor: null }, T0)).sessions).toEqual([]);
      const short = await started({ topicId: 'short', expiresAt: T0 + 5000 });
      const later = await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 10, cursor: null }, T0 + 5000);
      expect(later.sessions.map((s) => s.id)).not.toContain(short.id);
      expect(later.sessions).toHaveLength(3);
      const bad = await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 2, cursor: '!!' }, T0).catch((e) => e);
      expect(bad).toBeInstanceOf(DomainError);
      expect((bad as DomainError).code).toBe('BAD_USER_INPUT');
    });

    /** Alice's session with one message of hers, transferred by an admin to bob (without her consent), who then writes. */
    async function transferred(): Promise<{ session: Session; entry: TransferEntry }> {
      const a = await say(await started(), 'alice speaks');
      const next: Session = { ...a, userId: 'bob', version: a.version + 1, updatedAt: T0 + 1000, transfer: { at: T0 + 1000, by: 'admin', from: 'alice' }, owners: ownershipsAfterTransfer(a, 'bob') };
      const entry: TransferEntry = { sessionId: a.id, seq: next.version, at: T0 + 1000, from: 'alice', to: 'bob', by: 'admin', topicId: a.topicId, withContent: false };
      await repo.transferSession(a, next, entry, T0 + 1000);
      const read = (await repo.getSession(tenantId, a.id, T0 + 1000))!;
      return { session: await say(read, 'bob speaks', T0 + 2000), entry };
    }

    test('transfers: the session moves with its history, both owners list the hop, ownerships keep who may see which seqs', async () => {
      const { session, entry } = await transferred();
      const stored = (await repo.getSession(tenantId, session.id, T0 + 2000))!;
      expect([stored.userId, stored.transfer, stored.owners]).toEqual(['bob', { at: T0 + 1000, by: 'admin', from: 'alice' }, [{ userId: 'alice', fromSeq: 1 }, { userId: 'bob', fromSeq: 3 }]]);
      expect((await repo.listTransfers(tenantId, session.id, { limit: 10, afterSeq: null }, T0 + 2000)).transfers).toEqual([entry]);
      expect((await repo.listTransfers(tenantId, session.id, { limit: 10, afterSeq: entry.seq }, T0 + 2000)).transfers).toEqual([]);
      for (const user of ['alice', 'bob']) expect((await repo.listUserTransfers(tenantId, user, { limit: 10, before: null }, T0 + 2000)).transfers).toEqual([entry]);
      expect((await repo.listUserSessions(tenantId, 'alice', { statuses: null, limit: 10, cursor: null }, T0 + 2000)).sessions).toEqual([]);
      expect((await repo.listUserSessions(tenantId, 'bob', { statuses: null, limit: 10, cursor: null }, T0 + 2000)).sessions.map((s) => s.id)).toEqual([session.id]);
      expect((await repo.findHolder(tenantId, 'focus', T0 + 2000))!.userId).toBe('bob');
      expect([await repo.isKnownUser(tenantId, 'alice', T0), await repo.isKnownUser(tenantId, 'bob', T0), await repo.isKnownUser(tenantId, 'zed', T0)]).toEqual([true, true, false]);
    });

    /** Every record of the user's export, page by page. */
    async function exported(userId: string, now: number): Promise<Record<string, unknown>[]> {
      const out: Record<string, unknown>[] = [];
      let cursor: string | null = null;
      do {
        const page = await repo.exportUserData(tenantId, userId, { limit: 2, cursor }, now);
        out.push(...page.records);
        cursor = page.cursor;
      } while (cursor !== null);
      return out;
    }
    const brief = (r: Record<string, unknown>) => ({ type: r.type, sessionId: r.sessionId, ...(r.type === 'message' ? { content: r.content } : {}) });

    test('export: the owner gets their sessions, what they may read of them, and the history; a previous owner only their own part', async () => {
      const { session } = await transferred();
      const own = await started({ userId: 'alice', topicId: 'own' });
      expect((await exported('bob', T0 + 3000)).map(brief)).toEqual([
        { type: 'session', sessionId: session.id },
        { type: 'message', sessionId: session.id, content: 'bob speaks' },
        { type: 'transfer', sessionId: session.id },
      ]);
      const alice = (await exported('alice', T0 + 3000)).map(brief);
      expect(alice).toEqual(
        expect.arrayContaining([
          { type: 'session', sessionId: own.id },
          { type: 'message', sessionId: own.id, content: 'hi' },
          { type: 'message', sessionId: session.id, content: 'alice speaks' },
          { type: 'transfer', sessionId: session.id },
        ]),
      );
      expect(alice).toHaveLength(4);
      const bad = await repo.exportUserData(tenantId, 'alice', { limit: 2, cursor: 'forged' }, T0).catch((e) => e);
      expect((bad as DomainError).code).toBe('BAD_USER_INPUT');
    });

    test('erasure: the user\'s own sessions go whole; in someone else\'s, their words and name go and the rest stays', async () => {
      const { session } = await transferred();
      const own = await started({ userId: 'alice', topicId: 'own' });
      const counts = await repo.eraseUserData(tenantId, 'alice', 'admin', ['focus', 'own'], T0 + 3000);
      expect(counts.sessionsDeleted).toBe(1);
      expect(counts.itemsRedacted).toBeGreaterThan(0);
      expect(await repo.getSession(tenantId, own.id, T0 + 3000)).toBeNull();
      expect(await repo.findHolder(tenantId, 'own', T0 + 3000)).toBeNull();
      const kept = (await repo.getSession(tenantId, session.id, T0 + 3000))!;
      expect([kept.userId, kept.version]).toEqual(['bob', session.version + 1]);
      expect(JSON.stringify([kept.transfer, kept.owners])).not.toContain('alice');
      const messages = await repo.listMessages(tenantId, session.id, { direction: 'forward', from: null, limit: 10 }, T0 + 3000);
      expect(messages.map((m) => [m.seq, m.content, m.authorId])).toEqual([
        [1, 'hi', undefined],
        [2, ERASED_CONTENT, undefined],
        [3, 'bob speaks', 'bob'],
      ]);
      const [entry] = (await repo.listTransfers(tenantId, session.id, { limit: 10, afterSeq: null }, T0 + 3000)).transfers;
      expect([entry.to, entry.by, entry.from === 'alice']).toEqual(['bob', 'admin', false]);
      expect(await repo.isKnownUser(tenantId, 'alice', T0 + 3000)).toBe(false);
      expect(await exported('alice', T0 + 3000)).toEqual([]);
    });

    test('erasure of an admin who only moved a session renames them there with a new version, and keeps the conversation', async () => {
      const a = await say(await started(), 'alice speaks');
      const next: Session = { ...a, userId: 'bob', version: a.version + 1, transfer: { at: T0 + 1000, by: 'eve', from: 'alice' }, owners: ownershipsAfterTransfer(a, 'bob') };
      await repo.transferSession(a, next, { sessionId: a.id, seq: next.version, at: T0 + 1000, from: 'alice', to: 'bob', by: 'eve', topicId: a.topicId, withContent: false }, T0 + 1000);
      const counts = await repo.eraseUserData(tenantId, 'eve', 'eve', ['focus'], T0 + 2000);
      expect(counts.sessionsDeleted).toBe(0);
      const kept = (await repo.getSession(tenantId, a.id, T0 + 2000))!;
      // A write from a copy read before the erasure must fail: it would bring the admin's name back.
      expect(kept.version).toBe(next.version + 1);
      expect([kept.transfer!.from, kept.transfer!.by === 'eve', kept.redactions ?? 0]).toEqual(['alice', false, 0]);
      await expect(repo.updateSession(next, touched(next, 'PAUSED', T0 + 3000, settings), T0 + 3000)).rejects.toBeInstanceOf(StaleSessionError);
      expect((await repo.listMessages(tenantId, a.id, { direction: 'forward', from: null, limit: 10 }, T0 + 2000)).map((m) => m.content)).toEqual(['hi', 'alice speaks']);
    });

    // regenerateReply's claims and replacements (reply-revision.contract.ts).
    replyRevisionContract(name, () => subject.make(), (r) => subject.snapshot(r as Repository));
  });
}

import { DomainError, serviceUnavailable } from '../../src/domain/errors';
import { MINUTE } from '../support/clock';
import { alice, bob, expectDomainError, expiry, FOCUS, setup, UNKNOWN_SESSION_ID } from './fixtures';

type Ctx = ReturnType<typeof setup>;

async function started(topicId = 'focus') {
  const ctx = setup();
  const session = await ctx.svc.lifecycle.start(alice, topicId, false);
  return { ...ctx, session };
}

describe('sendMessage', () => {
  test('stores the user message and the coach reply; messageCount grows by 2', async () => {
    const ctx = await started();
    ctx.clock.advance(90_500);
    const now = ctx.clock.now();
    const r = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'I keep getting distracted by email.', null);
    expect(r.message).toEqual({
      sessionId: ctx.session.id,
      seq: 2,
      role: 'USER',
      content: 'I keep getting distracted by email.',
      createdAt: now,
      authorId: 'alice',
    });
    // The reply takes the seq its message kept for it, and names the message it answers.
    expect(r.reply).toMatchObject({ sessionId: ctx.session.id, seq: 3, role: 'ASSISTANT', createdAt: now, replyTo: 2 });
    expect(r.reply.authorId).toBeUndefined();
    expect(r.reply.content).toContain('I keep getting distracted by email');
    expect(r.session).toMatchObject({
      id: ctx.session.id,
      status: 'ACTIVE',
      messageCount: 3,
      // One versioned write (the message); the reply is counted without a version.
      version: ctx.session.version + 1,
      lastActivityAt: now,
      updatedAt: now,
      expiresAt: expiry(now, FOCUS.settings.activeTtlSeconds),
      isIdle: false,
    });
    expect(await ctx.svc.sessions.get(alice, ctx.session.id)).toEqual(r.session);
    expect(ctx.repo.storedMessages('t1', ctx.session.id).map((m) => [m.seq, m.role])).toEqual([
      [1, 'ASSISTANT'],
      [2, 'USER'],
      [3, 'ASSISTANT'],
    ]);

    const r2 = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Mostly in the mornings.', null);
    expect([r2.message.seq, r2.reply.seq, r2.session.messageCount]).toEqual([4, 5, 5]);
    expect(r2.reply.content).not.toBe(r.reply.content);
  });

  test('the coach sees the stored user message and can read the recent conversation', async () => {
    const ctx = await started();
    ctx.coach.peekRecent = 2;
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'First thought.', null);
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Second thought.', null);
    const turn = ctx.coach.lastTurn!;
    expect(turn.userMessage).toMatchObject({ seq: 4, content: 'Second thought.' });
    expect(turn.topic.id).toBe('focus');
    expect(turn.session.id).toBe(ctx.session.id);
    expect(ctx.coach.recentSeen).toEqual([3, 4]); // oldest first, ending with the user's message
  });

  test('tabs and newlines are fine; exactly 4000 characters is accepted', async () => {
    const ctx = await started();
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'line one\n\tline two\r\n', null);
    const r = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'a'.repeat(4000), null);
    expect(r.message.content).toHaveLength(4000);
  });

  test('an unknown (well-formed) session id is NOT_FOUND', async () => {
    const ctx = await started();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, UNKNOWN_SESSION_ID, 'hello', null), 'NOT_FOUND');
  });

  test('a store outage surfaces as SERVICE_UNAVAILABLE and stores nothing', async () => {
    const ctx = await started();
    const before = ctx.repo.snapshot();
    ctx.repo.failNext('appendMessage', serviceUnavailable());
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'hello', 'cm-1'), 'SERVICE_UNAVAILABLE');
    expect(ctx.repo.snapshot()).toEqual(before);
    const r = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'hello', 'cm-1');
    expect(r.message.seq).toBe(2);
  });
});

describe('validation: BAD_USER_INPUT and nothing written', () => {
  const cases: [string, string, string | null][] = [
    ['empty', '', null],
    ['whitespace only', ' \n\t  \r\n ', null],
    ['too long (4001 chars)', 'a'.repeat(4001), null],
    ['NUL', 'hello\u0000world', null],
    ['BEL', 'ring \u0007', null],
    ['escape sequence', '\u001b[31mred', null],
    ['DEL', 'del\u007f', null],
    ['unpaired surrogate', 'broken \uD800 text', null],
    ['clientMessageId with a space', 'hello', 'has space'],
    ['empty clientMessageId', 'hello', ''],
    ['clientMessageId of 65 characters', 'hello', 'x'.repeat(65)],
    ['clientMessageId with a slash', 'hello', 'a/b'],
    ['clientMessageId with a hash', 'hello', 'T#1'],
  ];
  test.each(cases)('%s', async (_name, content, clientMessageId) => {
    const ctx = await started();
    const before = ctx.repo.snapshot();
    ctx.repo.resetCalls();
    const err = await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, content, clientMessageId), 'BAD_USER_INPUT');
    expect(err.message).not.toBe('');
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.repo.writeCalls()).toBe(0);
    expect(ctx.coach.replyCalls).toBe(0);
  });

  test('a clientMessageId of 64 allowed characters is accepted', async () => {
    const ctx = await started();
    const id = 'Ab0._:-'.repeat(9).slice(0, 64);
    const r = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'hello', id);
    expect(r.message.clientMessageId).toBe(id);
  });

  test.each(['nope', 'ses_123', UNKNOWN_SESSION_ID.toLowerCase(), `${UNKNOWN_SESSION_ID}0`, 'ses_0000000000ZZZZZZZZZZZZZZZI'])(
    'malformed session id %p',
    async (sessionId) => {
      const ctx = await started();
      const before = ctx.repo.snapshot();
      ctx.repo.resetCalls();
      await expectDomainError(ctx.svc.conversation.sendMessage(alice, sessionId, 'hello', null), 'BAD_USER_INPUT');
      await expectDomainError(ctx.svc.lifecycle.pause(alice, sessionId), 'BAD_USER_INPUT');
      await expectDomainError(ctx.svc.lifecycle.complete(alice, sessionId), 'BAD_USER_INPUT');
      expect(ctx.repo.snapshot()).toEqual(before);
      expect(ctx.repo.calls.getSession).toBe(0);
    },
  );
});

describe('idempotent clientMessageId', () => {
  test('a repeated clientMessageId returns the first message and reply and writes nothing new', async () => {
    const ctx = await started();
    const first = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'I want to finish my thesis.', 'cm-1');
    expect(first.message.clientMessageId).toBe('cm-1');
    // The title after the first exchange is written in the background: let it land first.
    await ctx.svc.background.settled();
    const before = ctx.repo.snapshot();
    const writes = ctx.repo.writeCalls();
    const replies = ctx.coach.replyCalls;
    ctx.clock.advance(MINUTE);
    const again = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'I want to finish my thesis.', 'cm-1');
    expect(again.message).toEqual(first.message);
    expect(again.reply).toEqual(first.reply);
    expect(again.session.messageCount).toBe(3);
    expect(again.session.version).toBe(first.session.version);
    expect(ctx.repo.snapshot()).toEqual(before);
    expect(ctx.coach.replyCalls).toBe(replies);
    // The attempted duplicate write was refused by the store, not applied.
    expect(ctx.repo.writeCalls()).toBeLessThanOrEqual(writes + 1);
  });

  test('the replay is of the original, even after more messages were sent', async () => {
    const ctx = await started();
    const first = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Original message.', 'cm-1');
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Another message.', 'cm-2');
    const again = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Original message.', 'cm-1');
    expect([again.message.seq, again.reply.seq]).toEqual([2, 3]);
    expect(again.reply.content).toBe(first.reply.content);
    expect(again.session.messageCount).toBe(5);
    expect(ctx.repo.storedMessages('t1', ctx.session.id)).toHaveLength(5);
  });

  test('a retry of an accepted message after the session was paused returns the first result and writes nothing', async () => {
    // The spec: an already-accepted clientMessageId "returns the first result again and writes nothing new".
    const ctx = await started();
    const first = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Before the pause.', 'cm-1');
    await ctx.svc.lifecycle.pause(alice, ctx.session.id); // e.g. another tab paused while the response was lost
    const before = ctx.repo.snapshot();
    const again = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Before the pause.', 'cm-1');
    expect(again.message).toEqual(first.message);
    expect(again.reply).toEqual(first.reply);
    expect(again.session.status).toBe('PAUSED');
    expect(ctx.repo.snapshot()).toEqual(before);
  });

  test('the same clientMessageId in another session is a new message there', async () => {
    const ctx = await started();
    const other = await ctx.svc.lifecycle.start(alice, 'goals', false);
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'hello', 'cm-1');
    const r = await ctx.svc.conversation.sendMessage(alice, other.id, 'hello', 'cm-1');
    expect(r.message).toMatchObject({ sessionId: other.id, seq: 2 });
    expect(r.session.messageCount).toBe(3);
  });

  test('without a clientMessageId, a repeat is a new message', async () => {
    const ctx = await started();
    await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'same words', null);
    const r = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'same words', null);
    expect(r.message.seq).toBe(4);
  });
});

describe('coach failures', () => {
  test('COACH_UNAVAILABLE keeps the user message; the session stays usable and the next message works', async () => {
    const ctx = await started();
    ctx.coach.failNextReply();
    const err = await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Are you there?', null), 'COACH_UNAVAILABLE');
    expect(err.message).not.toMatch(/model is down/); // no internals
    const stored = ctx.repo.storedMessages('t1', ctx.session.id);
    expect(stored.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'ASSISTANT', FOCUS.openingMessage],
      [2, 'USER', 'Are you there?'],
    ]);
    const s = (await ctx.svc.sessions.get(alice, ctx.session.id))!;
    expect(s).toMatchObject({ status: 'ACTIVE', messageCount: 2 });
    expect(await ctx.svc.sessions.check(alice, 'focus')).toMatchObject({ hasSession: true, status: 'ACTIVE' });

    // Seq 3 stays kept for the failed message's reply; the next message takes 4, its reply 5.
    const next = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Trying again.', null);
    expect([next.message.seq, next.reply.seq, next.session.messageCount]).toEqual([4, 5, 4]);
    expect(next.reply).toMatchObject({ role: 'ASSISTANT', replyTo: 4 });
  });

  test('a blank reply counts as a coach failure', async () => {
    const ctx = await started();
    ctx.coach.failNextReply('   ');
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Hello?', null), 'COACH_UNAVAILABLE');
    expect((await ctx.svc.sessions.get(alice, ctx.session.id))!.messageCount).toBe(2);
  });

  test('the session can be paused and completed after a coach failure', async () => {
    const ctx = await started();
    ctx.coach.failNextReply();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Hello?', null), 'COACH_UNAVAILABLE');
    expect((await ctx.svc.lifecycle.pause(alice, ctx.session.id)).status).toBe('PAUSED');
    expect((await ctx.svc.lifecycle.complete(alice, ctx.session.id)).status).toBe('COMPLETED');
  });

  test('a retry with the same clientMessageId after a coach failure produces the reply exactly once', async () => {
    const ctx = await started();
    ctx.coach.failNextReply();
    await expectDomainError(ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Please help me plan.', 'cm-9'), 'COACH_UNAVAILABLE');
    expect(ctx.repo.storedMessages('t1', ctx.session.id)).toHaveLength(2);
    // The failure is noted, so the retry produces the reply at once instead of polling for one.
    expect(await ctx.repo.getClientMessage('t1', ctx.session.id, 'cm-9', ctx.clock.now())).toMatchObject({ replyFailed: true });
    const polls = ctx.repo.calls.getClientMessage;

    const retry = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Please help me plan.', 'cm-9');
    expect(ctx.repo.calls.getClientMessage).toBe(polls);
    expect(retry.message).toMatchObject({ seq: 2, role: 'USER', content: 'Please help me plan.', clientMessageId: 'cm-9' });
    expect(retry.reply).toMatchObject({ seq: 3, role: 'ASSISTANT' });
    expect(retry.session.messageCount).toBe(3);
    // The user's message was not stored a second time.
    expect(ctx.repo.storedMessages('t1', ctx.session.id).map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);

    const replies = ctx.coach.replyCalls;
    // The title after the first exchange is written in the background: let it land first.
    await ctx.svc.background.settled();
    const before = ctx.repo.snapshot();
    const third = await ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'Please help me plan.', 'cm-9');
    expect(third.message).toEqual(retry.message);
    expect(third.reply).toEqual(retry.reply);
    expect(ctx.coach.replyCalls).toBe(replies);
    expect(ctx.repo.snapshot()).toEqual(before);
  });
});

describe('concurrent messages', () => {
  test('messages sent at once from several tabs all land, with distinct consecutive seqs', async () => {
    const ctx = await started();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => ctx.svc.conversation.sendMessage(alice, ctx.session.id, `thought ${i}`, `cm-${i}`)),
    );
    const seqs = results.flatMap((r) => [r.message.seq, r.reply.seq]).sort((a, b) => a - b);
    expect(seqs).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await ctx.svc.sessions.get(alice, ctx.session.id))!.messageCount).toBe(11);
    expect(ctx.repo.storedMessages('t1', ctx.session.id).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test('the same clientMessageId sent twice at once is stored once', async () => {
    const ctx = await started();
    const [a, b] = await Promise.all([
      ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'only once', 'cm-dup'),
      ctx.svc.conversation.sendMessage(alice, ctx.session.id, 'only once', 'cm-dup'),
    ]);
    expect(a.message.seq).toBe(b.message.seq);
    expect(a.reply.seq).toBe(b.reply.seq);
    expect(ctx.repo.storedMessages('t1', ctx.session.id).filter((m) => m.role === 'USER')).toHaveLength(1);
    expect((await ctx.svc.sessions.get(alice, ctx.session.id))!.messageCount).toBe(3);
  });
});

describe('messages paging', () => {
  /** A session with 9 messages: the opening and four exchanges. */
  async function nine(): Promise<Ctx & { session: Awaited<ReturnType<Ctx['svc']['lifecycle']['start']>> }> {
    const ctx = await started();
    let last = ctx.session;
    for (let i = 1; i <= 4; i++) last = (await ctx.svc.conversation.sendMessage(alice, ctx.session.id, `message ${i}`, null)).session;
    expect(last.messageCount).toBe(9);
    return { ...ctx, session: last };
  }
  const page = (first: number | null, after: number | null, last: number | null, before: number | null) => ({ first, after, last, before });
  const seqs = (r: { messages: { seq: number }[] }) => r.messages.map((m) => m.seq);

  test('forward with first/after', async () => {
    const { svc, session } = await nine();
    const p1 = await svc.sessions.messages(alice, session, page(3, null, null, null));
    expect(seqs(p1)).toEqual([1, 2, 3]);
    expect(p1).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await svc.sessions.messages(alice, session, page(3, 3, null, null));
    expect(seqs(p2)).toEqual([4, 5, 6]);
    expect(p2).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = await svc.sessions.messages(alice, session, page(3, 6, null, null));
    expect(seqs(p3)).toEqual([7, 8, 9]);
    expect(p3).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const p4 = await svc.sessions.messages(alice, session, page(3, 9, null, null));
    expect(seqs(p4)).toEqual([]);
    expect(p4.hasNextPage).toBe(false);
  });

  test('no arguments: the conversation from the start', async () => {
    const { svc, session } = await nine();
    const all = await svc.sessions.messages(alice, session, page(null, null, null, null));
    expect(seqs(all)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(all.messages[1]).toMatchObject({ role: 'USER', content: 'message 1' });
  });

  test('backward with last/before: the newest messages, oldest first', async () => {
    const { svc, session } = await nine();
    const p1 = await svc.sessions.messages(alice, session, page(null, null, 3, null));
    expect(seqs(p1)).toEqual([7, 8, 9]);
    expect(p1).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const p2 = await svc.sessions.messages(alice, session, page(null, null, 3, 7));
    expect(seqs(p2)).toEqual([4, 5, 6]);
    expect(p2).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const p3 = await svc.sessions.messages(alice, session, page(null, null, 3, 4));
    expect(seqs(p3)).toEqual([1, 2, 3]);
    expect(p3).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const p4 = await svc.sessions.messages(alice, session, page(null, null, 20, null));
    expect(seqs(p4)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p4).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
  });

  test('before without last pages backward', async () => {
    const { svc, session } = await nine();
    const p = await svc.sessions.messages(alice, session, page(null, null, null, 4));
    expect(seqs(p)).toEqual([1, 2, 3]);
    expect(p.hasNextPage).toBe(true);
  });

  test('the largest page size is accepted', async () => {
    const { svc, session } = await nine();
    expect(seqs(await svc.sessions.messages(alice, session, page(100, null, null, null)))).toHaveLength(9);
    expect(seqs(await svc.sessions.messages(alice, session, page(null, null, 100, null)))).toHaveLength(9);
  });

  test.each([
    ['first 0', page(0, null, null, null)],
    ['first 101', page(101, null, null, null)],
    ['first -5', page(-5, null, null, null)],
    ['first 1.5', page(1.5, null, null, null)],
    ['last 0', page(null, null, 0, null)],
    ['last 101', page(null, null, 101, null)],
    ['first and last', page(2, null, 2, null)],
  ])('%s is BAD_USER_INPUT', async (_name, args) => {
    const { svc, session } = await nine();
    await expectDomainError(svc.sessions.messages(alice, session, args), 'BAD_USER_INPUT');
  });

  test('another user cannot page a session they were handed', async () => {
    const { svc, session } = await nine();
    const e = await svc.sessions.messages(bob, session, page(null, null, null, null)).catch((x) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('NOT_FOUND');
  });
});

import { capabilities } from '../support/capabilities';
import { TopicCatalog, parseTopics } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { Topic } from '../../src/domain/topic';
import { parseResultSchema, validateResult } from '../../src/domain/result-schema';
import { DomainError } from '../../src/domain/errors';
import { FakeClock, DAY, MINUTE } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { alice, expectDomainError, FakeCoach, FOCUS, LINGER, setupRecordingResumes } from './fixtures';

/** Two turns at most, idle after 5 minutes, with a small result schema. */
const SHORT: Topic = {
  id: 'short',
  name: 'Short',
  description: null,
  instructions: 'Be brief.',
  openingMessage: 'Short opening.',
  settings: { inactivityTimeoutMinutes: 5, activeTtlSeconds: 30 * 86400, terminalTtlSeconds: 86400, maxTurns: 2 },
  resultSchema: {
    type: 'object',
    properties: { summary: { type: 'string', maxLength: 200 } },
    required: ['summary'],
    additionalProperties: false,
  },
};

const setup = (opts: { coachTimeoutMs?: number } = {}) =>
  setupRecordingResumes([...BUILTIN_TOPICS, FOCUS, LINGER, SHORT], { coachTimeoutMs: opts.coachTimeoutMs ?? 30_000 });

type Ctx = ReturnType<typeof setup>;
const stored = (ctx: Ctx, id: string) => ctx.repo.storedMessages('t1', id);

describe('welcome back', () => {
  test.each(['start', 'resume'] as const)('%s of an idle PAUSED session: one write with the welcome back, ACTIVE, event fired', async (via) => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    await ctx.svc.conversation.sendMessage(alice, s.id, 'I feel most myself when I help a colleague grow.', null);
    const paused = await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(5 * DAY);
    ctx.repo.resetCalls();
    const resumed = via === 'start' ? await ctx.svc.lifecycle.start(alice, 'core_values', false) : await ctx.svc.lifecycle.resume(alice, s.id);
    expect(resumed).toMatchObject({ id: s.id, status: 'ACTIVE', messageCount: paused.messageCount + 1, version: paused.version + 1, isIdle: false });
    expect(ctx.repo.writeCalls()).toBe(1);
    expect(ctx.repo.calls.appendMessage).toBe(1);
    const last = stored(ctx, s.id).pop()!;
    expect(last).toMatchObject({ role: 'ASSISTANT', seq: paused.messageCount + 1 });
    expect(last.content).toBe(
      "Welcome back! It has been 5 days. Last time you told me: 'I feel most myself when I help a colleague grow'. Shall we pick up from there?",
    );
    expect(ctx.coach.lastWelcomeBack).toMatchObject({ idleMs: 5 * DAY, topic: { id: 'core_values' } });
    expect(ctx.events).toEqual([{ tenantId: 't1', sessionId: s.id, topicId: 'core_values', idleMs: 5 * DAY, via }]);
    // The hold mirrors the resumed session: the check sees it active and not idle.
    expect(await ctx.svc.sessions.check(alice, 'core_values')).toMatchObject({ status: 'ACTIVE', isIdle: false, turnCount: 1 });
    // Right away again: not idle, nothing written, no second welcome back.
    ctx.repo.resetCalls();
    await ctx.svc.lifecycle.resume(alice, s.id);
    expect(ctx.repo.writeCalls()).toBe(0);
    expect(ctx.coach.welcomeBackCalls).toBe(1);
    expect(ctx.events).toHaveLength(1);
  });

  test('an idle ACTIVE session returned by startSession gets the welcome back too', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(3 * DAY);
    const again = await ctx.svc.lifecycle.start(alice, 'linger', false);
    expect(again).toMatchObject({ id: s.id, messageCount: 2, version: s.version + 1 });
    expect(stored(ctx, s.id)[1].content).toBe('Welcome back! It has been 3 days. We had just started on linger. Shall we pick up from there?');
    expect(ctx.events.map((e) => e.via)).toEqual(['start']);
  });

  test('not idle: ACTIVE returned as is (no write), PAUSED -> ACTIVE without a message; no coach call, no event', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    ctx.clock.advance(4 * MINUTE);
    ctx.repo.resetCalls();
    expect(await ctx.svc.lifecycle.start(alice, 'linger', false)).toMatchObject({ version: s.version, messageCount: 1 });
    expect(await ctx.svc.lifecycle.resume(alice, s.id)).toMatchObject({ version: s.version, messageCount: 1 });
    expect(ctx.repo.writeCalls()).toBe(0);
    await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(MINUTE);
    const resumed = await ctx.svc.lifecycle.resume(alice, s.id);
    expect(resumed).toMatchObject({ status: 'ACTIVE', messageCount: 1, version: s.version + 2 });
    expect(ctx.coach.welcomeBackCalls).toBe(0);
    expect(ctx.events).toEqual([]);
  });

  test('a failing coach does not block the resume: resumed without the message, event still fired', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(DAY);
    ctx.coach.welcomeOutcomes.push(new Error('model is down'));
    const resumed = await ctx.svc.lifecycle.resume(alice, s.id);
    expect(resumed).toMatchObject({ status: 'ACTIVE', messageCount: 1 });
    expect(stored(ctx, s.id)).toHaveLength(1);
    expect(ctx.events).toHaveLength(1);
    // An idle ACTIVE session whose coach answers blank: returned as is, nothing written.
    ctx.clock.advance(DAY);
    ctx.coach.welcomeOutcomes.push('   ');
    ctx.repo.resetCalls();
    expect(await ctx.svc.lifecycle.start(alice, 'linger', false)).toMatchObject({ version: resumed.version, messageCount: 1 });
    expect(ctx.repo.writeCalls()).toBe(0);
  });

  test('a coach that hangs is not waited for beyond the coach timeout', async () => {
    const ctx = setup({ coachTimeoutMs: 50 });
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(DAY);
    ctx.coach.welcomeOutcomes.push('hang');
    expect(await ctx.svc.lifecycle.resume(alice, s.id)).toMatchObject({ status: 'ACTIVE', messageCount: 1 });
  });

  test('two tabs resuming an idle session at once: exactly one welcome back, one event', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'linger', false);
    await ctx.svc.lifecycle.pause(alice, s.id);
    ctx.clock.advance(2 * DAY);
    const results = await Promise.all([
      ctx.svc.lifecycle.resume(alice, s.id),
      ctx.svc.lifecycle.start(alice, 'linger', false),
      ctx.svc.lifecycle.resume(alice, s.id),
    ]);
    expect(new Set(results.map((r) => r.id))).toEqual(new Set([s.id]));
    expect(results.every((r) => r.status === 'ACTIVE')).toBe(true);
    expect(stored(ctx, s.id).filter((m) => m.content.startsWith('Welcome back'))).toHaveLength(1);
    expect(ctx.events).toHaveLength(1);
  });

  test('with an inactivity timeout of 0 a concurrent second resume still adds nothing (activity since it first read)', async () => {
    const zero: Topic = { ...FOCUS, id: 'zero', settings: { ...FOCUS.settings, inactivityTimeoutMinutes: 0 } };
    const repo = new MemorySessionRepository();
    const clock = new FakeClock();
    const svc = capabilities(repo, new TopicCatalog([zero]), { coach: new FakeCoach(), clock: clock });
    const s = await svc.lifecycle.start(alice, 'zero', false);
    clock.advance(1000);
    await Promise.all([svc.lifecycle.resume(alice, s.id), svc.lifecycle.resume(alice, s.id)]);
    expect(repo.storedMessages('t1', s.id).filter((m) => m.content.startsWith('Welcome back'))).toHaveLength(1);
  });

  test('an observer that throws never fails the resume', async () => {
    const repo = new MemorySessionRepository();
    const clock = new FakeClock();
    const svc = capabilities(repo, new TopicCatalog([LINGER]), { coach: new FakeCoach(), clock: clock, events: {
        resumed: () => {
          throw new Error('metrics are broken');
        },
      } });
    const s = await svc.lifecycle.start(alice, 'linger', false);
    clock.advance(DAY);
    expect(await svc.lifecycle.resume(alice, s.id)).toMatchObject({ messageCount: 2 });
  });
});

describe('max turns', () => {
  test('the third user message is MAX_TURNS_REACHED and writes nothing; a retry of the second still replays; complete works', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'short', false);
    expect(s).toMatchObject({ turnCount: 0, maxTurns: 2 });
    const one = await ctx.svc.conversation.sendMessage(alice, s.id, 'First.', null);
    expect(one.session).toMatchObject({ turnCount: 1, maxTurns: 2 });
    const two = await ctx.svc.conversation.sendMessage(alice, s.id, 'Second.', 'c-2');
    expect(two.session.turnCount).toBe(2);
    expect(await ctx.svc.sessions.check(alice, 'short')).toMatchObject({ turnCount: 2, maxTurns: 2 });
    const before = ctx.repo.snapshot();
    const error = await expectDomainError(ctx.svc.conversation.sendMessage(alice, s.id, 'Third.', 'c-3'), 'MAX_TURNS_REACHED', { maxTurns: 2 });
    expect(error.message).toMatch(/limit of 2 turns/);
    await expectDomainError(ctx.svc.conversation.postMessage(alice, s.id, 'Third.', null), 'MAX_TURNS_REACHED');
    expect(ctx.repo.snapshot()).toEqual(before);
    // A retry of the message that used the last turn returns its first result.
    const again = await ctx.svc.conversation.sendMessage(alice, s.id, 'Second.', 'c-2');
    expect(again.reply).toEqual(two.reply);
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done).toMatchObject({ status: 'COMPLETED', turnCount: 2 });
  });

  test('topics without maxTurns are unlimited', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    for (let i = 0; i < 5; i++) await ctx.svc.conversation.sendMessage(alice, s.id, `Message ${i}.`, null);
    expect((await ctx.svc.sessions.get(alice, s.id))!).toMatchObject({ turnCount: 5, maxTurns: null });
  });

  test('TOPICS_FILE: maxTurns is an integer from 1 to 10000 or null', () => {
    const fail = (p: string) => new Error(p);
    expect(parseTopics([{ id: 'a', name: 'A', settings: { maxTurns: 3 } }], fail)[0].settings.maxTurns).toBe(3);
    expect(parseTopics([{ id: 'a', name: 'A', settings: { maxTurns: null } }], fail)[0].settings.maxTurns).toBeUndefined();
    for (const bad of [0, -1, 1.5, '3', 10_001]) {
      expect(() => parseTopics([{ id: 'a', name: 'A', settings: { maxTurns: bad } }], fail)).toThrow(/entry 0: setting "maxTurns"/);
    }
  });
});

describe('results', () => {
  async function conversation(ctx: Ctx, topicId = 'core_values') {
    const s = await ctx.svc.lifecycle.start(alice, topicId, false);
    await ctx.svc.conversation.sendMessage(alice, s.id, 'I feel most myself when I help a colleague grow.', null);
    await ctx.svc.conversation.sendMessage(alice, s.id, 'Honesty matters to me. I cannot work where people hide the truth.', null);
    return s;
  }

  test('completeSession stores the extracted result, valid against the topic schema', async () => {
    const ctx = setup();
    const s = await conversation(ctx);
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.resultError).toBeUndefined();
    expect(done.result).toEqual({
      values: [
        { name: 'Growth', meaning: 'I feel most myself when I help a colleague grow.' },
        { name: 'Helping others', meaning: 'I feel most myself when I help a colleague grow.' },
        { name: 'Honesty', meaning: 'Honesty matters to me.' },
      ],
    });
    expect(await ctx.svc.sessions.get(alice, s.id)).toEqual(done);
    expect(ctx.coach.lastExtract!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  test('a result that does not validate: completed anyway, resultError names the problem', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'core_values', false);
    await ctx.svc.conversation.sendMessage(alice, s.id, 'Nothing comes to mind yet.', null);
    // The embedded coach finds no value words: an empty list, below minItems 1.
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done).toMatchObject({ status: 'COMPLETED' });
    expect(done.result).toBeUndefined();
    expect(done.resultError).toBe("The extracted result does not match the topic's result schema: values: expected at least 1 item(s), got 0");
  });

  test.each([
    ['fails', new Error('model is down'), /The coach was unavailable/],
    ['hangs', 'hang' as const, /did not answer within 50 ms/],
    ['answers the wrong shape', { value: { summary: 42, extra: true } }, /summary: expected a string; extra: is not allowed/],
  ])('extraction that %s: the session completes, nothing lost', async (_name, outcome, why) => {
    const ctx = setup({ coachTimeoutMs: 50 });
    const s = await conversation(ctx, 'short');
    ctx.coach.extractOutcomes.push(outcome);
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.resultError).toMatch(why);
    expect(stored(ctx, s.id)).toHaveLength(5);
    expect(await ctx.svc.sessions.check(alice, 'short')).toMatchObject({ hasSession: false });
  });

  test('a topic without a result schema completes without asking the coach', async () => {
    const ctx = setup();
    const s = await conversation(ctx, 'focus');
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done).toMatchObject({ status: 'COMPLETED' });
    expect(done.result).toBeUndefined();
    expect(done.resultError).toBeUndefined();
    expect(ctx.coach.extractCalls).toBe(0);
  });

  test('a lost race re-reads and writes again without asking the coach again when the conversation did not change', async () => {
    const ctx = setup();
    const s = await conversation(ctx);
    // Another tab pauses and resumes between the extraction and the write (no new message).
    ctx.repo.beforeNext('completeSession', async () => {
      await ctx.svc.lifecycle.pause(alice, s.id);
    });
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(done.status).toBe('COMPLETED');
    expect(ctx.coach.extractCalls).toBe(1);
    expect(done.result).toBeDefined();
  });

  test('a message that gets in first makes the extraction run again on the longer conversation', async () => {
    const ctx = setup();
    const s = await conversation(ctx);
    ctx.repo.beforeNext('completeSession', async () => {
      await ctx.svc.conversation.sendMessage(alice, s.id, 'And courage, too.', null);
    });
    const done = await ctx.svc.lifecycle.complete(alice, s.id);
    expect(ctx.coach.extractCalls).toBe(2);
    expect((done.result as { values: { name: string }[] }).values.map((v) => v.name)).toContain('Courage');
  });

  test('result schemas: parsing from TOPICS_FILE and validation', () => {
    const fail = (p: string) => new Error(p);
    const [t] = parseTopics([{ id: 'a', name: 'A', resultSchema: SHORT.resultSchema }], fail);
    expect(t.resultSchema).toEqual(SHORT.resultSchema);
    expect(() => parseResultSchema({ type: 'array', items: { type: 'string' } }, fail)).toThrow(/root/);
    expect(() => parseResultSchema({ type: 'object', properties: { a: { type: 'date' } } }, fail)).toThrow(/resultSchema.properties.a.type/);
    expect(() => parseResultSchema({ type: 'object', properties: {}, required: ['x'] }, fail)).toThrow(/required/);
    expect(() => parseResultSchema({ type: 'object', properties: { a: { type: 'string', pattern: '.' } } }, fail)).toThrow(/"pattern"/);
    expect(() => parseTopics([{ id: 'a', name: 'A', resultSchema: { type: 'object' } }], fail)).toThrow(/entry 0: "resultSchema.properties"/);
    const core = BUILTIN_TOPICS.find((x) => x.id === 'core_values')!.resultSchema!;
    expect(validateResult(core, { values: [{ name: 'Trust', meaning: 'Keeping my word' }] })).toEqual([]);
    expect(validateResult(core, { values: Array(8).fill({ name: 'x', meaning: 'y' }) })).toEqual(['values: expected at most 7 item(s), got 8']);
    expect(validateResult(core, { values: [{ name: 'x' }], other: 1 })).toEqual(['values[0].meaning: is required', 'other: is not allowed']);
    expect(validateResult(core, [])).toEqual(['(root): expected an object']);
    for (const topic of BUILTIN_TOPICS) expect(topic.resultSchema?.type).toBe('object');
  });
});

describe('postMessage + messageReply', () => {
  test('returns at once with replyPending; the reply follows in the background and the poll sees it', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    // Hold the background reply's write until the first poll has been answered.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ctx.repo.beforeNext('appendMessage', () => undefined); // the user's message goes through
    ctx.repo.beforeNext('appendMessage', () => gate); // the reply waits
    const posted = await ctx.svc.conversation.postMessage(alice, s.id, 'Email keeps pulling me away.', null);
    expect(posted).toMatchObject({ replyPending: true, message: { seq: 2, role: 'USER' }, session: { messageCount: 2, turnCount: 1 } });
    expect(posted.clientMessageId).toMatch(/^srv-/);
    const messageId = `${s.id}:${posted.message.seq}`;
    expect(await ctx.svc.conversation.messageReply(alice, s.id, messageId)).toEqual({ status: 'PENDING', reply: null });
    release();
    await ctx.svc.background.settled();
    const ready = await ctx.svc.conversation.messageReply(alice, s.id, messageId);
    expect(ready.status).toBe('READY');
    expect(ready.reply).toMatchObject({ seq: 3, role: 'ASSISTANT' });
    expect(ready.reply!.content).toContain('Email keeps pulling me away');
    // A retry of the same post writes nothing new and says the reply is there.
    const again = await ctx.svc.conversation.postMessage(alice, s.id, 'Email keeps pulling me away.', posted.clientMessageId);
    expect(again).toMatchObject({ replyPending: false, message: posted.message, session: { messageCount: 3 } });
    // sendMessage with the same id returns the same pair.
    const sent = await ctx.svc.conversation.sendMessage(alice, s.id, 'Email keeps pulling me away.', posted.clientMessageId);
    expect(sent.reply).toEqual(ready.reply);
  });

  test('a coach failure is FAILED for the poller; a sendMessage retry with the same id produces the reply', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.coach.failNextReply();
    const posted = await ctx.svc.conversation.postMessage(alice, s.id, 'Meetings.', 'p-1');
    await ctx.svc.background.settled();
    const messageId = `${s.id}:2`;
    expect(await ctx.svc.conversation.messageReply(alice, s.id, messageId)).toEqual({ status: 'FAILED', reply: null });
    const retried = await ctx.svc.conversation.sendMessage(alice, s.id, 'Meetings.', posted.clientMessageId);
    expect(retried.reply.seq).toBe(3);
    expect((await ctx.svc.conversation.messageReply(alice, s.id, messageId)).status).toBe('READY');
  });

  test('a reply that never came (the process died) reads FAILED once the coach timeout and a minute have passed', async () => {
    const ctx = setup({ coachTimeoutMs: 1000 });
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    ctx.coach.failNextReply(new Error('x'));
    // Simulate a dead process: the record is never marked failed.
    ctx.repo.failNext('markReplyFailed', new Error('process died'));
    await ctx.svc.conversation.postMessage(alice, s.id, 'Hello.', 'p-2');
    await ctx.svc.background.settled();
    expect((await ctx.svc.conversation.messageReply(alice, s.id, `${s.id}:2`)).status).toBe('PENDING');
    ctx.clock.advance(2 * MINUTE);
    expect((await ctx.svc.conversation.messageReply(alice, s.id, `${s.id}:2`)).status).toBe('FAILED');
  });

  test('bad message ids are BAD_USER_INPUT, another session or a coach message NOT_FOUND', async () => {
    const ctx = setup();
    const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
    await expectDomainError(ctx.svc.conversation.messageReply(alice, s.id, 'nope'), 'BAD_USER_INPUT');
    await expectDomainError(ctx.svc.conversation.messageReply(alice, s.id, `${s.id}:0`), 'BAD_USER_INPUT');
    await expectDomainError(ctx.svc.conversation.messageReply(alice, s.id, `${s.id}:1`), 'NOT_FOUND');
    await expectDomainError(ctx.svc.conversation.messageReply(alice, s.id, `${s.id}:9`), 'NOT_FOUND');
    const e = await ctx.svc.conversation.messageReply({ ...alice, userId: 'bob' }, s.id, `${s.id}:1`).catch((x: DomainError) => x);
    expect((e as DomainError).code).toBe('NOT_FOUND');
  });
});

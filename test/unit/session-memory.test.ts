import { capabilities } from '../support/capabilities';
import { FakeClock } from '../support/clock';
import { MemorySessionRepository } from '../support/memory-repository';
import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { cleanTitle, memoryContext, TITLE_MAX_CHARS, unsummarised } from '../../src/coach/memory-prompt';
import { memoryAfterTransfer } from '../../src/domain/memory';
import { Message, Session } from '../../src/domain/session';
import { ownershipsAfterTransfer } from '../../src/domain/visibility';
import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { alice, FakeCoach, FOCUS } from './fixtures';

// The coach's memory above the repository (src/sessions/memory.ts): when a fold happens, what it
// is given, and what a failure or a transfer does to it. The e2e twin is test/e2e/memory.test.ts.
function setup() {
  const repo = new MemorySessionRepository();
  const coach = new FakeCoach();
  const clock = new FakeClock();
  const svc = capabilities(repo, new TopicCatalog([...BUILTIN_TOPICS, FOCUS]), { coach, clock, limits: { memoryWindow: { maxMessages: 6, maxChars: 12_000 } } });
  return { repo, coach, svc, clock };
}

async function turns(ctx: ReturnType<typeof setup>, sessionId: string, texts: string[]) {
  for (const t of texts) {
    await ctx.svc.conversation.sendMessage(alice, sessionId, t, null);
    await ctx.svc.background.settled();
  }
}

const stored = (ctx: ReturnType<typeof setup>, id: string) => ctx.repo.getSession('t1', id, ctx.clock.now()) as Promise<Session>;

test('folds start once the window would overflow, each sending only the messages after the last one, with the summary so far', async () => {
  const ctx = setup();
  const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
  await turns(ctx, s.id, ['First: my dog is Biscuit.', 'Second thing.']);
  expect(ctx.coach.summaryRequests).toHaveLength(0);
  expect((await stored(ctx, s.id)).title).toBe('First: my dog is Biscuit');
  await turns(ctx, s.id, ['Third thing.']);
  // Reply at seq 7: with the next message, 8 unsummarised > 6; all but the newest 3 are folded.
  expect(ctx.coach.summaryRequests.map((r) => [r.summary, r.messages.map((m) => m.seq)])).toEqual([[null, [1, 2, 3, 4]]]);
  expect(await stored(ctx, s.id)).toMatchObject({ summaryThrough: 4, summary: 'First: my dog is Biscuit; Second thing' });
  await turns(ctx, s.id, ['Fourth.', 'Fifth.']);
  const second = ctx.coach.summaryRequests[1];
  expect([second.summary, second.messages.map((m) => m.seq)]).toEqual(['First: my dog is Biscuit; Second thing', [5, 6, 7, 8]]);
  // The next reply's turn carries the summary, and its window starts after it.
  await ctx.svc.conversation.sendMessage(alice, s.id, 'Sixth.', null);
  expect(ctx.coach.lastTurn!.session.summary).toContain('Biscuit');
  expect(unsummarised(await ctx.coach.lastTurn!.recentMessages(20), ctx.coach.lastTurn!.session).map((m) => m.seq)[0]).toBe(9);
});

test('a failed summary changes nothing and is tried again after a later reply, from the same place', async () => {
  const ctx = setup();
  const s = await ctx.svc.lifecycle.start(alice, 'focus', false);
  ctx.coach.summaryOutcomes.push(new Error('model is down'));
  await turns(ctx, s.id, ['One.', 'Two.', 'Three.']);
  expect((await stored(ctx, s.id)).summaryThrough).toBeUndefined();
  await turns(ctx, s.id, ['Four.']);
  expect(ctx.coach.summaryRequests.map((r) => r.messages[0].seq)).toEqual([1, 1]);
  expect((await stored(ctx, s.id)).summaryThrough).toBe(6);
});

describe('memory across a transfer', () => {
  const base: Session = {
    id: 'ses_1', tenantId: 't1', userId: 'uma', topicId: 'goals', status: 'ACTIVE', createdAt: 0, updatedAt: 0, lastActivityAt: 0, endedAt: null,
    expiresAt: 1e13, messageCount: 9, lastSeq: 9, version: 5, summary: 'uma said things', summaryThrough: 4, title: 'Uma title',
  };
  const moved = (s: Session, to: string) => memoryAfterTransfer(s, { ...s, userId: to, owners: ownershipsAfterTransfer(s, to) });

  test("without the author's consent summary and title go, and the summary restarts where the new ownership starts", () => {
    const next = moved(base, 'ad1');
    expect(next).toMatchObject({ summaryThrough: 9 });
    expect(next.summary).toBeUndefined();
    expect(next.title).toBeUndefined();
  });

  test('with it, they move: the new owner may read everything they were made of', () => {
    const next = moved({ ...base, sharedBy: ['uma'] }, 'ad1');
    expect(next).toMatchObject({ summary: 'uma said things', summaryThrough: 4, title: 'Uma title' });
    // ad1 did not consent: moving on to ad2 drops it (ad2 may read uma's part, not ad1's).
    const again = moved({ ...next, lastSeq: 12, messageCount: 12 }, 'ad2');
    expect(again.summary).toBeUndefined();
  });
});

test('a title is one line of at most 80 characters; the embedded summary keeps its start and latest within its bound', async () => {
  expect(cleanTitle('"Finding my values"\nmore')).toBe('Finding my values');
  const long = cleanTitle('word '.repeat(40));
  expect(long.length).toBeLessThanOrEqual(TITLE_MAX_CHARS);
  const embedded = new EmbeddedCoach();
  const messages: Message[] = Array.from({ length: 40 }, (_, i) => ({ sessionId: 's', seq: i + 1, role: 'USER', content: `Point ${i + 1} matters.`, createdAt: 0 }));
  const summary = await embedded.summarize({ topic: FOCUS, session: base(), summary: 'FACT first', messages, maxChars: 200 });
  expect(summary.length).toBeLessThanOrEqual(200);
  expect(summary.startsWith('FACT first')).toBe(true);
  expect(summary.endsWith('Point 40 matters')).toBe(true);
  expect(memoryContext({ summary: 'S' }, [{ topicId: 'x', topicName: 'Core values', completedAt: 0, result: { a: 1 } }])).toMatch(/Core values \(1970-01-01\): \{"a":1\}[\s\S]*Summary of the earlier part[\s\S]*S$/);
});

const base = () => ({ id: 's' }) as Session;

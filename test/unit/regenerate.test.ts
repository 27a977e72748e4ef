import { TopicCatalog } from '../../src/topics/catalog';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { capabilities } from '../support/capabilities';
import { FakeClock } from '../support/clock';
import { CountingCoach } from '../support/counting-coach';
import { MemorySessionRepository } from '../support/memory-repository';
import { alice, expectDomainError } from './fixtures';

// regenerateReply against the in-memory repository: the races the e2e tests cannot time.

function setup() {
  const repo = new MemorySessionRepository();
  const coach = new CountingCoach();
  const svc = capabilities(repo, new TopicCatalog(BUILTIN_TOPICS), { coach, clock: new FakeClock() });
  return { repo, coach, svc };
}

async function exchange(ctx: ReturnType<typeof setup>) {
  const session = await ctx.svc.lifecycle.start(alice, 'purpose', false);
  const turn = await ctx.svc.conversation.sendMessage(alice, session.id, 'I want to teach.', 'u-1');
  // The title after this first exchange is written in the background: let it land first.
  await ctx.svc.background.settled();
  return { id: session.id, reply: turn.reply };
}

test('a regenerate landing while completeSession extracts: the completion extracts again, from the current reply', async () => {
  const ctx = setup();
  const { id, reply } = await exchange(ctx);
  const extractions = () => ctx.coach.given.length;
  let fresh = '';
  ctx.repo.beforeNext('completeSession', async () => {
    fresh = (await ctx.svc.regenerate.regenerate(alice, id, `${id}:${reply.seq}`, 'g-1')).reply.content;
  });
  const before = extractions();
  const completed = await ctx.svc.lifecycle.complete(alice, id);
  expect(completed.status).toBe('COMPLETED');
  // The regenerate's own reply call, then two extractions: the stale one and the one over the current reply.
  const given = ctx.coach.given.slice(before);
  expect(given).toHaveLength(3);
  expect(given[2]).toContain(fresh);
  expect(given[2]).not.toContain(reply.content);
});

test('a model failure lets the claim go: the next regenerate of the same reply runs', async () => {
  const ctx = setup();
  const { id, reply } = await exchange(ctx);
  ctx.coach.failNext();
  await expectDomainError(ctx.svc.regenerate.regenerate(alice, id, `${id}:${reply.seq}`, 'g-1'), 'COACH_UNAVAILABLE');
  expect(ctx.repo.snapshot().claims).toEqual({});
  const fresh = await ctx.svc.regenerate.regenerate(alice, id, `${id}:${reply.seq}`, 'g-1');
  expect(fresh.reply).toMatchObject({ seq: reply.seq, revision: 1, replyTo: reply.replyTo });
});

test('a store failure after the model call: the old reply stays, the claim goes, the error is not swallowed', async () => {
  const ctx = setup();
  const { id, reply } = await exchange(ctx);
  const before = ctx.repo.snapshot();
  ctx.repo.failNext('appendReply', new Error('store down'));
  await expect(ctx.svc.regenerate.regenerate(alice, id, `${id}:${reply.seq}`, 'g-1')).rejects.toThrow('store down');
  expect(ctx.repo.snapshot()).toEqual(before);
});

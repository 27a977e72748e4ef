/**
 * The admin role, checked once in the GraphQL layer (src/graphql/auth.ts): every admin
 * operation refuses a non-admin with FORBIDDEN before its service is called, so nothing
 * changes; a caller without a token is UNAUTHENTICATED; fields shown to everyone are
 * filled in for admins only. In memory, through Apollo's executeOperation and the error mask.
 */
import { ApolloServer } from '@apollo/server';
import { GraphQLObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { Viewer } from '../../src/domain/viewer';
import { Context, createLoaders, Services } from '../../src/graphql/context';
import { formatError } from '../../src/graphql/errors';
import { buildSchema } from '../../src/schema';
import { silentLogger } from '../../src/logger';
import { emptyStats } from '../../src/store/request-stats';
import { TenantTopics } from '../../src/topics/tenant-topics';
import { TopicAdminService } from '../../src/topics/topic-admin-service';
import { MemoryTopicRepository } from '../support/memory-topic-repository';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { MemoryUsageRepository } from '../support/memory-usage';
import { Budgets } from '../../src/usage/budgets';
import { TenantUsage } from '../../src/usage/tenant-usage';
import { alice, FOCUS, LINGER, setup } from './fixtures';

const admin: Viewer = { tenantId: 't1', userId: 'ada', roles: ['admin'] };
/** Another role is no admin role. */
const editor: Viewer = { tenantId: 't1', userId: 'ed', roles: ['editor'] };

function stack(topics = [FOCUS, LINGER]) {
  const base = setup(topics);
  const topicRepo = new MemoryTopicRepository();
  const tenantTopics = new TenantTopics(base.catalog, topicRepo);
  const topicAdmin = new TopicAdminService(tenantTopics, topicRepo, base.clock);
  const { background: _background, ...useCases } = base.svc;
  const usage = new MemoryUsageRepository();
  const budgets = new Budgets({ usage, topics: tenantTopics, clock: base.clock, log: silentLogger, cacheMs: 0 });
  const tenantUsage = new TenantUsage({ usage, topics: tenantTopics, clock: base.clock, budgets });
  const services: Services = { ...useCases, topics: tenantTopics, topicAdmin, tenantUsage };
  const apollo = new ApolloServer<Context>({ schema: buildSchema(), formatError: formatError(silentLogger) });
  const run = async (viewer: Viewer | null, query: string, variables: Record<string, unknown> = {}) => {
    const contextValue: Context = { viewer, services, loaders: createLoaders(services, viewer), requestId: 'test', dynamoStats: emptyStats() };
    const res = await apollo.executeOperation({ query, variables }, { contextValue });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult;
  };
  return { ...base, topicRepo, topicAdmin, tenantUsage, run };
}

type Stack = ReturnType<typeof stack>;

/** Every operation that needs the admin role, with arguments that would succeed for an admin, and its service method. */
const ADMIN_OPERATIONS: Record<string, { query: string; spy: (s: Stack) => jest.SpyInstance }> = {
  transferSession: {
    query: 'mutation($s: ID!) { transferSession(sessionId: $s, toUserId: "bob") { id userId } }',
    spy: (s) => jest.spyOn(s.svc.transfers, 'transfer'),
  },
  sessionTransfers: {
    query: 'query($s: ID!) { sessionTransfers(sessionId: $s) { edges { node { fromUserId toUserId byUserId at } } } }',
    spy: (s) => jest.spyOn(s.svc.transfers, 'sessionTransfers'),
  },
  idleSessions: { query: '{ idleSessions(minIdleMinutes: 0) { edges { node { id } } } }', spy: (s) => jest.spyOn(s.svc.listings, 'idleSessions') },
  tenantSessions: { query: '{ tenantSessions { edges { node { id } } } }', spy: (s) => jest.spyOn(s.svc.listings, 'tenantSessions') },
  eraseUserData: { query: 'mutation { eraseUserData(userId: "alice") { sessionsDeleted } }', spy: (s) => jest.spyOn(s.svc.userData, 'eraseUserData') },
  createTopic: { query: 'mutation { createTopic(input: { id: "sneaky", name: "Sneaky" }) { id } }', spy: (s) => jest.spyOn(s.topicAdmin, 'create') },
  updateTopic: { query: 'mutation { updateTopic(id: "focus", input: { name: "Mine" }) { id } }', spy: (s) => jest.spyOn(s.topicAdmin, 'update') },
  archiveTopic: { query: 'mutation { archiveTopic(id: "focus") { id } }', spy: (s) => jest.spyOn(s.topicAdmin, 'archive') },
  unarchiveTopic: { query: 'mutation { unarchiveTopic(id: "focus") { id } }', spy: (s) => jest.spyOn(s.topicAdmin, 'archive') },
  tenantUsage: { query: '{ tenantUsage { month inputTokens } }', spy: (s) => jest.spyOn(s.tenantUsage, 'get') },
  setTenantBudget: { query: 'mutation { setTenantBudget(monthlyTokens: 1000) { budgetTokens } }', spy: (s) => jest.spyOn(s.tenantUsage, 'setBudget') },
};

/** What the schema says is for admins: root fields described "Admin: ...". */
function adminRootFields(): string[] {
  const schema = buildSchema();
  const roots = [schema.getQueryType(), schema.getMutationType()] as GraphQLObjectType[];
  return roots.flatMap((t) => Object.values(t.getFields()).filter((f) => f.description?.startsWith('Admin:')).map((f) => f.name)).sort();
}

test('the operations tested here are all the admin operations of the schema', () => {
  expect(Object.keys(ADMIN_OPERATIONS).sort()).toEqual(adminRootFields());
});

describe.each(Object.entries(ADMIN_OPERATIONS))('%s', (name, { query, spy: spyOn }) => {
  test.each([
    ['a user without roles', alice],
    ['a user with another role', editor],
  ])('%s gets FORBIDDEN, no data, and the service is never called', async (_who, viewer) => {
    const s = stack();
    const live = await s.svc.lifecycle.start(alice, LINGER.id, false);
    const spy = spyOn(s);
    const before = s.repo.snapshot();
    const result = await s.run(viewer, query, { s: live.id });
    expect(result.errors).toEqual([
      { message: 'This operation needs the admin role', locations: expect.any(Array), path: [name], extensions: { code: 'FORBIDDEN' } },
    ]);
    expect(result.data ?? null).toBeNull();
    expect(spy).not.toHaveBeenCalled();
    expect(s.repo.snapshot()).toEqual(before);
    expect(s.topicRepo.items.size).toBe(0);
  });

  test('a caller without a token gets UNAUTHENTICATED', async () => {
    const s = stack();
    const result = await s.run(null, query, { s: 'ses_0000000000ZZZZZZZZZZZZZZZZ' });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(s.topicRepo.items.size).toBe(0);
  });

  test('an admin gets through', async () => {
    const s = stack();
    await s.svc.lifecycle.start({ tenantId: 't1', userId: 'bob', roles: [] }, FOCUS.id, false); // a user the tenant knows
    const live = await s.svc.lifecycle.start(alice, LINGER.id, false);
    const result = await s.run(admin, query, { s: live.id });
    expect(result.errors).toBeUndefined();
    expect(result.data?.[name]).toBeTruthy();
  });
});

describe('topics: for everyone, with admin-only parts', () => {
  const query = '{ topics(includeArchived: true) { id archived } }';

  test('includeArchived is FORBIDDEN to a non-admin, and nothing is read', async () => {
    const s = stack();
    const spy = jest.spyOn(s.topicAdmin, 'list');
    for (const viewer of [alice, editor]) {
      const result = await s.run(viewer, query);
      expect(result.errors).toEqual([
        { message: 'This operation needs the admin role', locations: expect.any(Array), path: ['topics'], extensions: { code: 'FORBIDDEN' } },
      ]);
      expect(result.data ?? null).toBeNull();
    }
    expect(spy).not.toHaveBeenCalled();
    expect(s.topicRepo.lists).toBe(0);
  });

  test('without it (or false) everyone gets the live topics; an admin with it the archived ones too', async () => {
    const s = stack();
    await s.topicAdmin.archive(admin, LINGER.id, true);
    for (const q of ['{ topics { id } }', '{ topics(includeArchived: false) { id } }']) {
      expect((await s.run(alice, q)).data).toEqual({ topics: [{ id: FOCUS.id }] });
    }
    expect((await s.run(admin, query)).data).toEqual({
      topics: [
        { id: FOCUS.id, archived: false },
        { id: LINGER.id, archived: true },
      ],
    });
    expect((await s.run(null, '{ topics { id } }')).errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  test("instructions and resultSchema are null for non-admins, the topic's for admins; openingMessage for all", async () => {
    const s = stack();
    await s.topicAdmin.update(admin, FOCUS.id, { resultSchema: { type: 'object', properties: { goal: { type: 'string' } } } });
    const q = '{ topics { id openingMessage instructions resultSchema } }';
    const focusOf = async (viewer: Viewer) => ((await s.run(viewer, q)).data as { topics: { id: string }[] }).topics.find((t) => t.id === FOCUS.id);
    expect(await focusOf(alice)).toEqual({ id: FOCUS.id, openingMessage: FOCUS.openingMessage, instructions: null, resultSchema: null });
    expect(await focusOf(editor)).toEqual({ id: FOCUS.id, openingMessage: FOCUS.openingMessage, instructions: null, resultSchema: null });
    expect(await focusOf(admin)).toEqual({
      id: FOCUS.id,
      openingMessage: FOCUS.openingMessage,
      instructions: FOCUS.instructions,
      resultSchema: { type: 'object', properties: { goal: { type: 'string' } } },
    });
  });
});

test('eraseMyData needs no role', async () => {
  const s = stack();
  await s.svc.lifecycle.start(alice, LINGER.id, false);
  const result = await s.run(alice, 'mutation { eraseMyData { sessionsDeleted } }');
  expect(result).toEqual({ data: { eraseMyData: { sessionsDeleted: 1 } } });
});

describe('roles are checked on the root fields, once', () => {
  test('every query and mutation is @Authorized (a role, or at least a verified token)', () => {
    buildSchema();
    const roots = [...getMetadataStorage().queries, ...getMetadataStorage().mutations];
    expect(roots.length).toBeGreaterThan(10);
    expect(roots.filter((r) => r.roles === undefined).map((r) => r.methodName)).toEqual([]);
  });

  test('a caller without a token gets UNAUTHENTICATED from every root field that takes no argument', async () => {
    const s = stack();
    const schema = buildSchema();
    const roots = [schema.getQueryType()!, schema.getMutationType()!];
    for (const root of roots) {
      for (const field of Object.values(root.getFields()).filter((f) => f.args.every((a) => !String(a.type).endsWith('!')))) {
        const keyword = root === schema.getMutationType() ? 'mutation' : 'query';
        const result = await s.run(null, `${keyword} { ${field.name} { __typename } }`);
        expect({ field: field.name, codes: result.errors?.map((e) => e.extensions?.code) }).toEqual({ field: field.name, codes: ['UNAUTHENTICATED'] });
      }
    }
  });
});

test("an admin's session listings never carry a result (it quotes the user) nor messages; the owner's do", async () => {
  const purpose = BUILTIN_TOPICS.find((t) => t.id === 'purpose')!; // a topic with a result schema
  const s = stack([FOCUS, LINGER, purpose]);
  const done = await s.svc.lifecycle.start(alice, purpose.id, false);
  await s.svc.conversation.sendMessage(alice, done.id, 'My goal is to run a marathon', null);
  await s.svc.lifecycle.complete(alice, done.id);
  const listed = await s.run(admin, '{ tenantSessions { edges { node { id userId result resultError } } } }');
  const nodes = (listed.data as { tenantSessions: { edges: { node: Record<string, unknown> }[] } } | null)?.tenantSessions.edges.map((e) => e.node) ?? [];
  expect(nodes.map((n) => [n.id, n.result, n.resultError])).toEqual([[done.id, null, null]]);
  expect(JSON.stringify(listed)).not.toContain('marathon');
  const messages = await s.run(admin, '{ tenantSessions { edges { node { messages(first: 5) { edges { node { content } } } } } } }');
  expect(messages.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  expect(JSON.stringify(messages)).not.toContain('marathon');
  const own = await s.run(alice, 'query($id: ID!) { session(id: $id) { result resultError } }', { id: done.id });
  const mine = (own.data as { session: { result: unknown; resultError: unknown } }).session;
  expect(mine.result ?? mine.resultError).toBeTruthy();
});

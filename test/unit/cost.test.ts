import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentNode, getIntrospectionQuery, Kind, OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import { buildSchema } from '../../src/schema';
import { costErrors, CostLimits } from '../../src/graphql/cost-limit';
import { COACH_CALL_COST, COACH_FIELDS, memoOperationCost, operationCost, STORE_CALL_COST } from '../../src/graphql/cost';
import { bytesCost, messagePageBytes } from '../../src/graphql/cost-table';
import { DEFAULT_MAX_COACH_FIELDS, DEFAULT_MAX_QUERY_COST, DEFAULT_MAX_TOPICS_PER_TENANT } from '../../src/defaults';
import { PAGE_BYTE_BUDGET } from '../../src/domain/page-budget';
import { depthLimit } from '../../src/graphql/depth-limit';
import { loadConfig } from '../../src/config';

const schema = buildSchema();
const DEFAULTS: CostLimits = { maxCost: DEFAULT_MAX_QUERY_COST, maxCoachFields: DEFAULT_MAX_COACH_FIELDS, maxPageSize: 100, defaultPageSize: 20 };

const operationOf = (doc: DocumentNode) => doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
const costOf = (query: string, variables: Record<string, unknown> = {}) => {
  const doc = parse(query);
  expect(validate(schema, doc, specifiedRules)).toEqual([]);
  return operationCost(schema, doc, operationOf(doc), variables, DEFAULTS);
};
const refusals = (query: string, variables: Record<string, unknown> = {}, limits: Partial<CostLimits> = {}) => {
  const doc = parse(query);
  return costErrors(schema, doc, operationOf(doc), variables, { ...DEFAULTS, ...limits }).map(
    (e) => ({ message: e.message, ...e.extensions }) as { message: string; code?: string; cost?: number } & Record<string, unknown>,
  );
};
const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

/** Every operation of operations/*.graphql, with the fragments it may spread. */
function frontendOperations() {
  const dir = join(__dirname, '..', '..', 'operations');
  const doc = parse(readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n'));
  const fragments = doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return doc.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((op) => ({ op, doc: { kind: Kind.DOCUMENT, definitions: [op, ...fragments] } as DocumentNode }));
}
/** The largest page the service allows, for every page size variable an operation declares. */
const largestPages = (op: OperationDefinitionNode) =>
  Object.fromEntries((op.variableDefinitions ?? []).filter((v) => ['first', 'last'].includes(v.variable.name.value)).map((v) => [v.variable.name.value, 100]));

describe('the default budget', () => {
  const ops = frontendOperations();

  test('allows every operation in operations/ at its largest page size (100), and within the depth limit', () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const { op, doc } of ops) {
      const outcome = {
        op: op.name?.value,
        depth: validate(schema, doc, [depthLimit(10)]).map((e) => e.message),
        cost: costErrors(schema, doc, op, largestPages(op), DEFAULTS).map((e) => e.message),
      };
      expect(outcome).toEqual({ op: op.name?.value, depth: [], cost: [] });
    }
  });

  test('but not many of them in one request: 5 aliased copies of the largest list at page size 100 are refused', () => {
    const largest = ops
      .map(({ op, doc }) => ({ name: op.name!.value, cost: operationCost(schema, doc, op, largestPages(op), DEFAULTS).cost }))
      .sort((a, b) => b.cost - a.cost)[0];
    expect(largest.cost).toBeLessThanOrEqual(DEFAULT_MAX_QUERY_COST);
    expect(largest.cost * 2).toBeGreaterThan(DEFAULT_MAX_QUERY_COST);
    const one = 'mySessions(first: 100) { edges { cursor node { id topicId userId status createdAt updatedAt lastActivityAt endedAt expiresAt isIdle idleSince messageCount topic { id name } } } pageInfo { hasNextPage endCursor } }';
    expect(refusals(`{ ${one} }`)).toEqual([]);
    expect(refusals(`{ ${aliases(5, one)} }`)).toEqual([expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', maxCost: DEFAULT_MAX_QUERY_COST })]);
  });

  test('refuses 5 aliased mySessions(first: 100) with messages(first: 100) each: about 5 x 33,000', () => {
    const nested = 'mySessions(first: 100) { edges { node { messages(first: 100) { edges { node { id content } } } } } }';
    const [refused] = refusals(`{ ${aliases(5, nested)} }`);
    expect(refused).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', maxCost: DEFAULT_MAX_QUERY_COST });
    expect(refused.cost).toBeGreaterThan(5 * 100 * 100 * 3);
    expect(refused.message).toMatch(/costs \d+, more than the limit of 3000/);
    // One of them alone is refused too: 10,000 messages is not a page a frontend needs.
    expect(refusals(`{ ${nested} }`)).toHaveLength(1);
  });

  test('the introspection query passes (Sandbox and codegen need it in development)', () => {
    expect(refusals(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
  });
});

describe('what counts', () => {
  test('each field returned, once per item of every list it is in, by the page size asked for', () => {
    const page = (first: number) => costOf(`{ mySessions(first: ${first}) { edges { node { id status } } } }`).cost;
    // mySessions 1 + its Query, edges 1, then per session: node, id, status
    expect(page(10)).toBe(1 + STORE_CALL_COST + 1 + 10 * 3);
    expect(page(100)).toBe(1 + STORE_CALL_COST + 1 + 100 * 3);
    // pageInfo is not a list: counted once
    expect(costOf('{ mySessions(first: 100) { pageInfo { hasNextPage endCursor } } }').cost).toBe(1 + STORE_CALL_COST + 3);
  });

  test('page sizes from variables (their values, else their defaults), else the default page size (20)', () => {
    const q = 'query Q($n: Int) { mySessions(first: $n) { edges { node { id } } } }';
    expect(costOf(q, { n: 5 }).cost).toBe(costOf('{ mySessions(first: 5) { edges { node { id } } } }').cost);
    expect(costOf(q, {}).cost).toBe(costOf('{ mySessions(first: 20) { edges { node { id } } } }').cost);
    expect(costOf(q, { n: null }).cost).toBe(costOf('{ mySessions { edges { node { id } } } }').cost);
    const withDefault = 'query Q($n: Int = 50) { mySessions(first: $n) { edges { node { id } } } }';
    expect(costOf(withDefault, {}).cost).toBe(costOf('{ mySessions(first: 50) { edges { node { id } } } }').cost);
    // Out of range or not a number: the service refuses it; until then the largest page is assumed.
    expect(costOf(q, { n: 10_000 }).cost).toBe(costOf('{ mySessions(first: 100) { edges { node { id } } } }').cost);
    expect(costOf(q, { n: 'many' }).cost).toBe(costOf('{ mySessions(first: 100) { edges { node { id } } } }').cost);
  });

  test('nested lists multiply: sessions x messages', () => {
    const nested = costOf('{ mySessions(first: 10) { edges { node { messages(last: 10) { edges { node { content } } } } } } }');
    // per session: node 1, messages 1 + its Query + the bytes its page may read, edges 1, 10 x (node, content: covered by the page)
    expect(nested.cost).toBe(1 + STORE_CALL_COST + 1 + 10 * (1 + 1 + STORE_CALL_COST + bytesCost(messagePageBytes(10, DEFAULTS)) + 1 + 10 * 2));
  });

  test('each store call counts; a per-request loader (topic, myStatus, topics) counts once', () => {
    expect(costOf('{ sessionCheck(topicId: "purpose") { hasSession } }').cost).toBe(2 + STORE_CALL_COST);
    expect(costOf(`{ ${aliases(3, 'sessionCheck(topicId: "purpose") { hasSession }')} }`).cost).toBe(3 * (2 + STORE_CALL_COST));
    const withTopic = costOf('{ mySessions(first: 10) { edges { node { topic { id } } } } }').cost;
    expect(withTopic).toBe(1 + STORE_CALL_COST + 1 + 10 * 3 + STORE_CALL_COST);
    // tenantSessions without a topic queries every topic's partition
    const all = costOf('{ tenantSessions(first: 1) { pageInfo { hasNextPage } } }').cost;
    const one = costOf('{ tenantSessions(topicId: "purpose", first: 1) { pageInfo { hasNextPage } } }').cost;
    expect(all).toBeGreaterThan(one + 10 * STORE_CALL_COST);
  });

  test('fragments count wherever they are spread, and a fragment bomb is measured at once', () => {
    const spread = costOf('{ ...T ...T } fragment T on Query { sessionCheck(topicId: "a") { hasSession } }').cost;
    expect(spread).toBe(2 * (2 + STORE_CALL_COST));
    const levels = 60;
    const frags = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { topics { id } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    const doc = parse(`{ ...F0 } ${frags}`);
    const [refused] = costErrors(schema, doc, operationOf(doc), {}, DEFAULTS);
    expect(refused.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });
});

describe('remembered per operation (the plugin walks a repeated operation once)', () => {
  const query = `query Q($first: Int = 30, $topicId: ID!, $status: [SessionStatus!]) {
    mySessions(first: $first, status: $status) { edges { node { id messages(last: 5) { edges { node { text } } } } } }
    sessionCheck(topicId: $topicId) { hasSession }
  }`;
  const doc = parse(query);
  const op = operationOf(doc);

  test('the same cost as a fresh walk for every set of values of the variables it reads, absent and null apart', () => {
    const memo = memoOperationCost(DEFAULTS);
    const cases = [{ first: 10 }, { first: 50 }, {}, { first: null }, { first: 10 }, { first: 1000 }, {}, { first: 'x' }];
    for (const values of cases) {
      const variables = { topicId: 'purpose', ...values };
      expect(memo(schema, doc, op, variables)).toEqual(operationCost(schema, doc, op, variables, DEFAULTS));
    }
    expect(operationCost(schema, doc, op, {}, DEFAULTS).cost).not.toBe(operationCost(schema, doc, op, { first: null }, DEFAULTS).cost);
  });

  test('keyed by the variables the cost reads only: another topic or status filter is a hit', () => {
    const memo = memoOperationCost(DEFAULTS);
    const first = memo(schema, doc, op, { first: 10, topicId: 'purpose' });
    expect(first.variablesRead.sort()).toEqual(['first']);
    expect(memo(schema, doc, op, { first: 10, topicId: 'vision', status: ['ACTIVE'] })).toBe(first);
    expect(memo(schema, doc, op, { first: 11, topicId: 'purpose' })).not.toBe(first);
  });

  test('bounded: page sizes that vary without end are walked each time, still right', () => {
    const memo = memoOperationCost(DEFAULTS);
    for (let first = 1; first <= 100; first++) {
      expect(memo(schema, doc, op, { first, topicId: 't' }).cost).toBe(operationCost(schema, doc, op, { first, topicId: 't' }, DEFAULTS).cost);
    }
  });
});

describe('bytes (issue #19: amplification by bytes)', () => {
  const page100 = 'messages(first: 100) { edges { node { id content } } pageInfo { hasNextPage } }';

  test('a page of messages is priced by the bytes it may read: its byte budget, or less for a short page', () => {
    expect(messagePageBytes(100, DEFAULTS)).toBe(PAGE_BYTE_BUDGET);
    expect(messagePageBytes(2, DEFAULTS)).toBe(3 * (3 * 4000 + 2048));
    const one = costOf(`{ session(id: "s") { ${page100} } }`).cost;
    expect(one).toBeGreaterThan(bytesCost(PAGE_BYTE_BUDGET));
    expect(one).toBeLessThanOrEqual(DEFAULT_MAX_QUERY_COST);
  });

  test('11 aliases of messages(first: 100) (11.4 MB and 2,828 read units in the review) are refused; so are 2', () => {
    for (const n of [11, 2]) {
      const [refused] = refusals(`{ session(id: "s") { ${aliases(n, page100)} } }`);
      expect(refused).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', maxCost: DEFAULT_MAX_QUERY_COST });
    }
    // Small pages stay cheap: what a short page can read is what it costs.
    expect(refusals(`{ session(id: "s") { ${aliases(4, 'messages(last: 2) { edges { node { content } } }')} } }`)).toEqual([]);
  });

  test('an alias of content inside a page is another copy of the page: priced', () => {
    const once = costOf(`{ session(id: "s") { messages(first: 100) { edges { node { content } } } } }`).cost;
    const twice = costOf(`{ session(id: "s") { messages(first: 100) { edges { node { content again: content } } } } }`).cost;
    expect(twice - once).toBeGreaterThanOrEqual(bytesCost(PAGE_BYTE_BUDGET));
  });

  test('long texts outside a page count by their largest size: a message, a topic\'s texts', () => {
    const bare = costOf('mutation { sendMessage(sessionId: "s", content: "hi") { reply { id } } }').cost;
    const withContent = costOf('mutation { sendMessage(sessionId: "s", content: "hi") { reply { id content } } }').cost;
    expect(withContent - bare).toBe(1 + bytesCost(3 * 4000 + 2));
    const description = costOf('{ topics { description } }').cost - costOf('{ topics { id } }').cost;
    expect(description).toBe(bytesCost(DEFAULT_MAX_TOPICS_PER_TENANT * (3 * 2000 + 2)));
    // 155 topics' texts in aliases (18.8 MB in the review): refused.
    expect(refusals(`{ ${aliases(5, 'topics { name description openingMessage }')} }`)[0]).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  test('topics are priced by the cap on a tenant\'s topics; tenantSessions without a topic by the calls it makes', () => {
    expect(costOf('{ topics { id } }').cost).toBe(1 + DEFAULT_MAX_TOPICS_PER_TENANT * 1 + STORE_CALL_COST);
    const all = costOf('{ tenantSessions(first: 100) { pageInfo { hasNextPage } } }').cost;
    // A Query of each topic's keys, then one page of items: a Query's worth and two BatchGetItem (101 keys, 100 a call).
    expect(all).toBe(1 + (DEFAULT_MAX_TOPICS_PER_TENANT + 3) * STORE_CALL_COST + 2);
    const bigger = operationCost(schema, parse('{ topics { id } }'), operationOf(parse('{ topics { id } }')), {}, { ...DEFAULTS, maxTopics: 50 }).cost;
    expect(bigger).toBe(1 + 50 + STORE_CALL_COST);
  });

  test('a subscription\'s payload counts twice: session is resolved on the message and on the reply event', () => {
    const sub = (fields: string) => costOf(`subscription { sendMessageStream(sessionId: "s", content: "c", clientMessageId: "m") { ${fields} } }`).cost;
    const withPage = sub(`session { ${page100} }`) - sub('delta');
    expect(withPage).toBeGreaterThan(2 * bytesCost(PAGE_BYTE_BUDGET));
    expect(refusals(`subscription { sendMessageStream(sessionId: "s", content: "c", clientMessageId: "m") { session { ${page100} } } }`)[0]).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
  });

  test('exportMyData is priced by its page\'s byte budget', () => {
    expect(costOf('{ exportMyData { records } }').cost).toBeGreaterThan(bytesCost(PAGE_BYTE_BUDGET));
    expect(refusals(`{ ${aliases(2, 'exportMyData(first: 100) { records }')} }`)[0]).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });
});

describe('erasures', () => {
  test('one per request: aliased eraseMyData or eraseUserData are refused before any runs', () => {
    expect(refusals('mutation { eraseMyData { itemsDeleted } }')).toEqual([]);
    for (const doc of [
      `mutation { ${aliases(5, 'eraseMyData { itemsDeleted }')} }`,
      'mutation { eraseMyData { itemsDeleted } eraseUserData(userId: "bob") { itemsDeleted } }',
      `mutation { ${aliases(2, 'eraseUserData(userId: "bob") { itemsDeleted }')} }`,
    ]) {
      expect(refusals(doc)).toEqual([expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', maxErasureFields: 1, message: expect.stringMatching(/at most 1 erasure/) })]);
    }
  });
});

describe('coach calls', () => {
  test('the coach-calling fields', () => {
    expect(COACH_FIELDS.sort()).toEqual(
      [
        'Mutation.completeSession',
        'Mutation.postMessage',
        'Mutation.regenerateReply',
        'Mutation.resumeSession',
        'Mutation.sendMessage',
        'Mutation.startSession',
        'Subscription.regenerateReplyStream',
        'Subscription.sendMessageStream',
      ].sort(),
    );
    expect(costOf('mutation { sendMessage(sessionId: "s", content: "hi") { reply { id } } }').cost).toBe(
      1 + 3 * STORE_CALL_COST + COACH_CALL_COST + 2,
    );
  });

  test('one per request by default: two aliased sendMessage are refused before either runs', () => {
    const send = 'sendMessage(sessionId: "ses_x", content: "hi") { reply { id } }';
    expect(refusals(`mutation { ${send} }`)).toEqual([]);
    expect(refusals(`mutation { ${aliases(2, send)} }`)).toEqual([
      expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', coachFields: 2, maxCoachFields: 1, message: expect.stringMatching(/calls the coach 2 times \(sendMessage\)/) }),
    ]);
    expect(refusals(`mutation { ${aliases(2, send)} }`, {}, { maxCoachFields: 2 })).toEqual([]);
    // Different coach-calling fields add up, fragments included.
    const mixed = 'mutation { startSession(topicId: "purpose") { id } ...R } fragment R on Mutation { resumeSession(sessionId: "s") { id } }';
    expect(refusals(mixed)).toEqual([expect.objectContaining({ coachFields: 2 })]);
    // Other mutations are not coach calls.
    expect(refusals(`mutation { ${aliases(3, 'pauseSession(sessionId: "s") { id }')} }`)).toEqual([]);
  });
});

describe('configuration', () => {
  test('MAX_QUERY_COST and MAX_COACH_FIELDS: defaults, values, ranges', () => {
    expect(loadConfig({}).limits).toMatchObject({ maxQueryCost: 3000, maxCoachFields: 1 });
    expect(loadConfig({ MAX_QUERY_COST: '50000', MAX_COACH_FIELDS: '3' }).limits).toMatchObject({ maxQueryCost: 50000, maxCoachFields: 3 });
    for (const [name, value] of [['MAX_QUERY_COST', '0'], ['MAX_QUERY_COST', 'lots'], ['MAX_COACH_FIELDS', '0'], ['MAX_COACH_FIELDS', '1.5']]) {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});

import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import {
  AdminTopicsDocument,
  CompleteSessionWithResultDocument,
  CreateTopicDocument,
  SendMessageDocument,
  StartSessionDocument,
  TopicsDocument,
  UpdateTopicDocument,
} from '../generated/graphql/graphql';
import { expectCode, rawGql } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { scanAll } from '../support/store-helpers';

// Issue #9, "smaller holes": names and texts from tenant admins (and from a model) that used to
// give 500s, vanish, break the tenant's catalogue, or make the coach say "undefined".
let server: TestServer;
let admin: string;
let alice: string;

/** The embedded coach, except that its extraction adds a key named like an Object.prototype member. */
class SneakyCoach extends EmbeddedCoach {
  override async extractResult(): Promise<unknown> {
    return JSON.parse('{ "summary": "Mornings.", "constructor": { "polluted": true } }');
  }
}

beforeAll(async () => {
  server = await startTestServer({ coach: new SneakyCoach() });
  admin = await tokenFor('hostile-admin', 'root', { roles: ['admin'] });
  alice = await tokenFor('hostile-admin', 'alice');
});
afterAll(() => server.stop());

const tenantItems = async () => (await scanAll(server.table)).filter((i) => String(i.pk).startsWith('T#hostile-admin#TOPICS'));

describe('resultSchema property names of Object.prototype', () => {
  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('"%s" (a variable) is BAD_USER_INPUT naming resultSchema; nothing is stored', async (name) => {
    const before = (await tenantItems()).length;
    const resultSchema = JSON.parse(`{ "type": "object", "properties": { "${name}": { "type": "string" } }, "required": ["${name}"] }`);
    const res = await gql(server.url, CreateTopicDocument, { input: { id: `p-${name.toLowerCase().replace(/_/g, 'u')}`, name: 'P', resultSchema } }, admin);
    const error = expectCode(res, 'BAD_USER_INPUT');
    expect(error.extensions?.argumentName).toBe('resultSchema');
    expect(error.message).toContain(`"${name}"`);
    expect((await tenantItems()).length).toBe(before);
  });

  test('"__proto__" in an inline literal too, and an update; the catalogue keeps working', async () => {
    const literal = await rawGql(server.url, 'mutation { createTopic(input: { id: "lit", name: "L", resultSchema: { type: "object", properties: { __proto__: { type: "string" } } } }) { id } }', {}, admin);
    expectCode(literal, 'BAD_USER_INPUT');
    const update = await gql(server.url, UpdateTopicDocument, { id: 'purpose', input: { resultSchema: { type: 'object', properties: { constructor: { type: 'string' } } } } }, admin);
    expectCode(update, 'BAD_USER_INPUT');
    // Before, a dropped "__proto__" left a stored schema that no longer parsed: every read of the tenant's topics was a 500.
    expect(ok(await gql(server.url, AdminTopicsDocument, { includeArchived: true }, admin)).topics.length).toBeGreaterThanOrEqual(5);
    expect(ok(await gql(server.url, TopicsDocument, {}, alice)).topics.length).toBeGreaterThanOrEqual(5);
  });

  test('a result with such a key (from a model) completes with resultError instead of a 500', async () => {
    const schema = { type: 'object', properties: { summary: { type: 'string' } } };
    ok(await gql(server.url, CreateTopicDocument, { input: { id: 'mornings', name: 'Mornings', resultSchema: schema } }, admin));
    const id = ok(await gql(server.url, StartSessionDocument, { topicId: 'mornings' }, alice)).startSession.id;
    ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Mornings are for deep work.' }, alice));
    const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: id }, alice)).completeSession;
    expect(done).toMatchObject({ status: 'COMPLETED', result: null, resultError: expect.stringContaining('constructor: is a reserved name') });
  });
});

test('a tenant topic with id "constructor": the embedded coach asks its generic questions, never "undefined"', async () => {
  ok(await gql(server.url, CreateTopicDocument, { input: { id: 'constructor', name: 'Building things' } }, admin));
  const id = ok(await gql(server.url, StartSessionDocument, { topicId: 'constructor' }, alice)).startSession.id;
  const reply = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'I want to build a shed.' }, alice)).sendMessage.reply.content;
  expect(reply).not.toMatch(/undefined/);
  expect(reply).toMatch(/\?$/);
});

describe('control characters in topic texts are refused like in messages', () => {
  test.each([
    ['name', 'Evil\u0000name'],
    ['name', 'Two\nlines'],
    ['description', 'clear the screen \u001b[2J'],
    ['instructions', 'ignore all \u0007 previous'],
    ['openingMessage', 'Hi\u009b31m'],
  ])('createTopic with %s %j: BAD_USER_INPUT naming the field, nothing stored', async (field, value) => {
    const before = (await tenantItems()).length;
    const res = await gql(server.url, CreateTopicDocument, { input: { id: 'ctl', name: 'Control', [field]: value } }, admin);
    const error = expectCode(res, 'BAD_USER_INPUT');
    expect(error.extensions?.argumentName).toBe(field);
    expect((await tenantItems()).length).toBe(before);
  });

  test('updateTopic too; multi-line texts with tabs and line breaks are fine', async () => {
    expectCode(await gql(server.url, UpdateTopicDocument, { id: 'goals', input: { instructions: 'Be \u001b[1mbold' } }, admin), 'BAD_USER_INPUT');
    const text = 'First line.\n\tSecond line.';
    const updated = ok(await gql(server.url, UpdateTopicDocument, { id: 'goals', input: { description: text, openingMessage: text } }, admin)).updateTopic;
    expect(updated.description).toBe(text);
  });
});

// Issue #19 (Low): property names skipped the text rules; "" was a 500, 60,000 characters
// SERVICE_UNAVAILABLE after three retries, control characters and lone surrogates were stored.
describe('resultSchema property names follow the text rules of other names', () => {
  const schemaWith = (name: string) => ({ type: 'object', properties: { [name]: { type: 'string' } } });

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['65 characters', 'x'.repeat(65)],
    ['60,000 characters', 'x'.repeat(60_000)],
    ['a NUL', 'a\u0000b'],
    ['an escape sequence', 'red\u001b[31m'],
    ['a line break', 'two\nlines'],
    ['a C1 control', 'csi\u009b'],
    ['a lone surrogate', 'half\ud800'],
  ])('a name that is %s: BAD_USER_INPUT naming resultSchema, nothing stored', async (_label, name) => {
    const before = await tenantItems();
    const created = await gql(server.url, CreateTopicDocument, { input: { id: 'names', name: 'Names', resultSchema: schemaWith(name) } }, admin);
    expect(expectCode(created, 'BAD_USER_INPUT').extensions?.argumentName).toBe('resultSchema');
    // Nested names too, through updateTopic.
    const nested = { type: 'object', properties: { outer: { type: 'array', items: schemaWith(name) } } };
    const updated = await gql(server.url, UpdateTopicDocument, { id: 'goals', input: { resultSchema: nested } }, admin);
    expect(expectCode(updated, 'BAD_USER_INPUT').extensions?.argumentName).toBe('resultSchema');
    expect(await tenantItems()).toEqual(before);
  });

  test('64 characters, spaces inside and any script are fine, and come back as given', async () => {
    const names = ['y'.repeat(64), 'next step', 'Grundwerte äöü', '価値観', 'emoji 🙂'];
    const resultSchema = { type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])), required: names };
    ok(await gql(server.url, CreateTopicDocument, { input: { id: 'fine-names', name: 'Fine', resultSchema } }, admin));
    const read = await rawGql(server.url, '{ topics(includeArchived: true) { id resultSchema } }', {}, admin);
    const topic = (ok(read).topics as { id: string; resultSchema: { properties: object } }[]).find((t) => t.id === 'fine-names');
    // A DynamoDB map keeps no order.
    expect(Object.keys(topic!.resultSchema.properties).sort()).toEqual([...names].sort());
  });

  test('a schema over 20,000 characters as JSON is refused (within the body limit), nothing stored', async () => {
    const before = await tenantItems();
    const properties = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, { type: 'string', description: 'd'.repeat(1000) }]));
    const res = await gql(server.url, CreateTopicDocument, { input: { id: 'big-schema', name: 'Big', resultSchema: { type: 'object', properties } } }, admin);
    const error = expectCode(res, 'BAD_USER_INPUT');
    expect(error.extensions?.argumentName).toBe('resultSchema');
    expect(error.message).toContain('20000');
    expect(await tenantItems()).toEqual(before);
  });
});

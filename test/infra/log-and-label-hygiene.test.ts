/**
 * What an attacker (or a careless client) can put into the operator's logs and metrics:
 * unauthenticated requests cannot take the operation-name label slots, and message contents
 * never reach a log line, whatever the variable feeding them is called or when they are
 * written inline in the query text (issue #9).
 */
import { SessionCheckDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { createLogger } from '../../src/logger';
import { baseOf, rawGql } from '../support/e2e-helpers';
import { gql, ok, post, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
const lines: Record<string, unknown>[] = [];
let alice: string;
let sessionId: string;

beforeAll(async () => {
  // 300 anonymous requests from one address: a burst above them, so each is judged on its token (rate limits: test/e2e/rate-limit.test.ts).
  server = await startTestServer({ log: createLogger({ level: 'info', destination: { write: (s) => lines.push(JSON.parse(s)) } }), env: { RATE_LIMIT_ANONYMOUS_BURST: '1000' } });
  alice = await tokenFor('hygiene', 'alice');
  sessionId = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, alice)).startSession.id;
});
afterAll(() => server.stop());

const operationLines = () => lines.filter((l) => l.msg === 'graphql operation');
const metrics = async () => (await fetch(`${baseOf(server.url)}/metrics`)).text();
const labelled = (text: string, name: string) => text.split('\n').some((l) => l.startsWith('graphql_operations_total{') && l.includes(`operation="${name}"`));

describe('metrics label slots', () => {
  test('300 differently named operations without a valid token take none of them', async () => {
    for (let i = 0; i < 300; i++) {
      // Half with a forged token (refused before Apollo runs), half with none (refused by the resolvers).
      const headers: Record<string, string> = i % 2 ? { authorization: 'Bearer forged.token.value' } : {};
      const res = await post(server.url, JSON.stringify({ query: `query Flood_${i} { topics { id } }`, operationName: `Flood_${i}` }), headers);
      expect(res.json?.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const text = await metrics();
    expect(labelled(text, 'Flood_0')).toBe(false);
    expect(labelled(text, 'Flood_299')).toBe(false);
    // Counted all the same, under "other".
    expect(text).toMatch(/graphql_operations_total\{operation="other",code="UNAUTHENTICATED"\} (\d{3})/);
    // Operations of an authenticated caller that do not validate are not named either.
    await rawGql(server.url, 'query Invalid_Op { noSuchField }', {}, alice);
    expect(labelled(await metrics(), 'Invalid_Op')).toBe(false);
    // A real operation of a real caller still is (control).
    ok(await gql(server.url, SessionCheckDocument, { topicId: 'purpose' }, alice));
    expect(labelled(await metrics(), 'SessionCheck')).toBe(true);
  });
});

describe('log redaction goes by the argument a variable feeds, not by its name', () => {
  const SECRET_TEXT = 'my boss does not know I am leaving';

  test('a variable named $x feeding sendMessage(content:) is not logged; $topic feeding topicId is', async () => {
    const res = await rawGql(
      server.url,
      'mutation Send($s: ID!, $x: String!, $id: ID) { sendMessage(sessionId: $s, content: $x, clientMessageId: $id) { reply { id } } }',
      { s: sessionId, x: SECRET_TEXT, id: 'c-1' },
      alice,
    );
    expect(res.errors).toBeUndefined();
    expect(operationLines().at(-1)).toMatchObject({ operation: 'Send', variables: { s: sessionId, id: 'c-1' } });
    expect(operationLines().at(-1)!.variables).not.toHaveProperty('x');
    await rawGql(server.url, 'query Q($topic: ID!) { sessionCheck(topicId: $topic) { hasSession } }', { topic: 'purpose' }, alice);
    expect(operationLines().at(-1)).toMatchObject({ operation: 'Q', variables: { topic: 'purpose' } });
  });

  test('a variable named like a safe argument but feeding content is not logged; neither are topic texts', async () => {
    // Before, a variable called "sessionId" or "topicId" was logged whatever it fed.
    await rawGql(server.url, 'mutation M($sessionId: String!) { postMessage(sessionId: "ses_00000000000000000000000000", content: $sessionId) { replyPending } }', { sessionId: SECRET_TEXT }, alice);
    const admin = await tokenFor('hygiene', 'root', { roles: ['admin'] });
    await rawGql(server.url, 'mutation T($id: String!) { createTopic(input: { id: "t1", name: "T", instructions: $id }) { id } }', { id: SECRET_TEXT }, admin);
    // A variable used both for an id and for content is not logged either.
    await rawGql(server.url, 'mutation B($v: ID!) { sendMessage(sessionId: $v, content: $v) { reply { id } } }', { v: SECRET_TEXT }, alice);
    expect(JSON.stringify(lines)).not.toContain(SECRET_TEXT);
  });

  test('inline literals in the query text are never logged (the document is not; a guard, this held before)', async () => {
    const from = lines.length;
    const inline = `mutation Inline { sendMessage(sessionId: "${sessionId}", content: "${SECRET_TEXT}, inline") { reply { id } } }`;
    expect((await rawGql(server.url, inline, {}, alice)).errors).toBeUndefined();
    await rawGql(server.url, `{ sessionCheck(topicId: "${SECRET_TEXT}") { hasSession } }`, {}, alice); // refused: an unknown topic
    expect(operationLines().at(-1)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const logged = JSON.stringify(lines.slice(from));
    expect(logged).toContain('"operation":"Inline"');
    expect(logged).not.toContain(SECRET_TEXT);
    expect(logged).not.toContain('sendMessage(');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteSessionWithResultDocument,
  ExportMyDataDocument,
  PauseSessionDocument,
  RegenerateReplyDocument,
  ResumeSessionWithMessagesDocument,
  SendMessageDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { expectCode } from '../support/e2e-helpers';
import { CountingCoach } from '../support/counting-coach';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { partition } from '../support/store-helpers';

// regenerateReply over HTTP against DynamoDB Local: the new reply replaces the old one
// everywhere it is read, replays return the current reply, errors change nothing, and
// concurrent calls fire one model call.

const RESULT = { type: 'object', properties: { summary: { type: 'string', maxLength: 300 } }, required: ['summary'], additionalProperties: false };
const TOPICS = [
  { id: 'short', name: 'Short', settings: { inactivityTimeoutMinutes: 0, maxTurns: 1 }, resultSchema: RESULT },
  { id: 'open', name: 'Open', resultSchema: RESULT },
];

let dir: string;
let server: TestServer;
const coach = new CountingCoach();
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-regenerate-'));
  writeFileSync(join(dir, 'topics.json'), JSON.stringify(TOPICS));
  server = await startTestServer({ env: { TOPICS_FILE: join(dir, 'topics.json') }, coach });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A user of their own (a tenant each) with one exchange in a session of `topicId`. */
async function exchange(topicId = 'open') {
  const tenantId = `regen-${++n}`;
  const token = await tokenFor(tenantId, 'alice');
  const session = ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: session.id, content: 'I want to lead a team.', clientMessageId: 'u-1' }, token)).sendMessage;
  await server.app.settled(); // the title the first exchange asks for, written in the background
  return { tenantId, token, id: session.id, message: sent.message, reply: sent.reply };
}

const regenerate = (token: string, sessionId: string, messageId: string, clientMessageId?: string) =>
  gql(server.url, RegenerateReplyDocument, { sessionId, messageId, clientMessageId }, token);
const messagesOf = async (token: string, id: string) => ok(await gql(server.url, SessionDocument, { id, first: 50 }, token)).session!;
const stored = (tenantId: string, id: string) => partition(server.table, tenantId, id);

test('the new reply has a new id, answers the same message, and replaces the old one in pages, export and replays', async () => {
  const { token, id, message, reply } = await exchange();
  const calls = coach.replies;
  const fresh = ok(await regenerate(token, id, reply.id, 'g-1')).regenerateReply;
  expect(coach.replies).toBe(calls + 1);
  expect(fresh).toMatchObject({ id: `${id}:3r1`, role: 'ASSISTANT', inReplyTo: message.id, clientMessageId: 'u-1' });
  expect(fresh.content).not.toBe(reply.content);

  const session = await messagesOf(token, id);
  expect(session).toMatchObject({ turnCount: 1, messageCount: 3 });
  expect(session.messages.edges.map((e) => e.node.id)).toEqual([`${id}:1`, message.id, fresh.id]);
  expect(session.messages.edges[2].node).toEqual(fresh);
  const exported = ok(await gql(server.url, ExportMyDataDocument, { first: 100 }, token)).exportMyData.records as { id?: string; content?: string }[];
  expect(exported.find((r) => r.id === fresh.id)?.content).toBe(fresh.content);
  expect(JSON.stringify(exported)).not.toContain(reply.content);

  // Replays: the user's message returns the current reply; the regenerate's id the same new one; no model call.
  const resent = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'I want to lead a team.', clientMessageId: 'u-1' }, token)).sendMessage;
  expect(resent.reply).toEqual(fresh);
  const again = ok(await regenerate(token, id, reply.id, 'g-1')).regenerateReply;
  expect(again).toEqual(fresh);
  expect(coach.replies).toBe(calls + 1);

  // The old id is no longer the latest reply; the new one can be regenerated in turn.
  expectCode(await regenerate(token, id, reply.id, 'g-2'), 'BAD_USER_INPUT');
  const third = ok(await regenerate(token, id, fresh.id, 'g-2')).regenerateReply;
  expect(third.id).toBe(`${id}:3r2`);
  // g-1 replayed after that: the current reply.
  expect(ok(await regenerate(token, id, reply.id, 'g-1')).regenerateReply).toEqual(third);
});

test('the coach never sees the old reply: the next turn and the result extraction read only the current one', async () => {
  const { token, id, reply } = await exchange();
  const fresh = ok(await regenerate(token, id, reply.id)).regenerateReply;
  let from = coach.given.length;
  ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'And to keep learning.' }, token));
  expect(coach.givenSince(from)).toContain(fresh.content);
  expect(coach.givenSince(from)).not.toContain(reply.content);
  from = coach.given.length;
  expect(ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: id }, token)).completeSession.result).not.toBeNull();
  expect(coach.given.length).toBe(from + 1);
  expect(coach.givenSince(from)).toContain(fresh.content);
  expect(coach.givenSince(from)).not.toContain(reply.content);
});

test('maxTurns: a regenerate is not a turn (works with every turn used, turnCount unchanged); a welcome back sees only the new reply', async () => {
  const { token, id, reply } = await exchange('short');
  expectCode(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'One more.' }, token), 'MAX_TURNS_REACHED');
  const fresh = ok(await regenerate(token, id, reply.id)).regenerateReply;
  expect((await messagesOf(token, id)).turnCount).toBe(1);
  const from = coach.given.length;
  ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, token));
  const resumed = ok(await gql(server.url, ResumeSessionWithMessagesDocument, { sessionId: id }, token)).resumeSession;
  expect(resumed.messages.edges.at(-1)!.node.content).toMatch(/^Welcome back/);
  expect(coach.givenSince(from)).toContain(fresh.content);
  expect(coach.givenSince(from)).not.toContain(reply.content);
  // After the welcome back the reply is no longer the latest message.
  expectCode(await regenerate(token, id, fresh.id), 'BAD_USER_INPUT');
});

test('every error has its code and changes nothing', async () => {
  const { tenantId, token, id, message, reply } = await exchange();
  const before = await stored(tenantId, id);
  const calls = coach.replies;
  const other = await tokenFor(tenantId, 'bob');
  const cases: [string, Promise<Awaited<ReturnType<typeof regenerate>>>, string][] = [
    ['another user\'s session', regenerate(other, id, reply.id), 'NOT_FOUND'],
    ['an unknown session', regenerate(token, 'ses_00000000000000000000000000', 'ses_00000000000000000000000000:3'), 'NOT_FOUND'],
    ['an unknown message', regenerate(token, id, `${id}:9`), 'NOT_FOUND'],
    ['a revision never made', regenerate(token, id, `${id}:3r4`), 'NOT_FOUND'],
    ['a malformed id', regenerate(token, id, 'nonsense'), 'BAD_USER_INPUT'],
    ['a user message', regenerate(token, id, message.id), 'BAD_USER_INPUT'],
    ['the opening', regenerate(token, id, `${id}:1`), 'BAD_USER_INPUT'],
    ['a bad clientMessageId', regenerate(token, id, reply.id, 'has space'), 'BAD_USER_INPUT'],
  ];
  for (const [what, result, code] of cases) expect([what, codeOf(await result)]).toEqual([what, code]);

  // A coach failure: COACH_UNAVAILABLE, the claim let go, the old reply kept.
  coach.failNext();
  expectCode(await regenerate(token, id, reply.id, 'g-fail'), 'COACH_UNAVAILABLE');
  expect(await stored(tenantId, id)).toEqual(before);
  expect(coach.replies).toBe(calls + 1);

  // Not the latest reply: a second exchange made the first reply older.
  const second = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Second.' }, token)).sendMessage;
  const after = await stored(tenantId, id);
  expectCode(await regenerate(token, id, reply.id), 'BAD_USER_INPUT');
  // The id of one regenerate used again for another reply.
  ok(await regenerate(token, id, second.reply.id, 'g-used'));
  const used = await stored(tenantId, id);
  expectCode(await regenerate(token, id, `${id}:1`, 'g-used'), 'BAD_USER_INPUT');
  expect(await stored(tenantId, id)).toEqual(used);
  expect(after.length).toBe(used.length - 1); // the record of g-used

  ok(await gql(server.url, PauseSessionDocument, { sessionId: id }, token));
  const paused = await stored(tenantId, id);
  expectCode(await regenerate(token, id, `${id}:5r1`), 'SESSION_NOT_ACTIVE');
  ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: id }, token));
  const completed = await stored(tenantId, id);
  expectCode(await regenerate(token, id, `${id}:5r1`), 'SESSION_NOT_ACTIVE');
  expect(await stored(tenantId, id)).toEqual(completed);
  expect(paused.length).toBe(completed.length);
});

test('the same clientMessageId twice at once: one model call, the same reply for both', async () => {
  const { token, id, reply } = await exchange();
  const calls = coach.replies;
  const release = coach.holdNext();
  const first = regenerate(token, id, reply.id, 'same');
  const second = regenerate(token, id, reply.id, 'same');
  await waitFor(() => coach.replies === calls + 1);
  release();
  const [a, b] = await Promise.all([first, second]);
  expect(ok(a).regenerateReply).toEqual(ok(b).regenerateReply);
  expect(coach.replies).toBe(calls + 1);
});

test('two different regenerates at once: exactly one wins, the other is SESSION_BUSY or not the latest, never an internal error', async () => {
  const { token, id, reply } = await exchange();
  const calls = coach.replies;
  const release = coach.holdNext();
  const first = regenerate(token, id, reply.id, 'one');
  await waitFor(() => coach.replies === calls + 1);
  const second = await regenerate(token, id, reply.id, 'two');
  expect(['SESSION_BUSY', 'BAD_USER_INPUT']).toContain(codeOf(second));
  release();
  const won = ok(await first).regenerateReply;
  expect(coach.replies).toBe(calls + 1);
  const last = (await messagesOf(token, id)).messages.edges.at(-1)!.node;
  expect(last).toEqual(won);
  // Both at once, neither held: one reply stored, each call answered clearly.
  const results = await Promise.all(['x', 'y', 'z'].map((c) => regenerate(token, id, won.id, c)));
  const codes = results.map((r) => codeOf(r) ?? 'OK');
  expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
  for (const c of codes) expect(['OK', 'SESSION_BUSY', 'BAD_USER_INPUT']).toContain(c);
});

test('a message sent while a regenerate runs: both the message and its reply are kept; the regenerate is refused, the old reply stays', async () => {
  const { tenantId, token, id, reply } = await exchange();
  const release = coach.holdNext();
  const calls = coach.replies;
  const regenerating = regenerate(token, id, reply.id, 'race');
  await waitFor(() => coach.replies === calls + 1);
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: id, content: 'Meanwhile, a new thought.', clientMessageId: 'u-2' }, token)).sendMessage;
  release();
  expectCode(await regenerating, 'BAD_USER_INPUT');
  const session = await messagesOf(token, id);
  expect(session.turnCount).toBe(2);
  expect(session.messages.edges.map((e) => e.node).slice(2)).toEqual([reply, sent.message, sent.reply]);
  // No claim is left on the old reply.
  const old = (await stored(tenantId, id)).find((i) => i.sk === 'MSG#00000003')!;
  expect(Object.keys(old).filter((k) => k.startsWith('regen'))).toEqual([]);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

test('cost: a regenerate is 6 requests, and 7 WCU: the claim and one transaction (the server\'s own counters)', async () => {
  const { token, id, reply } = await exchange();
  ok(await gql(server.url, TopicsDocument, {}, token)); // the tenant's topics cached: not counted below
  const totals = server.app.dynamoTotals;
  const before = { ...totals, byCommand: { ...totals.byCommand } };
  ok(await regenerate(token, id, reply.id, 'g-cost'));
  const commands = Object.fromEntries(Object.entries(totals.byCommand).map(([k, v]) => [k, v - (before.byCommand[k] ?? 0)]).filter(([, v]) => v));
  // The session and the record, the reply with its message, the claim, the coach's history, the replacement.
  expect(commands).toEqual({ GetItemCommand: 2, BatchGetItemCommand: 1, UpdateItemCommand: 1, QueryCommand: 1, TransactWriteItemsCommand: 1 });
  // DynamoDB Local: 1 for the claim, 2 per item of the transaction (reply, session, record).
  expect(totals.writeCapacity - before.writeCapacity).toBe(7);
});

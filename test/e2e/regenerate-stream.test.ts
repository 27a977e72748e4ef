import {
  PauseSessionDocument,
  RegenerateReplyStreamDocument,
  RegenerateReplyStreamSubscription,
  SendMessageDocument,
  SessionDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { CountingCoach } from '../support/counting-coach';
import { gql, ok, tokenFor } from '../support/server';
import { subscribeTo } from '../support/ws-client';
import { twoProcesses } from '../support/two-processes';

// regenerateReplyStream over graphql-ws: the new reply's pieces, then the stored reply; a
// retry with the same clientMessageId (same process, or another one on the same table)
// never calls the model a second time.

type Events = RegenerateReplyStreamSubscription[];

const coachA = new CountingCoach();
const coachB = new CountingCoach();
let n = 0;
const procs = twoProcesses(coachA, coachB);
const { connect } = procs; // first and second are read from procs: they exist once beforeAll has run

async function exchange() {
  const token = await tokenFor(`regen-ws-${++n}`, 'alice');
  const session = ok(await gql(procs.first.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  const sent = ok(await gql(procs.first.url, SendMessageDocument, { sessionId: session.id, content: 'I want to write a book.', clientMessageId: 'u-1' }, token)).sendMessage;
  return { token, id: session.id, message: sent.message, reply: sent.reply };
}

const deltas = (events: Events) => events.flatMap((e) => (e.regenerateReplyStream.delta === null ? [] : [e.regenerateReplyStream.delta]));
const lastOf = (events: Events) => events[events.length - 1].regenerateReplyStream;
const messagesOf = async (token: string, id: string) => ok(await gql(procs.first.url, SessionDocument, { id, first: 50 }, token)).session!;

test('pieces, then the stored reply with the session; no message event; the reply replaces the old one', async () => {
  const { token, id, message, reply } = await exchange();
  const calls = coachA.replies;
  const sub = subscribeTo(connect(procs.first, token), RegenerateReplyStreamDocument, { sessionId: id, messageId: reply.id, clientMessageId: 'g-1' });
  expect(await sub.ended).toEqual({});
  expect(coachA.replies).toBe(calls + 1);
  const events = sub.events.map((e) => e.regenerateReplyStream);
  expect(events.length).toBeGreaterThan(2);
  expect(events.slice(0, -1).every((e) => e.delta !== null && e.reply === null && e.session === null)).toBe(true);
  const last = lastOf(sub.events);
  expect(last.reply).toMatchObject({ id: `${id}:3r1`, inReplyTo: message.id, role: 'ASSISTANT' });
  expect(deltas(sub.events).join('')).toBe(last.reply!.content);
  expect(last.session).toMatchObject({ id, turnCount: 1, messageCount: 3 });
  const stored = await messagesOf(token, id);
  expect(stored.messages.edges.map((e) => e.node)).toEqual([expect.anything(), message, last.reply]);

  // Subscribing again with the same id: the reply whole, then the reply; no model call.
  const replay = subscribeTo(connect(procs.first, token), RegenerateReplyStreamDocument, { sessionId: id, messageId: reply.id, clientMessageId: 'g-1' });
  expect(await replay.ended).toEqual({});
  expect(deltas(replay.events)).toEqual([last.reply!.content]);
  expect(lastOf(replay.events).reply).toEqual(last.reply);
  expect(coachA.replies).toBe(calls + 1);
});

test('dropped while the model writes: the same id on the same process follows the running regenerate (one model call)', async () => {
  const { token, id, reply } = await exchange();
  const calls = coachA.replies;
  const release = coachA.holdNext();
  const args = { sessionId: id, messageId: reply.id, clientMessageId: 'g-drop' };
  const ws = connect(procs.first, token);
  subscribeTo(ws, RegenerateReplyStreamDocument, args);
  await until(() => coachA.replies === calls + 1);
  ws.drop();
  const back = subscribeTo(connect(procs.first, token), RegenerateReplyStreamDocument, args);
  release();
  expect(await back.ended).toEqual({});
  expect(coachA.replies).toBe(calls + 1);
  const fresh = lastOf(back.events).reply!;
  expect(deltas(back.events).join('')).toBe(fresh.content);
  expect((await messagesOf(token, id)).messages.edges.at(-1)!.node).toEqual(fresh);
});

test('the same id on another process waits for the running regenerate instead of calling its own model', async () => {
  const { token, id, reply } = await exchange();
  const [callsA, callsB] = [coachA.replies, coachB.replies];
  const release = coachA.holdNext();
  const args = { sessionId: id, messageId: reply.id, clientMessageId: 'g-two' };
  const onA = subscribeTo(connect(procs.first, token), RegenerateReplyStreamDocument, args);
  await until(() => coachA.replies === callsA + 1);
  const onB = subscribeTo(connect(procs.second, token), RegenerateReplyStreamDocument, args);
  // A different id on the other process is refused while the reply is claimed.
  const other = subscribeTo(connect(procs.second, token), RegenerateReplyStreamDocument, { ...args, clientMessageId: 'g-other' });
  expect((await other.ended).errors?.[0].extensions?.code).toBe('SESSION_BUSY');
  release();
  expect(await onA.ended).toEqual({});
  expect(await onB.ended).toEqual({});
  expect(lastOf(onB.events).reply).toEqual(lastOf(onA.events).reply);
  expect(deltas(onB.events).join('')).toBe(lastOf(onA.events).reply!.content);
  expect([coachA.replies - callsA, coachB.replies - callsB]).toEqual([1, 0]);
});

test('errors end the stream with the mutation\'s codes and store nothing', async () => {
  const { token, id, message, reply } = await exchange();
  const ws = connect(procs.first, token);
  const codeFor = async (messageId: string, clientMessageId?: string) =>
    (await subscribeTo(ws, RegenerateReplyStreamDocument, { sessionId: id, messageId, clientMessageId }).ended).errors?.[0].extensions?.code;
  expect(await codeFor(`${id}:9`)).toBe('NOT_FOUND');
  expect(await codeFor(message.id)).toBe('BAD_USER_INPUT');
  expect(await codeFor(reply.id, 'not valid!')).toBe('BAD_USER_INPUT');
  ok(await gql(procs.first.url, PauseSessionDocument, { sessionId: id }, token));
  expect(await codeFor(reply.id)).toBe('SESSION_NOT_ACTIVE');
  const stored = await messagesOf(token, id);
  expect(stored.messages.edges.map((e) => e.node).at(-1)).toEqual(reply);
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

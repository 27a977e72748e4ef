import { SendMessageStreamDocument, SendMessageStreamSubscription, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { eventually, sleep } from '../support/e2e-helpers';
import { gql, ok, startTestServer, tokenFor } from '../support/server';
import { scanAll } from '../support/store-helpers';
import { StreamCoach } from '../support/stream-coach';
import { subscribeTo } from '../support/ws-client';
import { twoProcesses } from '../support/two-processes';

// A stream whose socket drops, and its subscriber coming back with the same clientMessageId:
// to the same process, or (no sticky sessions) to another one on the same table.

type Events = { sendMessageStream: SendMessageStreamSubscription['sendMessageStream'] }[];

const coachA = new StreamCoach();
const coachB = new StreamCoach();
const procs = twoProcesses(coachA, coachB);
const { connect } = procs; // first and second are read from procs: they exist once beforeAll has run

async function sessionOf(user: string) {
  const token = await tokenFor(`t-${user}`, user);
  const session = ok(await gql(procs.first.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  return { token, id: session.id };
}

const messagesOf = async (token: string, id: string) =>
  ok(await gql(procs.first.url, SessionDocument, { id, first: 50 }, token)).session!.messages.edges.map((e) => e.node);
const deltas = (events: Events) => events.flatMap((e) => (e.sendMessageStream.delta === null ? [] : [e.sendMessageStream.delta]));
const lastOf = (events: Events) => events[events.length - 1].sendMessageStream;

test('dropped mid-stream: the reply is still stored; re-subscribing follows it while it is written, then replays it, writing nothing', async () => {
  const { token, id } = await sessionOf('alice');
  const send = { sessionId: id, content: 'I keep starting projects I never finish.', clientMessageId: 'c-1' };
  const release = coachA.holdAfterFirst();
  const streamsBefore = coachA.streams;

  const ws = connect(procs.first, token);
  const dropped = subscribeTo(ws, SendMessageStreamDocument, send);
  await dropped.after(2); // the message and the first piece
  const message = dropped.events[0].sendMessageStream.message!;
  ws.drop(); // no close handshake, as a lost network would

  // Back on the same process while the reply is still being written: the piece so far, then the rest.
  const back = subscribeTo(connect(procs.first, token), SendMessageStreamDocument, send);
  await back.after(2);
  expect(back.events[0].sendMessageStream.message).toEqual(message);
  expect(deltas(back.events)).toEqual(deltas(dropped.events));
  release();
  expect(await back.ended).toEqual({});
  const reply = lastOf(back.events).reply!;
  expect(deltas(back.events).join('')).toBe(reply.content);
  expect(coachA.streams - streamsBefore).toBe(1); // one model call for the turn

  const stored = await messagesOf(token, id);
  expect(stored.slice(1)).toEqual([message, reply]);

  // Once stored: the replay is the message, its text, the reply; no write, no model call.
  const before = await scanAll(procs.first.table);
  for (const server of [procs.first, procs.second]) {
    const replay = subscribeTo(connect(server, token), SendMessageStreamDocument, send);
    expect(await replay.ended).toEqual({});
    expect(replay.events[0].sendMessageStream.message).toEqual(message);
    expect(deltas(replay.events).join('')).toBe(reply.content);
    expect(lastOf(replay.events).reply).toEqual(reply);
  }
  expect(await scanAll(procs.first.table)).toEqual(before);
  expect(coachA.streams - streamsBefore).toBe(1);
  expect(coachB.streams).toBe(0);
});

test('nobody re-subscribes: a stream dropped mid-way still stores its reply', async () => {
  const { token, id } = await sessionOf('bob');
  const release = coachA.holdAfterFirst();
  const ws = connect(procs.first, token);
  const sub = subscribeTo(ws, SendMessageStreamDocument, { sessionId: id, content: 'Gone in a tunnel.', clientMessageId: 'c-1' });
  await sub.after(2);
  ws.drop();
  await sleep(100);
  release();
  expect(await eventually(async () => (await messagesOf(token, id)).length === 3, 10_000, 50)).toBe(true);
  const [, mine, reply] = await messagesOf(token, id);
  expect(mine).toMatchObject({ content: 'Gone in a tunnel.', clientMessageId: 'c-1' });
  expect(reply).toMatchObject({ role: 'ASSISTANT', inReplyTo: mine.id, clientMessageId: 'c-1' });
  expect(reply.content.startsWith(deltas(sub.events)[0])).toBe(true);
});

test("re-subscribing on another process waits for the first one's reply (through the store), then completes with it; one reply stored", async () => {
  const { token, id } = await sessionOf('carol');
  const send = { sessionId: id, content: 'Which of my goals comes first?', clientMessageId: 'c-7' };
  const release = coachA.holdAfterFirst();
  const streamsBefore = coachA.streams;

  const onA = connect(procs.first, token);
  const dropped = subscribeTo(onA, SendMessageStreamDocument, send);
  await dropped.after(2);
  onA.drop();

  // The load balancer sends the reconnect to B: B has no stream of its own for it.
  const onB = subscribeTo(connect(procs.second, token), SendMessageStreamDocument, send);
  await onB.after(1);
  await sleep(400); // B polls the store meanwhile
  expect(onB.events).toHaveLength(1);
  expect(onB.events[0].sendMessageStream.message).toEqual(dropped.events[0].sendMessageStream.message);

  release();
  expect(await onB.ended).toEqual({});
  const reply = lastOf(onB.events).reply!;
  expect(deltas(onB.events).join('')).toBe(reply.content);
  expect(coachB.streams).toBe(0);
  expect(coachA.streams - streamsBefore).toBe(1);
  const stored = await messagesOf(token, id);
  expect(stored.map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
  expect(stored[2]).toEqual(reply);
});

test('two tabs on two processes send the same message at once: one message, one reply, both streams end with it', async () => {
  const { token, id } = await sessionOf('dave');
  const send = { sessionId: id, content: 'Sent from two tabs.', clientMessageId: 'c-2' };
  const [a, b] = [subscribeTo(connect(procs.first, token), SendMessageStreamDocument, send), subscribeTo(connect(procs.second, token), SendMessageStreamDocument, send)];
  const [ea, eb] = await Promise.all([a.ended, b.ended]);
  expect(ea).toEqual({});
  expect(eb).toEqual({});
  expect(lastOf(a.events).reply).toEqual(lastOf(b.events).reply);
  for (const sub of [a, b]) expect(deltas(sub.events).join('')).toBe(lastOf(sub.events).reply!.content);
  expect((await messagesOf(token, id)).map((m) => m.role)).toEqual(['ASSISTANT', 'USER', 'ASSISTANT']);
});

test('a process shutting down closes its sockets (1001) but stores the replies being streamed; the client replays them from another', async () => {
  const coachC = new StreamCoach();
  const leaving = await startTestServer({ table: procs.first.table, coach: coachC });
  const { token, id } = await sessionOf('erin');
  const send = { sessionId: id, content: 'Deploy day.', clientMessageId: 'c-3' };
  const release = coachC.holdAfterFirst();
  const ws = connect(leaving, token);
  const sub = subscribeTo(ws, SendMessageStreamDocument, send);
  await sub.after(2);
  const stopped = leaving.stop();
  expect((await ws.closed).code).toBe(1001);
  release();
  await stopped; // shutdown waits for the reply to be stored
  const replay = subscribeTo(connect(procs.second, token), SendMessageStreamDocument, send);
  expect(await replay.ended).toEqual({});
  const reply = lastOf(replay.events).reply!;
  expect(reply.content.startsWith(deltas(sub.events)[0])).toBe(true);
  expect((await messagesOf(token, id)).slice(1)).toEqual([replay.events[0].sendMessageStream.message, reply]);
  expect(coachB.streams).toBe(0);
});

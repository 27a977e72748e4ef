import {
  MySessionsDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { gql, ok, tokenFor } from '../support/server';
import { twoProcesses } from '../support/two-processes';

// Two "processes" on one table: each its own HTTP server, Apollo, service and DynamoDB client.
const procs = twoProcesses();
const urls = () => [procs.first.url, procs.second.url];

test('30 users of one tenant start one free topic at once on two servers: exactly one wins, 29 get SESSION_CONFLICT naming the winner', async () => {
  const users = Array.from({ length: 30 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
  const tokens = await Promise.all(users.map((u) => tokenFor('race', u)));
  const results = await Promise.all(tokens.map((t, i) => gql(urls()[i % 2], StartSessionDocument, { topicId: 'purpose' }, t)));

  const wins = results.map((r, i) => ({ r, user: users[i] })).filter(({ r }) => !r.errors?.length);
  const losses = results.filter((r) => r.errors?.length);
  expect(wins).toHaveLength(1);
  const winner = wins[0].user;
  const session = wins[0].r.data!.startSession;
  expect(session).toMatchObject({ userId: winner, topicId: 'purpose', status: 'ACTIVE', messageCount: 1 });

  expect(losses).toHaveLength(29);
  for (const loss of losses) {
    expect(loss.errors![0].extensions).toMatchObject({ code: 'SESSION_CONFLICT', conflictUserId: winner });
    expect(loss.data ?? null).toBeNull();
  }

  // Both servers agree on the holder, and the winner has exactly one session.
  for (const url of urls()) {
    const mine = ok(await gql(url, SessionCheckDocument, { topicId: 'purpose' }, tokens[users.indexOf(winner)])).sessionCheck;
    expect(mine).toMatchObject({ hasSession: true, sessionId: session.id, conflict: false });
    const loser = users.find((u) => u !== winner)!;
    const theirs = ok(await gql(url, SessionCheckDocument, { topicId: 'purpose' }, tokens[users.indexOf(loser)])).sessionCheck;
    expect(theirs).toMatchObject({ hasSession: false, conflict: true, conflictUserId: winner });
  }
  const winnersSessions = ok(await gql(procs.first.url, MySessionsDocument, { first: 100 }, tokens[users.indexOf(winner)])).mySessions.edges;
  expect(winnersSessions.map((e) => e.node.id)).toEqual([session.id]);
  // No loser got a session of any kind.
  for (const [i, user] of users.entries()) {
    if (user === winner) continue;
    const theirs = ok(await gql(urls()[i % 2], MySessionsDocument, {}, tokens[i])).mySessions.edges;
    expect({ user, sessions: theirs.length }).toEqual({ user, sessions: 0 });
  }
});

test('one user firing 10 simultaneous startSession on two servers gets one session', async () => {
  const token = await tokenFor('race-solo', 'solo');
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => gql(urls()[i % 2], StartSessionDocument, { topicId: 'vision' }, token)),
  );
  for (const r of results) expect(r.errors).toBeUndefined();
  const ids = new Set(results.map((r) => r.data!.startSession.id));
  expect(ids.size).toBe(1);
  const [id] = ids;

  const mine = ok(await gql(procs.second.url, MySessionsDocument, { first: 100 }, token)).mySessions.edges;
  expect(mine.map((e) => e.node.id)).toEqual([id]);
  // Exactly one opening message was stored.
  const session = ok(await gql(procs.first.url, SessionDocument, { id, first: 10 }, token)).session!;
  expect(session.messageCount).toBe(1);
  expect(session.messages.edges).toHaveLength(1);
});

test('simultaneous restarts by the holder leave exactly one live session, the one sessionCheck names', async () => {
  const token = await tokenFor('race-restart', 'holder');
  const original = ok(await gql(procs.first.url, StartSessionDocument, { topicId: 'goals' }, token)).startSession;
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => gql(urls()[i % 2], StartSessionDocument, { topicId: 'goals', restart: true }, token)),
  );
  for (const r of results) expect(r.errors).toBeUndefined();

  const all = ok(await gql(procs.first.url, MySessionsDocument, { first: 100 }, token)).mySessions.edges.map((e) => e.node);
  const live = all.filter((s) => s.status === 'ACTIVE' || s.status === 'PAUSED');
  expect(live).toHaveLength(1);
  expect(live[0].id).not.toBe(original.id);
  expect(all.find((s) => s.id === original.id)?.status).toBe('ABANDONED');
  for (const s of all) if (s.id !== live[0].id) expect(s.status).toBe('ABANDONED');
  const check = ok(await gql(procs.second.url, SessionCheckDocument, { topicId: 'goals' }, token)).sessionCheck;
  expect(check).toMatchObject({ hasSession: true, sessionId: live[0].id, status: 'ACTIVE' });
});

test('simultaneous messages to one session through both servers are all kept, none lost or duplicated', async () => {
  const token = await tokenFor('race-msg', 'talker');
  const { id } = ok(await gql(procs.first.url, StartSessionDocument, { topicId: 'strengths' }, token)).startSession;
  const contents = Array.from({ length: 6 }, (_, i) => `parallel message ${i}`);
  const results = await Promise.all(
    contents.map((content, i) => gql(urls()[i % 2], SendMessageDocument, { sessionId: id, content, clientMessageId: `p-${i}` }, token)),
  );
  for (const r of results) expect(r.errors).toBeUndefined();

  const session = ok(await gql(procs.second.url, SessionDocument, { id, first: 100 }, token)).session!;
  expect(session.messageCount).toBe(1 + 2 * contents.length);
  const messages = session.messages.edges.map((e) => e.node);
  expect(messages).toHaveLength(session.messageCount);
  expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
  const userContents = messages.filter((m) => m.role === 'USER').map((m) => m.content);
  expect(userContents.sort()).toEqual([...contents].sort());
  // Each returned message/reply pair is what was stored.
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const r of results) {
    const { message, reply } = r.data!.sendMessage;
    expect(byId.get(message.id)).toEqual(message);
    expect(byId.get(reply.id)).toEqual(reply);
  }
});

import {
  PauseSessionDocument,
  RateReplyDocument,
  SendMessageDocument,
  SessionRatingsDocument,
  StartSessionDocument,
} from '../generated/graphql/graphql';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

// rateReply (contract, third round): the owner rates a coach message of their ACTIVE session.

let server: TestServer;
let alice: string;
let bob: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = await tokenFor('rate', 'alice');
  bob = await tokenFor('rate', 'bob');
});
afterAll(() => server?.stop());

async function turn() {
  const session = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose', restart: true }, alice)).startSession;
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: session.id, content: 'What matters to me is craft.', clientMessageId: 'r-1' }, alice)).sendMessage;
  return { session, message: sent.message, reply: sent.reply };
}

test('a rating is stored on the coach message, shown to its owner, and replaced by a later one', async () => {
  const { session, reply } = await turn();
  const rated = ok(await gql(server.url, RateReplyDocument, { sessionId: session.id, messageId: reply.id, rating: 4, comment: 'Helpful question' }, alice)).rateReply;
  expect(rated).toEqual({ id: reply.id, role: 'ASSISTANT', rating: 4, ratingComment: 'Helpful question' });
  ok(await gql(server.url, RateReplyDocument, { sessionId: session.id, messageId: reply.id, rating: 2 }, alice));
  const page = ok(await gql(server.url, SessionRatingsDocument, { id: session.id }, alice)).session!.messages.edges.map((e) => e.node);
  expect(page.find((m) => m.id === reply.id)).toEqual({ id: reply.id, role: 'ASSISTANT', rating: 2, ratingComment: null });
  expect(page.filter((m) => m.id !== reply.id).every((m) => m.rating === null)).toBe(true);
});

test('bad input changes nothing: a rating out of range, a user message, a malformed id, a long comment', async () => {
  const { session, message, reply } = await turn();
  const rate = (messageId: string, rating: number, comment?: string) => gql(server.url, RateReplyDocument, { sessionId: session.id, messageId, rating, comment }, alice);
  for (const rating of [0, 6]) expect(codeOf(await rate(reply.id, rating))).toBe('BAD_USER_INPUT');
  expect(codeOf(await rate(message.id, 5))).toBe('BAD_USER_INPUT');
  expect(codeOf(await rate('nonsense', 5))).toBe('BAD_USER_INPUT');
  expect(codeOf(await rate(reply.id, 5, 'x'.repeat(1001)))).toBe('BAD_USER_INPUT');
  expect(codeOf(await rate(reply.id, 5, 'bell \u0007'))).toBe('BAD_USER_INPUT');
  const page = ok(await gql(server.url, SessionRatingsDocument, { id: session.id }, alice)).session!.messages.edges;
  expect(page.every((e) => e.node.rating === null)).toBe(true);
});

test('unknown message or another user\'s session: NOT_FOUND; a paused session: SESSION_NOT_ACTIVE', async () => {
  const { session, reply } = await turn();
  expect(codeOf(await gql(server.url, RateReplyDocument, { sessionId: session.id, messageId: `${session.id}:999`, rating: 5 }, alice))).toBe('NOT_FOUND');
  expect(codeOf(await gql(server.url, RateReplyDocument, { sessionId: session.id, messageId: reply.id, rating: 5 }, bob))).toBe('NOT_FOUND');
  ok(await gql(server.url, PauseSessionDocument, { sessionId: session.id }, alice));
  expect(codeOf(await gql(server.url, RateReplyDocument, { sessionId: session.id, messageId: reply.id, rating: 5 }, alice))).toBe('SESSION_NOT_ACTIVE');
});

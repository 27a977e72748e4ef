import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { growConversation as grow } from '../src/store/seed-conversation';
import { signToken } from '../src/auth/dev-token';

export const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';
export const token = (tenantId: string, userId = 'u') => signToken(SECRET, { tenantId, userId, expiresIn: '24h' });

/** The frontend's selections (operations/sessions.graphql), as raw documents. */
const SESSION_FIELDS = 'id topicId userId status createdAt updatedAt lastActivityAt endedAt expiresAt isIdle idleSince messageCount';
const MESSAGE_FIELDS = 'id role content createdAt';
export const DOCS = {
  sessionCheck: 'query SessionCheck($topicId: ID!) { sessionCheck(topicId: $topicId) { hasSession sessionId status isIdle conflict conflictUserId } }',
  startSession: `mutation StartSession($topicId: ID!, $restart: Boolean) { startSession(topicId: $topicId, restart: $restart) { ${SESSION_FIELDS} messages(last: 20) { edges { node { ${MESSAGE_FIELDS} } } } } }`,
  startSessionBare: `mutation StartSession($topicId: ID!) { startSession(topicId: $topicId) { ${SESSION_FIELDS} } }`,
  sendMessage: `mutation SendMessage($sessionId: ID!, $content: String!, $clientMessageId: ID) { sendMessage(sessionId: $sessionId, content: $content, clientMessageId: $clientMessageId) { session { ${SESSION_FIELDS} } message { ${MESSAGE_FIELDS} } reply { ${MESSAGE_FIELDS} } } }`,
  sessionPage: `query Session($id: ID!, $first: Int) { session(id: $id) { ${SESSION_FIELDS} messages(first: $first) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`,
  mySessions: `query MySessions($first: Int) { mySessions(first: $first) { edges { cursor node { ${SESSION_FIELDS} topic { id name } } } pageInfo { hasNextPage endCursor } } }`,
  pause: 'mutation Pause($sessionId: ID!) { pauseSession(sessionId: $sessionId) { id status } }',
};

export const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

export async function gql<T = Record<string, unknown>>(url: string, tok: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` }, body: body(query, variables) });
  const json = (await res.json()) as { data?: T; errors?: unknown[] };
  if (json.errors?.length || !json.data) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
  return json.data;
}

/** Starts (or resumes) the caller's session on a topic; returns its id. */
export async function startSession(url: string, tok: string, topicId: string): Promise<string> {
  const d = await gql<{ startSession: { id: string } }>(url, tok, DOCS.startSessionBare, { topicId });
  return d.startSession.id;
}

export const USER_TEXT = 'I feel most myself when I help a colleague grow and see them take on something new.';
export const COACH_TEXT =
  'You said "I feel most myself when I help a colleague grow and see them take on something new". There is a pattern forming in what you describe. What value was being honoured in that moment?';

/** A conversation grown to `total` messages of the bench's texts (src/store/seed-conversation.ts). */
export const growConversation = (doc: DynamoDBDocumentClient, table: string, tenantId: string, sessionId: string, total: number) =>
  grow(doc, table, { tenantId, sessionId }, total, (seq) => (seq % 2 === 0 ? USER_TEXT : COACH_TEXT));

export async function parallel<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

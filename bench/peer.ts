import { CreateTableCommand, DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AIMessage, HumanMessage } from '@langchain/core/messages';
// The store most chat apps on DynamoDB start from (CommonJS entry of @langchain/community).
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { lastSeqOf, Session, touched } from '../src/domain/session';
import { DEFAULT_SETTINGS } from '../src/defaults';
import { DynamoSessionRepository } from '../src/store/dynamo-session-repository';
import { emptyStats, instrumentClient, RequestStats } from '../src/store/request-stats';
import { LoadResult, loop, round } from './load';
import { COACH_TEXT, USER_TEXT } from './seed';

export interface PeerCosts {
  requestsPerOp: number;
  rcuPerOp: number;
  wcuPerOp: number;
}

export interface PeerPoint {
  size: number;
  op: 'append' | 'appendReply' | 'last50';
  ours: LoadResult & PeerCosts;
  langchain: LoadResult & PeerCosts;
  /** ours.rps / langchain.rps */
  ratio: number;
}

export const PEER_TABLE = 'peer-langchain';
/** Where the bench's reply appends go: far past any conversation it grows. */
const REPLY_SEQS = 10_000_000;

/** LangChain's default layout: one item per conversation, key `id`, messages in a list attribute. */
export async function createPeerTable(client: DynamoDBClient) {
  await client.send(
    new CreateTableCommand({
      TableName: PEER_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
}

export interface PeerConversation {
  size: number;
  /** Our side: tenant and session of each conversation (grown to `size`). */
  ours: { tenantId: string; sessionId: string }[];
  /** LangChain's side: one history per conversation (made once, not per call). */
  theirs: DynamoDBChatMessageHistory[];
}

/** LangChain histories with the server's client configuration; counted like ours. */
export async function seedLangchain(
  clientConfig: DynamoDBClientConfig,
  totals: RequestStats,
  size: number,
  count: number,
  prefix: string,
): Promise<DynamoDBChatMessageHistory[]> {
  const histories: DynamoDBChatMessageHistory[] = [];
  for (let i = 0; i < count; i++) {
    const h = new DynamoDBChatMessageHistory({ tableName: PEER_TABLE, sessionId: `${prefix}-${size}-${i}`, config: clientConfig });
    instrumentClient((h as unknown as { client: DynamoDBClient }).client, totals);
    const messages = Array.from({ length: size }, (_, n) => (n % 2 === 0 ? new AIMessage(COACH_TEXT) : new HumanMessage(USER_TEXT)));
    for (let j = 0; j < messages.length; j += 200) await h.addMessages(messages.slice(j, j + 200));
    histories.push(h);
  }
  return histories;
}

/**
 * Append one message and load the last 50, ours against LangChain's, same DynamoDB Local,
 * same concurrency (one conversation per worker). LangChain appends with one UpdateItem of
 * its one item (list_append). Ours appends as the service does:
 * - `append`, a user's message: read the session (for its version), then one transaction
 *   (the session's changed attributes, the hold's, the message), keeping the next seq for
 *   the reply;
 * - `appendReply`, a coach reply: one transaction (the reply into its kept seq, the count).
 *   Each goes into a seq of its own far past the conversation (a kept seq with no message
 *   in it costs the same as any), so that no user message has to be written for it.
 */
export async function runPeer(
  conv: PeerConversation,
  repo: DynamoSessionRepository,
  ourTotals: RequestStats,
  theirTotals: RequestStats,
  durationSec: number,
): Promise<PeerPoint[]> {
  const c = conv.ours.length;
  // The session each worker's replies go to (read once: a reply needs no version).
  const session: (Session | undefined)[] = [];
  const ours = {
    append: async (w: number) => {
      const { tenantId, sessionId } = conv.ours[w];
      const now = Date.now();
      const s = (await repo.getSession(tenantId, sessionId, now))!;
      const seq = lastSeqOf(s) + 1;
      const next: Session = { ...touched(s, 'ACTIVE', now, DEFAULT_SETTINGS), messageCount: s.messageCount + 1, turnCount: (s.turnCount ?? 0) + 1, lastSeq: seq + 1 };
      await repo.appendMessage(s, next, { sessionId, seq, role: 'USER', content: USER_TEXT, createdAt: now, authorId: s.userId }, null, now);
    },
    appendReply: async (w: number, i: number) => {
      const { tenantId, sessionId } = conv.ours[w];
      const now = Date.now();
      session[w] ??= (await repo.getSession(tenantId, sessionId, now))!;
      const seq = REPLY_SEQS + i * 2;
      await repo.appendReply(session[w]!, { sessionId, seq, role: 'ASSISTANT', content: COACH_TEXT, createdAt: now, replyTo: seq - 1 }, now);
    },
    last50: async (w: number) => {
      const { tenantId, sessionId } = conv.ours[w];
      const page = await repo.listMessages(tenantId, sessionId, { direction: 'backward', from: null, limit: 50 }, Date.now());
      if (page.length !== Math.min(50, conv.size)) throw new Error(`ours: expected ${Math.min(50, conv.size)} messages, got ${page.length}`);
    },
  };
  const theirs = {
    append: (w: number) => conv.theirs[w].addMessage(new HumanMessage(USER_TEXT)),
    appendReply: (w: number) => conv.theirs[w].addMessage(new AIMessage(COACH_TEXT)),
    last50: async (w: number) => {
      const all = await conv.theirs[w].getMessages();
      if (all.slice(-50).length !== Math.min(50, all.length)) throw new Error('langchain: short page');
    },
  };
  const points: PeerPoint[] = [];
  // Load first (it does not grow the conversations), then append.
  for (const op of ['last50', 'append', 'appendReply'] as const) {
    const a = await measure(() => loop(c, (w, i) => ours[op](w, i), { durationSec }), ourTotals);
    const b = await measure(() => loop(c, (w) => theirs[op](w), { durationSec }), theirTotals);
    points.push({ size: conv.size, op, ours: a, langchain: b, ratio: round(a.rps / b.rps) });
  }
  return points;
}

async function measure(run: () => Promise<LoadResult>, totals: RequestStats): Promise<LoadResult & PeerCosts> {
  const before = { ...totals };
  const r = await run();
  const n = Math.max(r.requests, 1);
  return {
    ...r,
    rps: round(r.rps, 0),
    requestsPerOp: round((totals.requests - before.requests) / n),
    rcuPerOp: round((totals.readCapacity - before.readCapacity) / n),
    wcuPerOp: round((totals.writeCapacity - before.writeCapacity) / n),
  };
}

export const newTotals = emptyStats;
export type { DynamoDBDocumentClient };

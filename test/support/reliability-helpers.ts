import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../src/embedded/dynamo-local';
import { SendMessageDocument, SessionDocument } from '../generated/graphql/graphql';
import { createTestTable, TestTable } from './dynamo';
import { ServerProcess, spawnServer, waitHealthy } from './e2e-helpers';
import { gql, GqlResult, TEST_SECRET } from './server';

export { tableOn } from './dynamo';

/**
 * Counts, per SDK command call, how many HTTP attempts it made (retries included): the
 * largest count seen, and how many calls there were. Proves the retry bound by counting.
 */
export function countAttempts(client: DynamoDBClient) {
  const stats = { calls: 0, maxAttempts: 0, attempts: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const mine = context as { __attempts?: number };
      mine.__attempts = 0;
      stats.calls++;
      try {
        return await next(args);
      } finally {
        stats.maxAttempts = Math.max(stats.maxAttempts, mine.__attempts ?? 0);
      }
    },
    { step: 'initialize', name: 'attemptCounterOuter', priority: 'high' },
  );
  // The deserialize step runs inside the retry loop: once per attempt.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const mine = context as { __attempts?: number };
      mine.__attempts = (mine.__attempts ?? 0) + 1;
      stats.attempts++;
      return next(args);
    },
    { step: 'deserialize', name: 'attemptCounterInner', priority: 'high' },
  );
  return stats;
}

export interface Acked {
  sessionId: string;
  message: { id: string; content: string };
  reply: { id: string; content: string };
}

export type SendOutcome = { ok: true; acked: Acked } | { ok: false; code: string; status: number };

/** One sendMessage over HTTP; a network failure counts as code "NETWORK" (the server was gone). */
export async function trySend(url: string, token: string, sessionId: string, content: string, clientMessageId?: string): Promise<SendOutcome> {
  let res: GqlResult<{ sendMessage: { message: { id: string; content: string }; reply: { id: string; content: string } } }>;
  try {
    res = await gql(url, SendMessageDocument, { sessionId, content, clientMessageId }, token);
  } catch {
    return { ok: false, code: 'NETWORK', status: 0 };
  }
  if (res.status === 200 && !res.errors?.length && res.data) {
    const { message, reply } = res.data.sendMessage;
    return { ok: true, acked: { sessionId, message: { id: message.id, content: message.content }, reply: { id: reply.id, content: reply.content } } };
  }
  return { ok: false, code: String(res.errors?.[0]?.extensions?.code ?? `HTTP_${res.status}`), status: res.status };
}

/** Every stored message of a session, through the API (pages of 100), and its messageCount. */
export async function readConversation(url: string, token: string, id: string) {
  const messages: { id: string; role: string; content: string }[] = [];
  let after: string | undefined;
  let messageCount = -1;
  for (let page = 0; page < 100; page++) {
    const res = await gql(url, SessionDocument, { id, first: 100, after }, token);
    if (res.errors?.length || !res.data?.session) throw new Error(`cannot read ${id}: ${JSON.stringify(res.errors)}`);
    const s = res.data.session;
    messageCount = s.messageCount;
    messages.push(...s.messages.edges.map((e) => ({ id: e.node.id, role: e.node.role, content: e.node.content })));
    if (!s.messages.pageInfo.hasNextPage) break;
    after = s.messages.pageInfo.endCursor ?? undefined;
  }
  return { messageCount, messages };
}

/** Asserts that every acknowledged message and reply is stored, once, with its content. */
export function missingAcked(acked: readonly Acked[], stored: Map<string, { id: string; content: string }[]>): string[] {
  const missing: string[] = [];
  for (const a of acked) {
    const messages = stored.get(a.sessionId) ?? [];
    for (const m of [a.message, a.reply]) {
      const found = messages.filter((s) => s.id === m.id);
      if (found.length !== 1 || found[0].content !== m.content) {
        missing.push(`${m.id}: acknowledged ${JSON.stringify(m.content.slice(0, 40))}, stored ${JSON.stringify(found.map((f) => f.content.slice(0, 40)))}`);
      }
    }
  }
  return missing;
}

/** Real server processes (node dist/src/main.js) on one fresh table of the run's DynamoDB Local. */
export interface ServerProcesses {
  table: TestTable;
  procs: ServerProcess[];
  stop(): Promise<void>;
}

export async function serverProcesses(count: number, dataDirPrefix: string): Promise<ServerProcesses> {
  const table = await createTestTable();
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  const env = { DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: table.tableName, JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const procs: ServerProcess[] = [];
  for (let i = 0; i < count; i++) procs.push(spawnServer(env, await freePort()));
  await Promise.all(procs.map((p) => waitHealthy(p)));
  return {
    table,
    procs,
    async stop() {
      await Promise.all(procs.map((p) => p.stop(5000)));
      await table.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What a write needs of the item it writes over (the children's ttl floor, the admin index
 * time) travels with the session in `Session.stored`, not keyed by the object that was read:
 * a spread copy writes with the same requests as the object itself, and a session without
 * it (a listing) reads what it lacks.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClient } from '../../src/store/client';
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { sessionKey } from '../../src/store/items/session';
import { Message, Session, touched } from '../../src/domain/session';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { createTestTable, TestTable } from '../support/dynamo';
import { liveSession } from '../support/session-fixture';

let table: TestTable;
beforeAll(async () => (table = await createTestTable()));
afterAll(() => table.drop());

const T0 = Date.UTC(2026, 6, 1, 9, 0, 0);
const settings = DEFAULT_SETTINGS;

/** A repository whose client counts the commands it sends, by name. */
function countingRepository() {
  const client = createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { repo: new DynamoSessionRepository(documentClient(client), table.tableName), sent, client };
}

async function created(n: number): Promise<{ repo: DynamoSessionRepository; sent: string[]; session: Session }> {
  const { repo, sent } = countingRepository();
  const session = liveSession(n, T0, settings, { tenantId: 'stored', topicId: `topic-${n}` });
  const first: Message = { sessionId: session.id, seq: 1, role: 'ASSISTANT', content: 'hi', createdAt: T0 };
  await repo.createSession(session, first, T0);
  return { repo, sent, session };
}

test('a session read to be written carries its floor and index time in `stored`', async () => {
  const { repo, session } = await created(1);
  const read = (await repo.getSession('stored', session.id, T0))!;
  const item = (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: sessionKey('stored', session.id) }))).Item!;
  expect(read.stored).toEqual({ childTtl: item.childTtl, indexedAt: T0 });
});

test('a spread copy of the session read writes with the same requests as the object itself: one transaction', async () => {
  const { repo, sent, session } = await created(2);
  const read = (await repo.getSession('stored', session.id, T0))!;
  const copy = { ...read };
  sent.length = 0;
  await repo.updateSession(copy, touched(copy, 'PAUSED', T0 + 1000, settings), T0 + 1000);
  expect(sent).toEqual(['TransactWriteItemsCommand']);
});

test('a write records what it stored on the session written: the next write from it (or a copy) reads nothing', async () => {
  const { repo, sent, session } = await created(3);
  const read = (await repo.getSession('stored', session.id, T0))!;
  const paused = touched(read, 'PAUSED', T0 + 1000, settings);
  await repo.updateSession(read, paused, T0 + 1000);
  expect(paused.stored).toEqual({ childTtl: read.stored!.childTtl, indexedAt: T0 });
  sent.length = 0;
  const copy = { ...paused };
  await repo.updateSession(copy, touched(copy, 'ACTIVE', T0 + 2000, settings), T0 + 2000);
  expect(sent).toEqual(['TransactWriteItemsCommand']);
});

test('a listed session has no `stored`: a write from it reads the floor it lacks, then writes', async () => {
  const { repo, sent, session } = await created(4);
  const [listed] = (await repo.listUserSessions('stored', session.userId, { statuses: null, limit: 5, cursor: null }, T0)).sessions.filter((s) => s.id === session.id);
  expect(listed.stored).toBeUndefined();
  sent.length = 0;
  await repo.updateSession(listed, touched(listed, 'PAUSED', T0 + 1000, settings), T0 + 1000);
  expect(sent).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
  const item = (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: sessionKey('stored', session.id) }))).Item!;
  expect(item.status).toBe('PAUSED');
});

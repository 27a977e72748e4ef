import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteSessionDocument,
  MySessionsDocument,
  PauseSessionDocument,
  SendMessageDocument,
  SessionCheckDocument,
  SessionDocument,
  StartSessionDocument,
  TopicsDocument,
} from '../generated/graphql/graphql';
import { eventually, expectCode } from '../support/e2e-helpers';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

const QUICK = { inactivityTimeoutMinutes: 0, activeTtlSeconds: 3, terminalTtlSeconds: 2 };
const TOPICS = [
  { id: 'quick', name: 'Quick', settings: QUICK },
  { id: 'purpose', name: 'Purpose, our way', description: 'Replaced by the file', settings: { inactivityTimeoutMinutes: 5 } },
];

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-topics-'));
  const file = join(dir, 'topics.json');
  writeFileSync(file, JSON.stringify(TOPICS));
  server = await startTestServer({ env: { TOPICS_FILE: file } });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const floorSec = (iso: string) => Math.floor(Date.parse(iso) / 1000) * 1000;
const check = async (token: string, topicId = 'quick') => ok(await gql(server.url, SessionCheckDocument, { topicId }, token)).sessionCheck;

test("the topics query serves the file's topic with its settings, and a file entry replaces the built-in with its id", async () => {
  const topics = ok(await gql(server.url, TopicsDocument, {}, await tokenFor('ttl-topics', 'u'))).topics;
  const quick = topics.find((t) => t.id === 'quick');
  expect(quick).toEqual({ id: 'quick', name: 'Quick', description: null, myStatus: 'NOT_STARTED', archived: false, myResult: null, settings: QUICK });
  const purposes = topics.filter((t) => t.id === 'purpose');
  expect(purposes).toHaveLength(1);
  expect(purposes[0]).toMatchObject({
    name: 'Purpose, our way',
    description: 'Replaced by the file',
    // Missing settings take the defaults: 30 days active, 14 days terminal.
    settings: { inactivityTimeoutMinutes: 5, activeTtlSeconds: 30 * 86400, terminalTtlSeconds: 14 * 86400 },
  });
  // The other built-ins are still there, with default settings.
  const vision = topics.find((t) => t.id === 'vision');
  expect(vision?.settings).toEqual({ inactivityTimeoutMinutes: 30, activeTtlSeconds: 30 * 86400, terminalTtlSeconds: 14 * 86400 });
  // Built-ins first, then the file's new topic.
  expect(topics[topics.length - 1].id).toBe('quick');
});

test('a session past its inactivity timeout is idle yet fully usable, and disappears at its TTL; a new start makes a new session', async () => {
  const token = await tokenFor('ttl-active', 'alice');
  const started = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, token)).startSession;
  expect(started.isIdle).toBe(true);
  expect(started.idleSince).toBe(started.lastActivityAt);
  expect(Date.parse(started.expiresAt)).toBe(floorSec(started.lastActivityAt) + 3000);
  expect(await check(token)).toMatchObject({
    hasSession: true,
    sessionId: started.id,
    isIdle: true,
    status: 'ACTIVE',
    idleSince: started.lastActivityAt,
    lastActivityAt: started.lastActivityAt,
    expiresAt: started.expiresAt,
  });

  // Idle never blocks: messages, start (resume) and pause all work.
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: started.id, content: 'still here' }, token)).sendMessage;
  expect(sent.reply.role).toBe('ASSISTANT');
  expect(sent.session).toMatchObject({ status: 'ACTIVE', messageCount: 3, isIdle: true });
  expect(sent.session.idleSince).toBe(sent.session.lastActivityAt);
  expect(Date.parse(sent.session.expiresAt)).toBe(floorSec(sent.session.lastActivityAt) + 3000);
  expect(Date.parse(sent.session.lastActivityAt)).toBeGreaterThanOrEqual(Date.parse(started.lastActivityAt));

  const read = ok(await gql(server.url, SessionDocument, { id: started.id }, token)).session!;
  expect(read).toMatchObject({ isIdle: true, idleSince: read.lastActivityAt, expiresAt: sent.session.expiresAt });
  const resumed = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, token)).startSession;
  expect(resumed.id).toBe(started.id);

  // Expiry: bounded wait (activeTtl is 3 s after the last activity).
  const gone = await eventually(async () => !(await check(token)).hasSession, 10_000);
  expect(gone).toBe(true);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(sent.session.expiresAt));
  expect(await check(token)).toEqual({ hasSession: false, sessionId: null, status: null, isIdle: false, conflict: false, conflictUserId: null, lastActivityAt: null, idleSince: null, expiresAt: null, conflictIdleSince: null });
  expect(ok(await gql(server.url, SessionDocument, { id: started.id }, token)).session).toBeNull();
  expect(ok(await gql(server.url, MySessionsDocument, {}, token)).mySessions.edges).toEqual([]);

  // No write brings an expired session back.
  expectCode(await gql(server.url, SendMessageDocument, { sessionId: started.id, content: 'hello?' }, token), 'NOT_FOUND');
  expectCode(await gql(server.url, PauseSessionDocument, { sessionId: started.id }, token), 'NOT_FOUND');
  expect(ok(await gql(server.url, SessionDocument, { id: started.id }, token)).session).toBeNull();

  const fresh = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, token)).startSession;
  expect(fresh.id).not.toBe(started.id);
  expect(fresh).toMatchObject({ status: 'ACTIVE', messageCount: 1 });
});

test('an expired hold frees the topic for another user of the tenant', async () => {
  const [holder, other] = await Promise.all([tokenFor('ttl-hold', 'holder'), tokenFor('ttl-hold', 'other')]);
  const held = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, holder)).startSession;
  expectCode(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, other), 'SESSION_CONFLICT');
  expect(await eventually(async () => !(await check(other)).conflict, 10_000)).toBe(true);
  const own = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, other)).startSession;
  expect(own.userId).toBe('other');
  expect(own.id).not.toBe(held.id);
});

test('a terminal session expires terminalTtlSeconds after it ended', async () => {
  const token = await tokenFor('ttl-terminal', 'bob');
  const { id } = ok(await gql(server.url, StartSessionDocument, { topicId: 'quick' }, token)).startSession;
  const done = ok(await gql(server.url, CompleteSessionDocument, { sessionId: id }, token)).completeSession;
  expect(done.status).toBe('COMPLETED');
  expect(done.isIdle).toBe(false); // idle is about live sessions only
  expect(Date.parse(done.expiresAt)).toBe(floorSec(done.endedAt!) + 2000);
  expect(ok(await gql(server.url, SessionDocument, { id }, token)).session?.status).toBe('COMPLETED');
  const gone = await eventually(async () => ok(await gql(server.url, SessionDocument, { id }, token)).session === null, 10_000);
  expect(gone).toBe(true);
  expect(ok(await gql(server.url, MySessionsDocument, {}, token)).mySessions.edges).toEqual([]);
});

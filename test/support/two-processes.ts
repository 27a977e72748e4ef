import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Coach } from '../../src/coach/port';
import { createDynamoClient } from '../../src/store/client';
import { startTestServer, TestServer } from './server';
import { bearer, wsClient, WsClient } from './ws-client';

export interface TwoProcesses {
  first: TestServer;
  /** Another "process" on the same table: its own HTTP and WebSocket servers, service, coach and DynamoDB client. */
  second: TestServer;
  /** A graphql-ws client of `server` signed in with `token`, disposed after each test. */
  connect(server: TestServer, token: string): WsClient;
}

/** Two servers on one table (no sticky sessions), started and stopped by the jest hooks this registers. */
export function twoProcesses(coachA?: Coach, coachB?: Coach): TwoProcesses {
  const clients: WsClient[] = [];
  let secondClient: DynamoDBClient | undefined;
  const procs = {
    connect(server: TestServer, token: string) {
      const c = wsClient(server.url, bearer(token));
      clients.push(c);
      return c;
    },
  } as TwoProcesses;
  beforeAll(async () => {
    procs.first = await startTestServer({ coach: coachA });
    secondClient = createDynamoClient({ credentials: 'dynamodb-local', endpoint: procs.first.table.endpoint });
    procs.second = await startTestServer({ table: procs.first.table, dynamo: secondClient, coach: coachB });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await procs.second?.stop();
    secondClient?.destroy();
    await procs.first?.stop();
  });
  return procs;
}

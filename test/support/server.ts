import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Config, loadConfig } from '../../src/config';
import { startApp, App, AppDeps } from '../../src/app';
import { signToken } from '../../src/auth/dev-token';
import { Clock } from '../../src/domain/clock';
import { Coach } from '../../src/coach/port';
import { silentLogger, Logger } from '../../src/logger';
import { createDynamoClient } from '../../src/store/client';
import { createTestTable, TestTable } from './dynamo';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface TestServer {
  app: App;
  url: string;
  table: TestTable;
  config: Config;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Reuse a table (e.g. a second "process" on the same table); a new one otherwise. */
  table?: TestTable;
  env?: Record<string, string>;
  clock?: Clock;
  coach?: Coach;
  log?: Logger;
  /** A DynamoDB client of its own, as a separate process would have. */
  dynamo?: DynamoDBClient;
  /** What Apollo Sandbox opens with (main.ts passes sandboxFor(...)). */
  sandbox?: AppDeps['sandbox'];
  /** Tracing to a test's exporter (the test shuts it down). */
  tracing?: AppDeps['tracing'];
}

/** The whole app (HTTP + Apollo + service + DynamoDB repository) on a free port, against DynamoDB Local. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const table = opts.table ?? (await createTestTable());
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_SECRET,
    TABLE_NAME: table.tableName,
    DYNAMODB_ENDPOINT: table.endpoint,
    // A test file's one user may send hundreds of requests in a few seconds on a fast machine:
    // rate limits apply only where a test names one (test/e2e/rate-limit.test.ts does).
    ...(Object.keys(opts.env ?? {}).some((k) => k.startsWith('RATE_LIMIT_')) ? {} : { RATE_LIMIT_ENABLED: 'false' }),
    ...opts.env,
  });
  const ownClient = !opts.dynamo;
  const dynamo = opts.dynamo ?? createDynamoClient({ credentials: 'dynamodb-local', endpoint: table.endpoint });
  const app = await startApp({ config, dynamo, log: opts.log ?? silentLogger, clock: opts.clock, coach: opts.coach, sandbox: opts.sandbox, tracing: opts.tracing });
  return {
    app,
    url: app.server.url,
    table,
    config,
    async stop() {
      await app.stop();
      if (ownClient) dynamo.destroy();
      if (!opts.table) await table.drop();
    },
  };
}

export function tokenFor(tenantId: string, userId: string, extra: { roles?: string[]; expiresIn?: string } = {}) {
  return signToken(TEST_SECRET, { tenantId, userId, ...extra });
}

export interface GqlResult<R> {
  status: number;
  data?: R | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }[];
}

/** Runs a codegen-typed document over HTTP: the result type follows from the document. */
export async function gql<R, V>(
  url: string,
  doc: TypedDocumentNode<R, V>,
  variables: V,
  token?: string,
): Promise<GqlResult<R>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  return { status: res.status, ...((await res.json()) as Omit<GqlResult<R>, 'status'>) };
}

/** The data of a result that must have succeeded; fails the test with the errors otherwise. */
export function ok<R>(result: GqlResult<R>): R {
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

export const codeOf = (result: GqlResult<unknown>) => result.errors?.[0]?.extensions?.code;

/** A raw POST, for requests the typed client cannot make (malformed bodies, forged tokens, ...). */
export async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as GqlResult<unknown> | undefined };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { createDynamoClient } from '../../src/store/client';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { PROJECT_ROOT } from '../support/e2e-helpers';

const SRC = `${PROJECT_ROOT}/src/`;

// Issue #20: how far a reader walks from HTTP to the first DynamoDB write of sendMessage. The
// stack at that write (async frames included) names every src file on the way.

let server: TestServer;
let dynamo: DynamoDBClient;
let capture: { stack: string; command: string } | null = null;
let armed = false;

beforeAll(async () => {
  const probe = await startTestServer();
  dynamo = createDynamoClient({ credentials: 'dynamodb-local', endpoint: probe.table.endpoint });
  await probe.stop();
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (armed && !capture && /Put|Update|Delete|TransactWrite|BatchWrite/.test(command)) {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 200;
        capture = { stack: new Error().stack ?? '', command };
        Error.stackTraceLimit = limit;
      }
      return next(args);
    },
    { step: 'initialize', name: 'firstWriteProbe' },
  );
  server = await startTestServer({ dynamo });
});
afterAll(async () => {
  await server?.stop();
  dynamo?.destroy();
});

test('sendMessage reaches its first DynamoDB write through at most 8 src files, from the HTTP handler down', async () => {
  const token = await tokenFor('path', 'alice');
  const session = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  armed = true;
  ok(await gql(server.url, SendMessageDocument, { sessionId: session.id, content: 'hello', clientMessageId: 'p-1' }, token));
  armed = false;
  expect(capture?.command).toBe('TransactWriteItemsCommand');
  // This project's src files only (Apollo's own sources are under node_modules/.../src too), innermost first.
  const files = [...new Set(capture!.stack.split('\n').flatMap((line) => (line.includes(SRC) ? [line.slice(line.indexOf(SRC) + SRC.length).split(':')[0]] : [])))];
  console.log(`sendMessage's first write: ${files.length} src files\n  ${files.join('\n  ')}`);
  // From the HTTP handler to the resolver, its use case, and down to the store.
  expect(files).toEqual(expect.arrayContaining(['http/graphql-handler.ts', 'conversation/resolver.ts', 'conversation/conversation.ts', 'store/table-io.ts']));
  expect(files.length).toBeLessThanOrEqual(8);
});

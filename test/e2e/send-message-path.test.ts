import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { createDynamoClient } from '../../src/store/client';
import { gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

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

test('sendMessage reaches its first DynamoDB write through a bounded number of src files', async () => {
  const token = await tokenFor('path', 'alice');
  const session = ok(await gql(server.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  armed = true;
  ok(await gql(server.url, SendMessageDocument, { sessionId: session.id, content: 'hello', clientMessageId: 'p-1' }, token));
  armed = false;
  expect(capture?.command).toBe('TransactWriteItemsCommand');
  const files = [...new Set([...capture!.stack.matchAll(/\/src\/([\w/.-]+\.ts)/g)].map((m) => m[1]))];
  console.log(`sendMessage's first write: ${files.length} src files\n  ${files.join('\n  ')}`);
  expect(files.length).toBeGreaterThan(0);
});

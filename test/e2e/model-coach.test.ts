import { SendMessageDocument, SessionDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';
import { startStub } from '../support/stub-http';
import { loadConfig } from '../../src/config';

// The coach chosen by configuration (COACH=openai) against a local OpenAI-compatible stub.
let stub: Awaited<ReturnType<typeof startStub>>;
let server: TestServer;
let failing = false;

beforeAll(async () => {
  stub = await startStub((req) =>
    failing
      ? { status: 503, body: { error: { message: 'overloaded' } } }
      : {
          body: {
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: req.body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: `Model reply to: ${req.body.messages.at(-1).content}` }, finish_reason: 'stop' }],
          },
        },
  );
  server = await startTestServer({
    env: { COACH: 'openai', COACH_MODEL: 'llama3.1', OPENAI_BASE_URL: `${stub.url}/v1`, COACH_MAX_RETRIES: '0', COACH_HISTORY_MESSAGES: '6' },
  });
});
afterAll(async () => {
  await server.stop();
  await stub.close();
});

test('COACH=openai answers through the configured endpoint with the topic instructions and recent history', async () => {
  const token = await tokenFor('models', 'alice');
  const s = ok(await gql(server.url, StartSessionDocument, { topicId: 'goals' }, token)).startSession;
  const sent = ok(await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Ship the beta by March.' }, token)).sendMessage;
  expect(sent.reply.content).toBe('Model reply to: Ship the beta by March.');
  // The reply's request, not the background title call that follows the first exchange.
  const body = stub.requests.find((r) => r.body.messages.at(-1).content === 'Ship the beta by March.')!.body;
  expect(body.model).toBe('llama3.1');
  expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('Coach the user to one meaningful goal') });
  expect(body.messages.slice(1).map((m: { role: string }) => m.role)).toEqual(['assistant', 'user']);

  failing = true;
  const down = await gql(server.url, SendMessageDocument, { sessionId: s.id, content: 'Are you there?' }, token);
  expect(codeOf(down)).toBe('COACH_UNAVAILABLE');
  failing = false;
  const read = ok(await gql(server.url, SessionDocument, { id: s.id, last: 1 }, token)).session!;
  expect(read.messages.edges[0].node).toMatchObject({ role: 'USER', content: 'Are you there?' }); // kept
});

test('a model coach without a model name, or an unknown coach, stops the server at start', () => {
  expect(() => loadConfig({ COACH: 'openai' })).toThrow(/COACH_MODEL/);
  expect(() => loadConfig({ COACH: 'gpt' })).toThrow(/COACH must be embedded, openai or bedrock/);
  expect(() => loadConfig({ COACH: 'openai', COACH_MODEL: 'm', OPENAI_BASE_URL: 'ftp://x' })).toThrow(/OPENAI_BASE_URL/);
  expect(loadConfig({ COACH: 'bedrock', COACH_MODEL: 'anthropic.claude', AWS_REGION: 'eu-west-1' }).coach).toMatchObject({ kind: 'bedrock', region: 'eu-west-1' });
});

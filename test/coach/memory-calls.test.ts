import { BedrockCoach } from '../../src/coach/bedrock-coach';
import { OpenAICoach } from '../../src/coach/openai-coach';
import { Coach, TokenUsage } from '../../src/coach/port';
import { Session } from '../../src/domain/session';
import { startStub } from '../support/stub-http';
import { completion, conversation, topic, turnOf } from './fixtures';

// The memory's model calls in both adapters (docs/coach.md#memory): a fold sends only the
// summary so far and the folded messages, a title only the first exchange; each reports its
// usage; a reply carries the summary and other topics' results ahead of the unsummarised turns.
const common = { timeoutMs: 2000, maxRetries: 0, budget: { maxMessages: 4, maxChars: 10_000 } };
const adapters: [string, (url: string) => Coach, (text: string) => unknown][] = [
  ['openai', (url) => new OpenAICoach({ ...common, baseURL: `${url}/v1`, apiKey: 'k', model: 'm' }), (text) => ({ ...completion(text), usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 } })],
  [
    'bedrock',
    (url) => new BedrockCoach({ ...common, modelId: 'stub', region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 's' } }),
    (text) => ({ output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 } }),
  ],
];
/** The request's text, whatever the wire format. */
const sentText = (body: { messages: unknown[]; system?: unknown }) => JSON.stringify(body);

describe.each(adapters)('%s', (_name, make, answer) => {
  test('summarize sends the summary so far and only the folded messages, and reports the usage', async () => {
    const stub = await startStub(() => ({ body: answer('FACT-1 and more') }));
    try {
      const usage: TokenUsage[] = [];
      const messages = conversation(9).slice(4, 8);
      const text = await make(stub.url).summarize({ topic, session: { id: 's' } as Session, summary: 'EARLIER-SUMMARY', messages, maxChars: 2000, onUsage: (u) => usage.push(u) });
      expect(text).toBe('FACT-1 and more');
      const sent = sentText(stub.requests[0].body);
      expect(sent).toContain('EARLIER-SUMMARY');
      for (const m of messages) expect(sent).toContain(m.content);
      expect(sent).not.toContain('message 4"');
      expect(sent).not.toContain('message 9');
      expect(usage).toEqual([{ inputTokens: 120, outputTokens: 30 }]);
    } finally {
      await stub.close();
    }
  });

  test('title sends the first exchange only', async () => {
    const stub = await startStub(() => ({ body: answer('Finding my values') }));
    try {
      const [reply, userMessage] = conversation(3).slice(0, 2).reverse();
      expect(await make(stub.url).title({ topic, session: { id: 's' } as Session, userMessage, reply })).toBe('Finding my values');
      expect(sentText(stub.requests[0].body)).toContain(userMessage.content);
    } finally {
      await stub.close();
    }
  });

  test('a reply carries the summary and the other topics\' results in the system prompt, then only the turns after summaryThrough', async () => {
    const stub = await startStub(() => ({ body: answer('Go on.') }));
    try {
      const { turn } = turnOf(conversation(9));
      turn.session = { id: 'ses_X', summary: 'REMEMBERED', summaryThrough: 6 } as Session;
      turn.otherOutcomes = async () => [{ topicId: 'purpose', topicName: 'Purpose', completedAt: 0, result: { statement: 'OUTCOME-X' } }];
      await make(stub.url).reply(turn);
      const body = stub.requests[0].body;
      const system = JSON.stringify(body.system ?? body.messages[0]);
      expect(system).toContain('REMEMBERED');
      expect(system).toContain('OUTCOME-X');
      const turns = JSON.stringify(body.system ? body.messages : body.messages.slice(1));
      expect(turns).toContain('message 7');
      expect(turns).not.toContain('message 6');
    } finally {
      await stub.close();
    }
  });
});

import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Coach, CoachTurn } from './port';
import { Topic } from '../domain/topic';
import { alternating, HistoryBudget, systemPrompt, withinBudget } from './prompt';

export interface BedrockCoachOptions {
  modelId: string;
  region: string;
  /** For tests or VPC endpoints; AWS's own endpoint otherwise. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  timeoutMs: number;
  maxRetries: number;
  budget: HistoryBudget;
  temperature?: number;
  maxTokens?: number;
}

/** The coach on Amazon Bedrock's Converse API (any model Converse supports). */
export class BedrockCoach implements Coach {
  readonly name = 'bedrock';
  private readonly client: BedrockRuntimeClient;

  constructor(private readonly opts: BedrockCoachOptions) {
    this.client = new BedrockRuntimeClient({
      region: opts.region,
      endpoint: opts.endpoint,
      credentials: opts.credentials,
      maxAttempts: opts.maxRetries + 1,
      requestHandler: new NodeHttpHandler({ connectionTimeout: Math.min(opts.timeoutMs, 3000), requestTimeout: opts.timeoutMs }),
    });
  }

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply(turn: CoachTurn): Promise<string> {
    const history = withinBudget(await turn.recentMessages(this.opts.budget.maxMessages), this.opts.budget);
    const out = await this.client.send(
      new ConverseCommand({
        modelId: this.opts.modelId,
        system: [{ text: systemPrompt(turn.topic) }],
        messages: alternating(history).map((t) => ({ role: t.role, content: [{ text: t.text }] })),
        inferenceConfig: { maxTokens: this.opts.maxTokens ?? 400, temperature: this.opts.temperature ?? 0.7 },
      }),
      // A deadline for the whole call, retries included (the handler's timeout is per socket).
      // The service's own deadline (turn.signal) aborts it too.
      { abortSignal: turn.signal ? AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), turn.signal]) : AbortSignal.timeout(this.opts.timeoutMs) },
    );
    const text = (out.output?.message?.content ?? [])
      .map((c) => ('text' in c && typeof c.text === 'string' ? c.text : ''))
      .join('')
      .trim();
    if (!text) throw new Error(`the model returned no text (stopReason ${out.stopReason ?? 'unknown'})`);
    return text;
  }
}

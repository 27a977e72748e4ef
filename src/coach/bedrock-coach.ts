import { BedrockRuntimeClient, ConverseCommand, ConverseCommandInput, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, UsageSink, WelcomeBackTurn } from './port';
import { memoryTurn, summaryInput, summaryPrompt, titleInput, titlePrompt } from './memory-prompt';
import { Topic } from '../domain/topic';
import {
  alternating,
  extractionBudget,
  HistoryBudget,
  parseJsonReply,
  resultPrompt,
  systemPrompt,
  transcript,
  welcomeBackPrompt,
  withinBudget,
} from './prompt';
import { deadlineFor, retryAfterMs, RetryTuning, Verdict, withRetries } from './retry';

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
  retry?: RetryTuning;
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
      // Retries are ours (withRetries): the SDK caps a Retry-After at its backoff plus 5 s and
      // sleeps until the deadline aborts it instead of failing at once.
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ connectionTimeout: Math.min(opts.timeoutMs, 3000), requestTimeout: opts.timeoutMs }),
    });
  }

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply(turn: CoachTurn): Promise<string> {
    return this.converse(await this.replyRequest(turn), turn.signal, turn.onUsage);
  }

  /** ConverseStream: the text deltas as the model writes them (an AWS event stream). */
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    const command = new ConverseStreamCommand(await this.replyRequest(turn));
    const abortSignal = this.deadline(turn.signal);
    // Only the request is retried: once text has streamed, a failure ends the reply.
    const out = await this.retried(turn.signal, abortSignal, () => this.client.send(command, { abortSignal }));
    let stopReason: string | undefined;
    // Exception events (throttling, a model error mid-stream) are thrown by the SDK while iterating.
    for await (const event of out.stream ?? []) {
      const text = event.contentBlockDelta?.delta && 'text' in event.contentBlockDelta.delta ? event.contentBlockDelta.delta.text : undefined;
      if (typeof text === 'string' && text) yield text;
      stopReason = event.messageStop?.stopReason ?? stopReason;
      // The stream's last event (metadata) carries the whole call's usage.
      const usage = event.metadata?.usage;
      if (usage) turn.onUsage?.({ inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 });
    }
    if (stopReason === undefined) throw new Error('the model stream ended without a stop reason');
  }

  /** The memory (summary, other topics' outcomes) goes in the system prompt, ahead of the recent turns. */
  private async replyRequest(turn: CoachTurn): Promise<ConverseCommandInput> {
    const { system, history } = await memoryTurn(turn, systemPrompt(turn.topic), this.opts.budget);
    return this.request(system, alternating(history), { maxTokens: this.opts.maxTokens ?? 400, temperature: this.opts.temperature ?? 0.7 });
  }

  async welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    const { system, history } = await memoryTurn(turn, welcomeBackPrompt(turn.topic, turn.idleMs), this.opts.budget);
    // Converse wants the conversation to end with the user: the return is the user's turn.
    const turns = alternating([...history, { sessionId: '', seq: 0, role: 'USER', content: '(I am back after a break.)', createdAt: 0 }]);
    return this.converse(this.request(system, turns, { maxTokens: 200, temperature: this.opts.temperature ?? 0.7 }), turn.signal, turn.onUsage);
  }

  /** Converse has no JSON mode: the instruction asks for JSON only, and the answer is parsed leniently. */
  async extractResult(request: ResultRequest): Promise<unknown> {
    const history = withinBudget(request.messages, extractionBudget(this.opts.budget));
    const text = await this.converse(
      this.request(
        resultPrompt(request.topic),
        [{ role: 'user', text: `Transcript:\n\n${transcript(history)}\n\nAnswer with the JSON object only.` }],
        { maxTokens: Math.max(this.opts.maxTokens ?? 0, 800), temperature: 0 },
      ),
      request.signal,
      request.onUsage,
    );
    return parseJsonReply(text);
  }

  /** Only the memory so far and the messages being folded are sent (never the whole history). */
  async summarize(request: SummaryRequest): Promise<string> {
    const input = this.request(summaryPrompt(request.topic, request.maxChars), [{ role: 'user', text: summaryInput(request.summary, request.messages) }], {
      maxTokens: Math.ceil(request.maxChars / 3),
      temperature: 0,
    });
    return this.converse(input, request.signal, request.onUsage);
  }

  async title(request: TitleRequest): Promise<string> {
    const input = this.request(titlePrompt(request.topic), [{ role: 'user', text: titleInput(request.userMessage, request.reply) }], { maxTokens: 40, temperature: 0 });
    return this.converse(input, request.signal, request.onUsage);
  }

  private request(
    system: string,
    turns: { role: 'user' | 'assistant'; text: string }[],
    inferenceConfig: { maxTokens: number; temperature: number },
  ): ConverseCommandInput {
    return {
      modelId: this.opts.modelId,
      system: [{ text: system }],
      messages: turns.map((t) => ({ role: t.role, content: [{ text: t.text }] })),
      inferenceConfig,
    };
  }

  /** One deadline for the whole call and its retries: the handler's timeout is per socket. */
  private deadline(signal: AbortSignal | undefined): AbortSignal {
    const own = AbortSignal.timeout(this.opts.timeoutMs);
    return signal ? AbortSignal.any([own, signal]) : own;
  }

  private retried<T>(signal: AbortSignal | undefined, abortSignal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    const { maxRetries, timeoutMs, retry } = this.opts;
    return withRetries({ maxRetries, deadline: deadlineFor(signal, timeoutMs), signal: abortSignal, tuning: retry }, verdict, attempt);
  }

  private async converse(input: ConverseCommandInput, signal: AbortSignal | undefined, onUsage?: UsageSink): Promise<string> {
    const abortSignal = this.deadline(signal);
    const out = await this.retried(signal, abortSignal, () => this.client.send(new ConverseCommand(input), { abortSignal }));
    if (out.usage && onUsage) onUsage({ inputTokens: out.usage.inputTokens ?? 0, outputTokens: out.usage.outputTokens ?? 0 });
    const text = (out.output?.message?.content ?? [])
      .map((c) => ('text' in c && typeof c.text === 'string' ? c.text : ''))
      .join('')
      .trim();
    if (!text) throw new Error(`the model returned no text (stopReason ${out.stopReason ?? 'unknown'})`);
    return text;
  }
}

const RETRYABLE = new Set(['ThrottlingException', 'ServiceUnavailableException', 'InternalServerException', 'ModelNotReadyException', 'TooManyRequestsException']);
const TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'TimeoutError']);

/** Throttling, server errors and dropped connections are retried, honouring Retry-After. */
function verdict(e: unknown): Verdict {
  const error = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
  if (error?.name === 'AbortError') return { retry: false };
  const status = error?.$metadata?.httpStatusCode;
  const headers = error?.$response?.headers ?? {};
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  if (status === 408 || status === 429 || (status !== undefined && status >= 500) || RETRYABLE.has(error?.name ?? '')) {
    return { retry: true, afterMs: retryAfterMs(header) };
  }
  return { retry: status === undefined && (TRANSIENT.has(error?.code ?? '') || TRANSIENT.has(error?.name ?? '')) };
}

import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, UsageSink, WelcomeBackTurn } from './port';
import { memoryTurn, summaryInput, summaryPrompt, titleInput, titlePrompt } from './memory-prompt';
import { Topic } from '../domain/topic';
import { Message } from '../domain/session';
import {
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

export interface OpenAICoachOptions {
  /** Any OpenAI-compatible chat-completions endpoint: OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio. */
  baseURL: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  budget: HistoryBudget;
  temperature?: number;
  maxTokens?: number;
  retry?: RetryTuning;
}

/** The coach as a chat-completions model, given the topic's instructions and the recent conversation. */
export class OpenAICoach implements Coach {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(private readonly opts: OpenAICoachOptions) {
    this.client = new OpenAI({
      baseURL: opts.baseURL,
      // Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
      apiKey: opts.apiKey ?? 'not-needed',
      timeout: opts.timeoutMs,
      // Retries are ours (withRetries): the SDK sleeps through any Retry-After, however long,
      // without jitter and past the deadline.
      maxRetries: 0,
    });
  }

  private retried<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    const { maxRetries, timeoutMs, retry } = this.opts;
    return withRetries({ maxRetries, deadline: deadlineFor(signal, timeoutMs), signal, tuning: retry }, verdict, attempt);
  }

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply(turn: CoachTurn): Promise<string> {
    const request = await this.replyRequest(turn);
    const completion = await this.retried(turn.signal, () => this.client.chat.completions.create(request, { signal: turn.signal }));
    return answer(completion, turn.onUsage);
  }

  /** The same request with `stream: true`: the text deltas as the model writes them (server-sent events). */
  async *replyStream(turn: CoachTurn): AsyncGenerator<string> {
    // include_usage: the last chunk (no choices) carries the whole call's usage.
    const request = { ...(await this.replyRequest(turn)), stream: true as const, stream_options: { include_usage: true } };
    // Only the request is retried: once text has streamed, a failure ends the reply.
    const stream = await this.retried(turn.signal, () => this.client.chat.completions.create(request, { signal: turn.signal }));
    for await (const chunk of stream) {
      if (chunk.usage) reportUsage(chunk.usage, turn.onUsage);
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) yield delta;
    }
    // The SDK ends an aborted stream quietly: a cut-off reply must not pass for a whole one.
    if (turn.signal?.aborted) throw turn.signal.reason ?? new Error('the stream was aborted');
  }

  /** The memory (summary, other topics' outcomes) goes in the system message, ahead of the recent turns. */
  private async replyRequest(turn: CoachTurn) {
    const { system, history } = await memoryTurn(turn, systemPrompt(turn.topic), this.opts.budget);
    return {
      model: this.opts.model,
      messages: [{ role: 'system' as const, content: system }, ...chat(history)],
      temperature: this.opts.temperature ?? 0.7,
      max_tokens: this.opts.maxTokens ?? 400,
    };
  }

  async welcomeBack(turn: WelcomeBackTurn): Promise<string> {
    const { system, history } = await memoryTurn(turn, welcomeBackPrompt(turn.topic, turn.idleMs), this.opts.budget);
    const completion = await this.retried(turn.signal, () => this.client.chat.completions.create({
      model: this.opts.model,
      messages: [
        { role: 'system', content: system },
        ...chat(history),
        { role: 'user', content: '(I am back after a break.)' },
      ],
      temperature: this.opts.temperature ?? 0.7,
      max_tokens: 200,
    }, { signal: turn.signal }));
    return answer(completion, turn.onUsage);
  }

  /** JSON mode (`response_format: json_object`); the service validates against the topic's schema. */
  async extractResult(request: ResultRequest): Promise<unknown> {
    const history = withinBudget(request.messages, extractionBudget(this.opts.budget));
    const completion = await this.retried(request.signal, () => this.client.chat.completions.create({
      model: this.opts.model,
      messages: [
        { role: 'system', content: resultPrompt(request.topic) },
        { role: 'user', content: `Transcript:\n\n${transcript(history)}\n\nAnswer with the JSON object only.` },
      ],
      response_format: { type: 'json_object' },
      temperature: 0,
      max_tokens: this.opts.maxTokens ? Math.max(this.opts.maxTokens, 800) : 800,
    }, { signal: request.signal }));
    return parseJsonReply(answer(completion, request.onUsage));
  }

  /** Only the memory so far and the messages being folded are sent (never the whole history). */
  async summarize(request: SummaryRequest): Promise<string> {
    return this.single(summaryPrompt(request.topic, request.maxChars), summaryInput(request.summary, request.messages), Math.ceil(request.maxChars / 3), request);
  }

  async title(request: TitleRequest): Promise<string> {
    return this.single(titlePrompt(request.topic), titleInput(request.userMessage, request.reply), 40, request);
  }

  /** One system + user exchange at temperature 0, its usage reported. */
  private async single(system: string, user: string, maxTokens: number, call: { signal?: AbortSignal; onUsage?: UsageSink }): Promise<string> {
    const completion = await this.retried(call.signal, () => this.client.chat.completions.create({
      model: this.opts.model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      temperature: 0,
      max_tokens: maxTokens,
    }, { signal: call.signal }));
    return answer(completion, call.onUsage);
  }
}

type Usage = { prompt_tokens?: number; completion_tokens?: number };

/** A completion's usage reported (a server that sends none reports nothing), then its text. */
function answer(completion: { choices: { message?: { content?: string | null } }[]; usage?: Usage | null }, onUsage: UsageSink | undefined): string {
  if (completion.usage) reportUsage(completion.usage, onUsage);
  const text = completion.choices[0]?.message?.content?.trim();
  if (!text) throw new Error('the model returned no text');
  return text;
}

const reportUsage = (usage: Usage, onUsage: UsageSink | undefined) => onUsage?.({ inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 });

/** Retried as the SDK would (connection errors, 408, 409, 429, 5xx, `x-should-retry`), honouring Retry-After. */
function verdict(e: unknown): Verdict {
  if (e instanceof APIUserAbortError) return { retry: false };
  if (e instanceof APIConnectionError) return { retry: true };
  if (!(e instanceof APIError) || e.status === undefined) return { retry: false };
  const should = e.headers?.get('x-should-retry');
  const retry = should === 'true' || (should !== 'false' && (e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500));
  return { retry, afterMs: retryAfterMs((name) => e.headers?.get(name)) };
}

const chat = (history: readonly Message[]) =>
  history.map((m) => ({ role: m.role === 'USER' ? ('user' as const) : ('assistant' as const), content: m.content }));

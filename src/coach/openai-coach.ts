import OpenAI from 'openai';
import { Coach, CoachTurn } from './port';
import { Topic } from '../domain/topic';
import { HistoryBudget, systemPrompt, withinBudget } from './prompt';

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
      maxRetries: opts.maxRetries,
    });
  }

  async opening(topic: Topic): Promise<string> {
    return topic.openingMessage;
  }

  async reply(turn: CoachTurn): Promise<string> {
    const history = withinBudget(await turn.recentMessages(this.opts.budget.maxMessages), this.opts.budget);
    const completion = await this.client.chat.completions.create({
      model: this.opts.model,
      messages: [
        { role: 'system', content: systemPrompt(turn.topic) },
        ...history.map((m) => ({ role: m.role === 'USER' ? ('user' as const) : ('assistant' as const), content: m.content })),
      ],
      temperature: this.opts.temperature ?? 0.7,
      max_tokens: this.opts.maxTokens ?? 400,
    }, { signal: turn.signal });
    const text = completion.choices[0]?.message?.content?.trim();
    if (!text) throw new Error('the model returned no text');
    return text;
  }
}

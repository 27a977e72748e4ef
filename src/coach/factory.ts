import { Coach } from './port';
import { EmbeddedCoach } from './embedded-coach';
import { OpenAICoach } from './openai-coach';
import { BedrockCoach } from './bedrock-coach';
import { DEFAULT_BUDGET, HistoryBudget } from './prompt';

export type CoachConfig =
  | { kind: 'embedded' }
  | { kind: 'openai'; baseURL: string; apiKey: string | undefined; model: string; maxRetries: number; budget: HistoryBudget }
  | { kind: 'bedrock'; modelId: string; region: string; endpoint: string | undefined; maxRetries: number; budget: HistoryBudget };

type Env = Record<string, string | undefined>;

/** Reads the coach's settings (called by config.ts, the one reader of the environment). */
export function parseCoachConfig(env: Env, region: string, fail: (message: string) => Error): CoachConfig {
  const kind = (env.COACH ?? 'embedded').trim() || 'embedded';
  if (kind === 'embedded') return { kind };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw fail(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const budget = {
    maxMessages: int('COACH_HISTORY_MESSAGES', DEFAULT_BUDGET.maxMessages, 1, 200),
    maxChars: int('COACH_HISTORY_CHARS', DEFAULT_BUDGET.maxChars, 100, 1_000_000),
  };
  const maxRetries = int('COACH_MAX_RETRIES', 2, 0, 10);
  const model = env.COACH_MODEL?.trim();
  if (kind === 'openai') {
    if (!model) throw fail('COACH=openai needs COACH_MODEL (e.g. gpt-4o-mini, or llama3.1 on Ollama)');
    const baseURL = env.OPENAI_BASE_URL?.trim() || 'https://api.openai.com/v1';
    if (!/^https?:\/\//.test(baseURL)) throw fail(`OPENAI_BASE_URL must be an http(s) URL, got "${baseURL}"`);
    return { kind, baseURL, apiKey: env.OPENAI_API_KEY?.trim() || undefined, model, maxRetries, budget };
  }
  if (kind === 'bedrock') {
    if (!model) throw fail('COACH=bedrock needs COACH_MODEL (a Bedrock model id, e.g. anthropic.claude-3-5-haiku-20241022-v1:0)');
    return { kind, modelId: model, region: env.BEDROCK_REGION?.trim() || region, endpoint: env.BEDROCK_ENDPOINT?.trim() || undefined, maxRetries, budget };
  }
  throw fail(`COACH must be embedded, openai or bedrock, got "${kind}"`);
}

export function createCoach(config: CoachConfig, timeoutMs: number): Coach {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedCoach();
    case 'openai':
      return new OpenAICoach({ ...config, timeoutMs });
    case 'bedrock':
      return new BedrockCoach({ ...config, timeoutMs });
  }
}

import { DEFAULT_HISTORY_BUDGET, DEFAULT_TENANT_SLOTS } from './defaults';

/** What every model adapter shares: retries, the history it sends, and its tenants' slots. */
interface ModelSettings {
  maxRetries: number;
  /** The history sent with each call. */
  budget: { maxMessages: number; maxChars: number };
  /** Concurrent calls per tenant, and how long one over it waits. */
  slots: { perTenant: number; waitMs: number };
}

export type CoachConfig =
  | { kind: 'embedded' }
  | ({ kind: 'openai'; baseURL: string; apiKey: string | undefined; model: string } & ModelSettings)
  | ({ kind: 'bedrock'; modelId: string; region: string; endpoint: string | undefined } & ModelSettings);

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
    maxMessages: int('COACH_HISTORY_MESSAGES', DEFAULT_HISTORY_BUDGET.maxMessages, 1, 200),
    maxChars: int('COACH_HISTORY_CHARS', DEFAULT_HISTORY_BUDGET.maxChars, 100, 1_000_000),
  };
  const maxRetries = int('COACH_MAX_RETRIES', 2, 0, 10);
  const slots = {
    perTenant: int('COACH_CONCURRENCY_PER_TENANT', DEFAULT_TENANT_SLOTS.perTenant, 1, 10_000),
    waitMs: int('COACH_CONCURRENCY_WAIT_MS', DEFAULT_TENANT_SLOTS.waitMs, 0, 600_000),
  };
  const model = env.COACH_MODEL?.trim();
  if (kind === 'openai') {
    if (!model) throw fail('COACH=openai needs COACH_MODEL (e.g. gpt-4o-mini, or llama3.1 on Ollama)');
    const baseURL = env.OPENAI_BASE_URL?.trim() || 'https://api.openai.com/v1';
    if (!/^https?:\/\//.test(baseURL)) throw fail(`OPENAI_BASE_URL must be an http(s) URL, got "${baseURL}"`);
    return { kind, baseURL, apiKey: env.OPENAI_API_KEY?.trim() || undefined, model, maxRetries, budget, slots };
  }
  if (kind === 'bedrock') {
    if (!model) throw fail('COACH=bedrock needs COACH_MODEL (a Bedrock model id, e.g. anthropic.claude-3-5-haiku-20241022-v1:0)');
    return { kind, modelId: model, region: env.BEDROCK_REGION?.trim() || region, endpoint: env.BEDROCK_ENDPOINT?.trim() || undefined, maxRetries, budget, slots };
  }
  throw fail(`COACH must be embedded, openai or bedrock, got "${kind}"`);
}


import { ConfigError, Env } from './config-values';

/** Where signed webhook events go (WEBHOOK_URL, WEBHOOK_SECRET): the idle notices and the tenants' 80% usage notice. */
export interface WebhookTarget {
  webhookUrl: string;
  webhookSecret: string;
}

/** The webhook target; null when WEBHOOK_URL is not set and `required` is false (the server sends no usage notice then). */
export function loadWebhookTarget(env: Env, required: boolean): WebhookTarget | null {
  const webhookUrl = env.WEBHOOK_URL?.trim();
  if (!webhookUrl) {
    if (required) throw new ConfigError('WEBHOOK_URL is not set');
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(webhookUrl);
  } catch {
    throw new ConfigError('WEBHOOK_URL is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError('WEBHOOK_URL must be an http(s) URL');
  const webhookSecret = env.WEBHOOK_SECRET ?? '';
  if (webhookSecret.length < 16) throw new ConfigError('WEBHOOK_SECRET must be set, at least 16 characters');
  return { webhookUrl, webhookSecret };
}

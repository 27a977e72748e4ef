/**
 * Settings of `npm run notify-idle`: WEBHOOK_URL and WEBHOOK_SECRET from the environment,
 * `--min-idle-minutes N` from the command line. The store settings (DYNAMODB_ENDPOINT,
 * TABLE_NAME, AWS_REGION) are the server's, read by loadConfig().
 */
export interface NotifyConfig {
  webhookUrl: string;
  webhookSecret: string;
  minIdleMinutes: number;
}

export const DEFAULT_MIN_IDLE_MINUTES = 1440;

export function loadNotifyConfig(env: Record<string, string | undefined>, argv: readonly string[]): NotifyConfig {
  const webhookUrl = env.WEBHOOK_URL?.trim();
  if (!webhookUrl) throw new Error('WEBHOOK_URL is not set');
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new Error('WEBHOOK_URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('WEBHOOK_URL must be an http(s) URL');
  const webhookSecret = env.WEBHOOK_SECRET ?? '';
  if (webhookSecret.length < 16) throw new Error('WEBHOOK_SECRET must be set, at least 16 characters');
  return { webhookUrl, webhookSecret, minIdleMinutes: minIdleMinutes(argv) };
}

function minIdleMinutes(argv: readonly string[]): number {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--min-idle-minutes') value = argv[++i];
    else if (arg.startsWith('--min-idle-minutes=')) value = arg.slice('--min-idle-minutes='.length);
    else throw new Error(`unknown argument "${arg}" (usage: notify-idle [--min-idle-minutes N])`);
  }
  if (value === undefined) return DEFAULT_MIN_IDLE_MINUTES;
  if (!/^\d{1,7}$/.test(value)) throw new Error('--min-idle-minutes must be a whole number of minutes');
  return Number(value);
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks: `X-Coaching-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
 * (the scheme Stripe popularised), so a receiver can check origin and freshness, and
 * `X-Coaching-Event-Id` so it can drop a redelivery.
 */
export function signatureHeader(secret: string, body: string, nowSec: number): string {
  return `t=${nowSec},v1=${hmac(secret, `${nowSec}.${body}`)}`;
}

/** For receivers (and tests): true when the header signs `body` with `secret` within `toleranceSec`. */
export function verifySignature(secret: string, body: string, header: string, nowSec: number, toleranceSec = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec || typeof parts.v1 !== 'string') return false;
  const expected = Buffer.from(hmac(secret, `${t}.${body}`), 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('hex');

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
}

/** POSTs one event; retries network errors and 5xx a bounded number of times. Returns the final status. */
export async function deliver(opts: WebhookOptions, eventId: string, payload: unknown, now = () => Date.now()): Promise<number> {
  const body = JSON.stringify(payload);
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-coaching-event-id': eventId,
          'x-coaching-signature': signatureHeader(opts.secret, body, Math.floor(now() / 1000)),
        },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      await res.arrayBuffer();
      if (res.status < 500) return res.status;
      lastError = new Error(`webhook answered ${res.status}`);
    } catch (e) {
      lastError = e;
    }
    if (attempt < opts.maxAttempts) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
  }
  throw lastError;
}

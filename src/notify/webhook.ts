import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks (the headers are in docs/administration.md). The event id is signed with
 * the body so a delivery replayed under another id fails verification; newlines separate
 * the parts because neither a header value nor `t` can hold one.
 */
export function signatureHeader(secret: string, eventId: string, body: string, nowSec: number): string {
  return `t=${nowSec},v1=${hmac(secret, signedContent(nowSec, eventId, body))}`;
}

/** What a receiver got: the two headers as sent, and the raw body. */
export interface Delivery {
  eventId: string;
  signature: string;
  body: string;
}

/** Exactly `t=<digits>,v1=<64 lowercase hex>`: no other parts, spaces, repeats or number spellings. */
const SIGNATURE = /^t=([1-9]\d{0,11}),v1=([0-9a-f]{64})$/;
/** Event ids are ours (`<sessionId>:<ISO time>`): printable ASCII, bounded. */
const EVENT_ID = /^[\x21-\x7e]{1,200}$/;

/** For receivers (and tests); anything malformed is false. */
export function verifySignature(secret: string, delivery: Delivery, nowSec: number, toleranceSec = 300): boolean {
  const match = SIGNATURE.exec(delivery.signature);
  if (!match || !EVENT_ID.test(delivery.eventId)) return false;
  if (Math.abs(nowSec - Number(match[1])) > toleranceSec) return false;
  // The timestamp as sent, not as re-spelled: any other spelling is another signed content.
  const expected = Buffer.from(hmac(secret, signedContent(match[1], delivery.eventId, delivery.body)), 'hex');
  return timingSafeEqual(Buffer.from(match[2], 'hex'), expected);
}

const signedContent = (t: number | string, eventId: string, body: string) => `${t}\n${eventId}\n${body}`;
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
          'x-coaching-signature': signatureHeader(opts.secret, eventId, body, Math.floor(now() / 1000)),
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

import { deliver, signatureHeader, verifySignature } from '../../src/notify/webhook';
import { startStub } from '../support/stub-http';

const T = 1_800_000_000;
const EVENT = 'ses_01KDWCJ2M0149RAFMWBDQD4FPB:2026-07-01T08:00:00.000Z';
const BODY = `{"type":"session.idle","eventId":"${EVENT}"}`;
const signed = (over: Partial<{ eventId: string; signature: string; body: string }> = {}) => ({
  eventId: EVENT,
  body: BODY,
  signature: signatureHeader('s3cret', EVENT, BODY, T),
  ...over,
});

test('a signature verifies only for the same secret, event id, body and a fresh timestamp', () => {
  expect(verifySignature('s3cret', signed(), T + 10)).toBe(true);
  expect(verifySignature('other', signed(), T + 10)).toBe(false);
  expect(verifySignature('s3cret', signed({ body: BODY.replace('idle', 'busy') }), T + 10)).toBe(false);
  expect(verifySignature('s3cret', signed(), T + 1000)).toBe(false); // too old
  expect(verifySignature('s3cret', signed(), T - 1000)).toBe(false); // from the future
  expect(verifySignature('s3cret', signed({ signature: 'garbage' }), T + 10)).toBe(false);
});

test('a captured delivery replayed under a new event id fails: the event id is signed', () => {
  // The attack: a receiver dedupes on X-Coaching-Event-Id, so a replay with a fresh id would pass as new.
  expect(verifySignature('s3cret', signed({ eventId: `${EVENT}-replay` }), T + 10)).toBe(false);
  expect(verifySignature('s3cret', signed({ eventId: 'evt-2' }), T + 10)).toBe(false);
  // Moving text between the event id and the body does not keep a signature valid either.
  const sig = signatureHeader('s3cret', 'a', 'b\nc', T);
  expect(verifySignature('s3cret', { eventId: 'a', body: 'b\nc', signature: sig }, T)).toBe(true);
  expect(verifySignature('s3cret', { eventId: 'a\nb', body: 'c', signature: sig }, T)).toBe(false);
});

test('the signature header parser is strict: one exact form, nothing else', () => {
  const good = signed().signature;
  const [t, v1] = good.split(',');
  const hex = v1.slice(3);
  for (const header of [
    `${t},v1=${hex},v1=${hex}`, // repeated
    `${v1},${t}`, // reordered
    `${t}, v1=${hex}`, // spaces
    ` ${good}`,
    `${t},v1=${hex.toUpperCase()}`, // another spelling of the same bytes
    `t=1.8e9,v1=${hex}`, // another spelling of the same number
    `t=0${T},v1=${hex}`,
    `${t},v1=${hex.slice(0, 63)}`, // truncated
    `${t},v1=${hex}zz`,
    `${t},v1=${hex},v0=00`, // unknown parts
    `${t},__proto__=x,v1=${hex}`,
    `${t};v1=${hex}`,
    '',
  ]) {
    expect({ header, ok: verifySignature('s3cret', signed({ signature: header }), T) }).toEqual({ header, ok: false });
  }
  expect(verifySignature('s3cret', signed({ eventId: '' }), T)).toBe(false);
  expect(verifySignature('s3cret', signed({ eventId: `${EVENT} ` }), T)).toBe(false);
});

test('deliver signs the event id and the body, sends the event id, and retries 5xx a bounded number of times', async () => {
  let calls = 0;
  const stub = await startStub(() => (++calls < 2 ? { status: 503 } : { status: 204 }));
  try {
    const status = await deliver({ url: stub.url, secret: 'k', timeoutMs: 2000, maxAttempts: 3 }, 'evt-1', { hello: 'world' });
    expect(status).toBe(204);
    expect(calls).toBe(2);
    const req = stub.requests[1];
    expect(req.headers['x-coaching-event-id']).toBe('evt-1');
    const delivery = { eventId: 'evt-1', signature: String(req.headers['x-coaching-signature']), body: JSON.stringify(req.body) };
    expect(verifySignature('k', delivery, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature('k', { ...delivery, eventId: 'evt-2' }, Math.floor(Date.now() / 1000))).toBe(false);
  } finally {
    await stub.close();
  }
  const down = await startStub(() => ({ status: 500 }));
  try {
    await expect(deliver({ url: down.url, secret: 'k', timeoutMs: 2000, maxAttempts: 2 }, 'evt-2', {})).rejects.toThrow(/500/);
    expect(down.requests).toHaveLength(2);
  } finally {
    await down.close();
  }
});

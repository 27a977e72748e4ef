import { deliver, signatureHeader, verifySignature } from '../../src/notify/webhook';
import { startStub } from '../support/stub-http';

test('a signature verifies only for the same secret, body and a fresh timestamp', () => {
  const header = signatureHeader('s3cret', '{"a":1}', 1_800_000_000);
  expect(verifySignature('s3cret', '{"a":1}', header, 1_800_000_010)).toBe(true);
  expect(verifySignature('other', '{"a":1}', header, 1_800_000_010)).toBe(false);
  expect(verifySignature('s3cret', '{"a":2}', header, 1_800_000_010)).toBe(false);
  expect(verifySignature('s3cret', '{"a":1}', header, 1_800_001_000)).toBe(false); // too old
  expect(verifySignature('s3cret', '{"a":1}', 'garbage', 1_800_000_010)).toBe(false);
});

test('deliver signs the body, sends the event id, and retries 5xx a bounded number of times', async () => {
  let calls = 0;
  const stub = await startStub(() => (++calls < 2 ? { status: 503 } : { status: 204 }));
  try {
    const status = await deliver({ url: stub.url, secret: 'k', timeoutMs: 2000, maxAttempts: 3 }, 'evt-1', { hello: 'world' });
    expect(status).toBe(204);
    expect(calls).toBe(2);
    const req = stub.requests[1];
    expect(req.headers['x-coaching-event-id']).toBe('evt-1');
    expect(verifySignature('k', JSON.stringify(req.body), String(req.headers['x-coaching-signature']), Math.floor(Date.now() / 1000))).toBe(true);
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

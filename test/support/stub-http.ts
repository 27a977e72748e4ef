import http from 'node:http';

export interface StubRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type StubHandler = (req: StubRequest) => { status?: number; body?: unknown; delayMs?: number };

/** A local HTTP server speaking whatever wire protocol the handler answers; records every request. */
export async function startStub(handler: StubHandler) {
  return startRawStub((request, res) => {
    const answer = handler(request);
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
    else send();
  });
}

/**
 * The same, with the response written by the handler itself: streamed answers (server-sent
 * events, AWS event streams) piece by piece, held back, or cut off mid-way.
 */
export async function startRawStub(handler: (req: StubRequest, res: http.ServerResponse) => void) {
  const requests: StubRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
      requests.push(request);
      handler(request, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

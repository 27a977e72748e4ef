import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { bodyError, jsonBodyReader } from '../../src/http/json-body';

// The /graphql body reader (src/http/json-body.ts): the direct path for a plain JSON POST and
// body-parser for everything else must give the same answer for the same bytes. Each body is
// sent both ways (`application/json` is read directly; `application/json; charset=UTF-8`, in
// upper case, goes through body-parser), and the outcomes compared. Over the real server, the
// hostile bodies are in test/reliability/hostile-http.test.ts.

const LIMIT = 1000;
let server: http.Server;
let url: string;
beforeAll(async () => {
  const read = jsonBodyReader(LIMIT);
  server = http.createServer(async (req, res) => {
    try {
      const body = await read(req, res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ body: body === undefined ? '(undefined)' : body, onReq: (req as { body?: unknown }).body !== undefined }));
    } catch (e) {
      bodyError(res, e);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise((r) => server.close(r)));

async function send(body: Buffer, contentType: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  return { status: res.status, text: await res.text() };
}

const both = async (body: Buffer | string) => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const direct = await send(bytes, 'application/json');
  const parser = await send(bytes, 'application/json; charset=UTF-8');
  return { direct, parser };
};

test.each([
  ['an operation', '{"query":"{ topics { id } }","variables":{"a":1}}'],
  ['an array (refused later, by Apollo)', '[{"query":"{ __typename }"}]'],
  ['leading whitespace', ' \n\t{"query":"{ __typename }"}'],
  ['an empty body', ''],
  ['whitespace only', '   '],
  ['JSON null', 'null'],
  ['a JSON string', '"{ topics { id } }"'],
  ['a number', '42'],
  ['broken JSON', '{"query": '],
  ['a BOM first', '\ufeff{"query":"{ __typename }"}'],
  ['multi-byte UTF-8', '{"query":"{ __typename }","variables":{"c":"成长 🚀 לצמוח"}}'],
  ['a lone surrogate, escaped', '{"variables":{"c":"\\ud800"}}'],
  ['exactly the limit', `{"p":"${'x'.repeat(LIMIT - 8)}"}`],
  ['one byte over the limit', `{"p":"${'x'.repeat(LIMIT - 7)}"}`],
])('%s: the same answer both ways', async (_name, body) => {
  const { direct, parser } = await both(body);
  expect(direct).toEqual(parser);
  expect(direct.status).toBeLessThan(500);
});

test.each([
  ['a lone continuation byte', [0x80]],
  ['an overlong encoding', [0xc0, 0xaf]],
  ['a byte that never appears in UTF-8', [0xff]],
])('%s: 400 "not valid UTF-8", both ways', async (_name, raw) => {
  const { direct, parser } = await both(Buffer.concat([Buffer.from('{"a":"'), Buffer.from(raw), Buffer.from('"}')]));
  expect(direct).toEqual(parser);
  expect(direct.status).toBe(400);
  expect(JSON.parse(direct.text)).toEqual({ errors: [{ message: 'The request body is not valid UTF-8', extensions: { code: 'BAD_USER_INPUT' } }] });
});

test('what the direct path does not read goes through body-parser: gzip, and other charsets', async () => {
  const gz = await send(gzipSync(Buffer.from('{"query":"{ __typename }"}')), 'application/json', { 'content-encoding': 'gzip' });
  expect(JSON.parse(gz.text)).toEqual({ body: { query: '{ __typename }' }, onReq: true });
  const latin1 = await send(Buffer.from('{"a":1}'), 'application/json; charset=latin1');
  expect(latin1.status).toBe(400);
  expect(JSON.parse(latin1.text).errors[0].message).toBe('The request body is not valid JSON');
});

test('a body that is not JSON is left alone (CSRF prevention decides about it later)', async () => {
  const res = await send(Buffer.from('{"query":"{ __typename }"}'), 'text/plain');
  expect(JSON.parse(res.text)).toEqual({ body: '(undefined)', onReq: false });
});

test('the parsed body is also on req.body (the operation log reads its operationName)', async () => {
  const res = await send(Buffer.from('{"operationName":"X"}'), 'application/json');
  expect(JSON.parse(res.text)).toEqual({ body: { operationName: 'X' }, onReq: true });
});

import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/embedded/dynamo-local';
import { SendMessageDocument, StartSessionDocument } from '../generated/graphql/graphql';
import { createTestTable, TestTable } from '../support/dynamo';
import { ServerProcess, spawnServer, waitHealthy } from '../support/e2e-helpers';
import { gql, ok, TEST_SECRET, tokenFor } from '../support/server';

// Issue 22, in the real process (node dist/src/main.js): without OTEL_EXPORTER_OTLP_ENDPOINT
// no module of the OpenTelemetry SDK is loaded; with it the spans of a sendMessage reach an
// OTLP/HTTP collector, and the log lines carry their trace ids.

const CONTENT = 'words that never leave the process';
let dir: string;
let table: TestTable;
const procs: ServerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracing-otlp-'));
  // Preloaded into the server: at exit, writes the OpenTelemetry modules Node has loaded.
  writeFileSync(
    join(dir, 'probe.js'),
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'modules.json'))}, JSON.stringify(Object.keys(require.cache).filter((p) => p.includes('/@opentelemetry/')))));\n`,
  );
  table = await createTestTable();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5000)));
  await table?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The server process, one sendMessage through it, then SIGTERM: the OpenTelemetry modules it had loaded, and its log lines. */
async function oneTurnIn(tenant: string, env: Record<string, string>) {
  const proc = spawnServer(
    { JWT_SECRET: TEST_SECRET, DATA_DIR: dir, DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: table.tableName, LOG_PRETTY: 'false', NODE_OPTIONS: `--require ${join(dir, 'probe.js')}`, ...env },
    await freePort(),
  );
  procs.push(proc);
  await waitHealthy(proc);
  const token = await tokenFor(tenant, 'otlp-user');
  const { id } = ok(await gql(proc.url, StartSessionDocument, { topicId: 'purpose' }, token)).startSession;
  ok(await gql(proc.url, SendMessageDocument, { sessionId: id, content: CONTENT, clientMessageId: 'otlp-1' }, token));
  // Shutting down exports what the batch still holds.
  expect(await proc.stop()).toBe(0);
  const modules = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8')) as string[];
  const lines = proc
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { modules, lines };
}

/**
 * Less @opentelemetry/api: prom-client 15 requires that no-op facade for its default process
 * metrics (exemplars), tracing or not. The SDK, the exporter and the context manager are ours.
 */
const sdkModules = (modules: string[]) => modules.filter((path) => !path.includes('/@opentelemetry/api/'));

test('without OTEL_EXPORTER_OTLP_ENDPOINT no module of the OpenTelemetry SDK is loaded, and log lines have no trace id', async () => {
  const { modules, lines } = await oneTurnIn('otlp-off', {});
  expect(sdkModules(modules)).toEqual([]);
  const line = lines.find((l) => l.msg === 'graphql operation' && l.operation === 'SendMessage');
  expect(line).toBeDefined();
  expect(line!.trace_id).toBeUndefined();
}, 60_000);

test('with OTEL_EXPORTER_OTLP_ENDPOINT the spans reach the collector over OTLP/HTTP, without content or ids; log lines carry the trace id', async () => {
  // A collector: every POST it receives, answered as an OTLP/HTTP collector does.
  const received: { method?: string; url?: string; body: string }[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  let run: Awaited<ReturnType<typeof oneTurnIn>>;
  try {
    run = await oneTurnIn('otlp-tenant', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`, OTEL_SERVICE_NAME: 'otlp-test-service' });
  } finally {
    collector.close();
  }
  for (const pkg of ['sdk-trace', 'exporter-trace-otlp-http', 'context-async-hooks']) expect(sdkModules(run.modules).some((path) => path.includes(`/@opentelemetry/${pkg}/`))).toBe(true);
  expect(received.map((r) => `${r.method} ${r.url}`)).toContain('POST /v1/traces');
  const exported = received.map((r) => r.body).join('\n');
  for (const name of ['otlp-test-service', 'mutation SendMessage', 'DynamoDB.TransactWriteItems', 'coach reply']) expect(exported).toContain(name);
  for (const secret of [CONTENT, 'otlp-user', 'otlp-tenant']) expect(exported).not.toContain(secret);
  const line = run.lines.find((l) => l.msg === 'graphql operation' && l.operation === 'SendMessage');
  expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(exported).toContain(String(line!.trace_id));
}, 60_000);

test('a collector that is down fails no request and does not hold up the shutdown; the export failure is logged', async () => {
  const { modules, lines } = await oneTurnIn('otlp-down', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  expect(sdkModules(modules).length).toBeGreaterThan(0);
  expect(lines.find((l) => l.msg === 'graphql operation' && l.operation === 'SendMessage')).toMatchObject({ code: 'OK' });
  expect(lines.some((l) => l.level === 'warn' && /^trace export (failed|did not finish)/.test(String(l.msg)))).toBe(true);
}, 60_000);

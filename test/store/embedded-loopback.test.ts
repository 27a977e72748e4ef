import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { freePort, startEmbeddedDynamo } from '../../src/embedded/dynamo-local';
import { tableOn, testEndpoint } from '../support/dynamo';
import { processesWith } from '../support/e2e-helpers';

// The embedded DynamoDB Local must listen on loopback only: it accepts any credentials, so a
// listener on every interface would hand every tenant's data to the network. The listening
// address is read from the kernel's socket tables; no traffic goes to any other address.

/** One address from /proc/net/tcp{,6}: 32-bit words in host byte order, as hex. */
function decode(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  if (endianness() === 'LE') for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return [...bytes.subarray(12)].join('.'); // ::ffff:a.b.c.d
  if (bytes.every((b) => b === 0)) return '::';
  return [...Array(8).keys()].map((i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
}

/** The local addresses of the sockets listening (state 0A) on `port`, IPv4 and IPv6. */
function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [addr, portHex] = local.split(':');
      if (parseInt(portHex, 16) === port) found.push(decode(addr));
    }
  }
  return found.sort();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Listens on `host`, port 0; resolves with the port and a closer. */
function listenOn(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((ok, fail) => {
    const srv = createServer().once('error', fail);
    srv.listen(0, host, () => ok({ port: (srv.address() as { port: number }).port, close: () => new Promise((c) => srv.close(() => c())) }));
  });
}

test('the address reader decodes what the kernel prints', async () => {
  // Self-check of the helper on listeners of this process: loopback, and both wildcards
  // (a wildcard is what DynamoDB Local's own main opens: `::`, or 0.0.0.0 for IPv4 only).
  for (const [host, expected] of [['127.0.0.1', '127.0.0.1'], ['0.0.0.0', '0.0.0.0'], ['::', '::']]) {
    const srv = await listenOn(host);
    try {
      expect(listenAddresses(srv.port)).toEqual([expected]);
    } finally {
      await srv.close();
    }
  }
});

test('in memory (the test suite, the bench): listens on 127.0.0.1 only, and stop kills the Java child', async () => {
  const dynamo = await startEmbeddedDynamo({ javaHome: process.env.JAVA_HOME });
  try {
    expect(listenAddresses(dynamo.port)).toEqual(['127.0.0.1']);
    const table = await tableOn(dynamo.endpoint, 'loopback');
    await table.doc.send(new PutCommand({ TableName: 'loopback', Item: { pk: 'p', sk: 's', text: 'still served' } }));
    const got = await table.doc.send(new GetCommand({ TableName: 'loopback', Key: { pk: 'p', sk: 's' } }));
    expect(got.Item?.text).toBe('still served');
    table.client.destroy();
  } finally {
    await dynamo.stop();
  }
  expect(alive(dynamo.pid!)).toBe(false);
  expect(listenAddresses(dynamo.port)).toEqual([]);
});

test('on disk (npm start, DATA_DIR): listens on 127.0.0.1 only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopback-'));
  try {
    const dynamo = await startEmbeddedDynamo({ dataDir: join(dir, 'data'), javaHome: process.env.JAVA_HOME });
    try {
      expect(listenAddresses(dynamo.port)).toEqual(['127.0.0.1']);
      expect(processesWith(`-dbPath ${join(dir, 'data')}`).some((p) => p.args.includes('-disableTelemetry'))).toBe(true);
    } finally {
      await dynamo.stop();
    }
    expect(alive(dynamo.pid!)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the suite's own DynamoDB Local (global setup) listens on 127.0.0.1 only", () => {
  const port = Number(new URL(testEndpoint()).port);
  expect(listenAddresses(port)).toEqual(['127.0.0.1']);
});

test('a port already taken on loopback: start fails with the reason, and no Java is left', async () => {
  const port = await freePort();
  const taken: Server = await new Promise((ok) => {
    const srv = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1', () => ok(srv));
  });
  try {
    await expect(startEmbeddedDynamo({ port, javaHome: process.env.JAVA_HOME })).rejects.toThrow(/DynamoDB Local exited[\s\S]*(in use|BindException)/i);
    expect(processesWith(`-port ${port} `).filter((p) => /java/.test(p.args))).toEqual([]);
  } finally {
    await new Promise((ok) => taken.close(ok));
  }
});

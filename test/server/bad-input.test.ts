/**
 * Acceptance (issue 3, point 6): garbage, a 100 MB header line, a slowloris client and a
 * client that disconnects mid-body each get the documented status or a clean close, while
 * a parallel client keeps getting answers throughout.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { HttpServer } from '../../src/server/server.js';
import { get, sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';

let server: HttpServer;
let port: number;
before(async () => ({ server, port } = await startTestServer({ headerTimeoutMs: 500, bodyTimeoutMs: 500 })));
after(() => server.close());

/** Runs `attack` while a keep-alive client sends /ping every 20 ms; returns its statuses. */
async function withParallelClient(attack: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      statuses.push((await get(port, '/ping')).status);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await attack();
  } finally {
    stop = true;
    await loop;
  }
  return statuses;
}

test('garbage bytes get 400 and a close', async () => {
  const statuses = await withParallelClient(async () => {
    const ex = await sendRaw(port, [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])]);
    assert.equal(ex.responses[0]?.status, 400);
    assert.ok(ex.closed);
  });
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 200));
});

test('a 100 MB header line is cut off at the header limit with 431, not buffered', async () => {
  const statuses = await withParallelClient(async () => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.on('close', r));
    sock.write('GET /ping HTTP/1.1\r\nHost: localhost\r\nX-Huge: ');
    const mb = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    // Keep writing until the server hangs up or 100 MB are out.
    while (sent < 100 && !sock.destroyed && got.length === 0) {
      if (!sock.write(mb)) await Promise.race([new Promise((r) => sock.once('drain', r)), closed]);
      sent++;
    }
    await closed;
    assert.match(Buffer.concat(got).toString(), /^HTTP\/1\.1 431 /);
    assert.ok(sent < 100, `server read all ${sent} MB instead of stopping at the limit`);
  });
  assert.ok(statuses.every((s) => s === 200));
});

test('a slowloris client is cut off with 408 at the header timeout', async () => {
  const statuses = await withParallelClient(async () => {
    const parts = ['GET /ping HTTP/1.1\r\n', ...Array.from({ length: 30 }, () => 'X: y\r\n')];
    const ex = await sendRaw(port, parts, { pauseMs: 50, timeoutMs: 3000 });
    assert.equal(ex.responses[0]?.status, 408);
    assert.ok(ex.closed);
  });
  assert.ok(statuses.length > 5 && statuses.every((s) => s === 200));
});

test('a client that disconnects mid-body leaves the server healthy', async () => {
  const statuses = await withParallelClient(async () => {
    for (let i = 0; i < 20; i++) {
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((r) => sock.once('connect', r));
      sock.write('POST /countwords HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\nhello world ');
      await new Promise((r) => setTimeout(r, 10));
      sock.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
  });
  assert.ok(statuses.every((s) => s === 200));
  assert.equal(server.connectionCount, 0);
});

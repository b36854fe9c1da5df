/**
 * GET /ws/echo against a real worker process, with the `ws` client: exact echoes from
 * 1 B to 1 MiB, --ws-max-message at its edge (1009), close codes, bad handshakes as
 * SPEC §2 errors, the idle timeout, the load it shows, 1 000 connections at once, wss://
 * with --tls-cert, and a graceful shutdown that says 1001.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { call } from '../helpers/http.js';
import { type StartedProcess, startWorker } from '../helpers/processes.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';
import { sendRaw } from '../server/helpers/raw-client.js';

const MiB = 1024 * 1024;

function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one message and resolves with the next one received. */
function roundTrip(ws: WebSocket, data: Buffer | string): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d: Buffer, binary: boolean) => resolve({ data: d, binary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
    ws.send(data);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve({ code: -1, reason: 'already closed' });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** A random string of 1–4-byte UTF-8 characters, about `bytes` long. */
function randomText(bytes: number): string {
  const chars = ['a', 'é', '€', '😀', '\u0000', '"'];
  const parts: string[] = [];
  for (let n = 0; n < bytes; ) {
    const c = chars[Math.floor(Math.random() * chars.length)];
    parts.push(c);
    n += Buffer.byteLength(c);
  }
  return parts.join('');
}

describe('/ws/echo', () => {
  let w: StartedProcess;
  let wsUrl: string;
  before(async () => {
    w = await startWorker(['--threads', '1', '--log-level', 'warn']);
    wsUrl = `ws://127.0.0.1:${w.port}/ws/echo`;
  });
  after(() => w.stop());

  test('messages of 1 B to 1 MiB come back exactly, text as text and binary as binary', async () => {
    const ws = await connect(wsUrl);
    const sizes = [1, 2, 125, 126, 127, 65535, 65536, 65537, MiB - 1, MiB];
    // Log-spaced sizes in between, a few hundred messages in all.
    for (let i = 0; i < 290; i++) sizes.push(Math.max(1, Math.floor(Math.exp(Math.random() * Math.log(MiB)))));
    for (const [i, size] of sizes.entries()) {
      if (i % 2 === 0) {
        const sent = randomBytes(size);
        const got = await roundTrip(ws, sent);
        assert.equal(got.binary, true);
        assert.ok(got.data.equals(sent), `binary message of ${size} bytes`);
      } else {
        const sent = randomText(Math.min(size, MiB - 4));
        const got = await roundTrip(ws, sent);
        assert.equal(got.binary, false);
        assert.equal(got.data.toString('utf8'), sent, `text message of ${Buffer.byteLength(sent)} bytes`);
      }
    }
    ws.close(1000);
    assert.equal((await closeOf(ws)).code, 1000);
  });

  test("the client's close code and reason are echoed; no code gives 1005", async () => {
    for (const [code, reason] of [
      [1000, ''],
      [4000, 'bye'],
      [3999, 'x'.repeat(120)],
    ] as const) {
      const ws = await connect(wsUrl);
      ws.close(code, reason);
      assert.deepEqual(await closeOf(ws), { code, reason });
    }
    const ws = await connect(wsUrl);
    ws.close();
    assert.equal((await closeOf(ws)).code, 1005);
  });

  test('a message over 1 MiB (the default --ws-max-message) is closed with 1009', async () => {
    const ws = await connect(wsUrl);
    ws.on('error', () => {});
    const closing = closeOf(ws);
    ws.send(randomBytes(MiB + 1));
    assert.equal((await closing).code, 1009);
  });

  test('bad handshakes get SPEC §2 errors', async () => {
    const head = (extra: string, method = 'GET'): string =>
      `${method} /ws/echo HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`;
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
    const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    const cases: [string, number, string, Record<string, string>][] = [
      [head(''), 426, 'UPGRADE_REQUIRED', { upgrade: 'websocket' }],
      [head(`Upgrade: h2c\r\nConnection: Upgrade\r\n${key}Sec-WebSocket-Version: 13\r\n`), 426, 'UPGRADE_REQUIRED', {}],
      [head(`${upgrade}${key}Sec-WebSocket-Version: 8\r\n`), 426, 'UPGRADE_REQUIRED', { 'sec-websocket-version': '13' }],
      [head(`${upgrade}Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n`), 400, 'BAD_REQUEST', {}],
      [head(`${upgrade}${key}Sec-WebSocket-Version: 13\r\n`, 'POST'), 405, 'METHOD_NOT_ALLOWED', {}],
    ];
    for (const [request, status, code, headers] of cases) {
      const r = (await sendRaw(w.port, [request])).responses[0];
      assert.equal(r.status, status, request);
      assert.equal((JSON.parse(r.body.toString()) as { error: { code: string } }).error.code, code);
      for (const [k, v] of Object.entries(headers)) assert.equal(r.headers[k], v);
    }
  });

  test('open WebSockets show in /status and as load in /ping', async () => {
    const sockets = await Promise.all([connect(wsUrl), connect(wsUrl), connect(wsUrl)]);
    const status = (await call(`${w.url}/status`)).json as { websockets: number; in_flight: number };
    assert.equal(status.websockets, 3);
    assert.equal(status.in_flight, 3);
    assert.equal(((await call(`${w.url}/ping`)).json as { load: number }).load, 3);
    for (const ws of sockets) ws.close(1000);
    await Promise.all(sockets.map(closeOf));
    const deadline = Date.now() + 5000;
    while (((await call(`${w.url}/status`)).json as { websockets: number }).websockets !== 0) {
      assert.ok(Date.now() < deadline, 'websockets back to 0');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  test('1 000 connections at once: all echo, then all close cleanly', { timeout: 60_000 }, async () => {
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 1000; i += 100) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => connect(wsUrl)))));
    }
    const echoes = await Promise.all(sockets.map((ws, i) => roundTrip(ws, `hello ${i}`)));
    echoes.forEach((e, i) => assert.equal(e.data.toString(), `hello ${i}`));
    assert.equal(((await call(`${w.url}/status`)).json as { websockets: number }).websockets, 1000);
    const closes = sockets.map(closeOf);
    for (const ws of sockets) ws.close(1000, 'done');
    const codes = await Promise.all(closes);
    assert.ok(codes.every((c) => c.code === 1000 && c.reason === 'done'));
    const deadline = Date.now() + 10_000;
    while (((await call(`${w.url}/status`)).json as { websockets: number; connections: number }).connections > 1) {
      assert.ok(Date.now() < deadline, 'every socket closed on the worker too');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

describe('/ws/echo limits, TLS and shutdown', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => certs.remove());

  test('--ws-max-message at its edge, whole or fragmented', async (t) => {
    const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--ws-max-message', '1000'], { context: t });
    const url = `ws://127.0.0.1:${w.port}/ws/echo`;
    const ws = await connect(url);
    assert.equal((await roundTrip(ws, randomBytes(1000))).data.length, 1000);
    const closing = closeOf(ws);
    ws.on('error', () => {});
    ws.send(randomBytes(1001));
    assert.equal((await closing).code, 1009);
    // 3 fragments of 400: the message is 1 200 bytes.
    const frag = await connect(url);
    frag.on('error', () => {});
    const fragClosing = closeOf(frag);
    frag.send(randomBytes(400), { fin: false });
    frag.send(randomBytes(400), { fin: false });
    frag.send(randomBytes(400), { fin: true });
    assert.equal((await fragClosing).code, 1009);
  });

  test('--rate-limit applies to handshakes: over the limit is a 429', async (t) => {
    const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--rate-limit', '0.01', '--rate-burst', '1'], { context: t });
    const url = `ws://127.0.0.1:${w.port}/ws/echo`;
    const first = await connect(url);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => reject(new Error('a second handshake was admitted')));
      ws.once('error', () => {});
    });
    assert.equal(status, 429);
    first.close(1000);
    await closeOf(first);
  });

  test('wss:// on a worker with --tls-cert', async (t) => {
    const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--tls-cert', certs.a.cert, '--tls-key', certs.a.key], {
      context: t,
    });
    assert.match(w.url, /^https:\/\//);
    const ws = await connect(`wss://localhost:${w.port}/ws/echo`, { ca: certs.ca });
    const sent = randomBytes(300_000);
    assert.ok((await roundTrip(ws, sent)).data.equals(sent));
    ws.close(4001, 'tls');
    assert.deepEqual(await closeOf(ws), { code: 4001, reason: 'tls' });
  });

  test('an idle WebSocket is closed with 1001 at --ws-idle-timeout; pings keep one open', async (t) => {
    const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--ws-idle-timeout', '1500ms'], { context: t });
    const wsUrl = `ws://127.0.0.1:${w.port}/ws/echo`;
    const idle = await connect(wsUrl);
    const busy = await connect(wsUrl);
    const timer = setInterval(() => busy.ping(), 300);
    const started = Date.now();
    const c = await closeOf(idle);
    assert.deepEqual(c, { code: 1001, reason: 'idle timeout' });
    assert.ok(Date.now() - started >= 1400, 'not before the timeout');
    // Pinged all along, the other one outlives the timeout by far.
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(timer);
    assert.equal(busy.readyState, WebSocket.OPEN);
    assert.equal((await roundTrip(busy, 'still here')).data.toString(), 'still here');
    busy.close(1000);
    await closeOf(busy);
  });

  test('SIGTERM closes open WebSockets with 1001 and the worker exits 0', async (t) => {
    const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--shutdown-timeout', '5s'], { context: t });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connect(`ws://127.0.0.1:${w.port}/ws/echo`)));
    const closes = sockets.map(closeOf);
    const exit = await w.stop('SIGTERM');
    const codes = await Promise.all(closes);
    assert.ok(
      codes.every((c) => c.code === 1001),
      JSON.stringify(codes),
    );
    assert.equal(exit.code, 0);
  });
});

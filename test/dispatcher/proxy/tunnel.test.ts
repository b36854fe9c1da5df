/**
 * WebSocket through `dhttp start` (issue 19 point 2): the dispatcher tunnels Upgrade
 * requests to a worker's /ws/echo. Messages of 1 B–1 MiB come back exactly; a thousand
 * concurrent tunnels are held and closed cleanly; a worker SIGKILLed under open tunnels
 * closes them while ordinary requests keep flowing; an idle tunnel is closed at
 * --tunnel-idle-timeout; a non-101 answer is relayed; h2c is answered as plain HTTP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { call } from '../../helpers/http.js';
import { type StartedProcess, startProcess } from '../../helpers/processes.js';

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 2 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
  });
}

/** The close code, or a rejection if the socket is still open after `withinMs`. */
function closed(ws: WebSocket, withinMs = 15_000): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${withinMs} ms`)), withinMs);
    ws.once('close', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function echo(ws: WebSocket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    ws.once('message', (m: Buffer) => resolve(Buffer.from(m)));
    ws.once('close', () => reject(new Error('closed before the echo')));
    ws.send(data);
  });
}

async function metric(url: string, name: string): Promise<number> {
  const text = (await call(`${url}/metrics`)).text;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

describe('WebSocket through dhttp start', () => {
  let cluster: StartedProcess;
  let ws: string;

  before(async () => {
    cluster = await startProcess('start', ['--port', '0', '--workers', '2', '--log-level', 'warn'], {
      timeoutMs: 30_000,
    });
    ws = `${cluster.url.replace('http', 'ws')}/ws/echo`;
    for (let i = 0; i < 100; i++) {
      const rows = JSON.parse((await call(`${cluster.url}/workers`)).text) as Array<{ Active: boolean }>;
      if (rows.filter((r) => r.Active).length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(() => cluster.stop());

  test('1 000 messages of 1 B – 1 MiB come back exactly', async () => {
    const sock = await open(ws);
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      // Log-uniform sizes: mostly small, some up to 1 MiB.
      const size = Math.max(1, Math.floor(2 ** (Math.random() * 20)));
      const data = randomBytes(size);
      total += size;
      assert.ok((await echo(sock, data)).equals(data), `message ${i} of ${size} bytes`);
    }
    sock.close(1000);
    assert.equal(await closed(sock), 1000);
    assert.ok(total > 1024 * 1024);
  });

  test('1 000 concurrent tunnels are held, counted, then closed cleanly', async () => {
    const socks: WebSocket[] = [];
    for (let i = 0; i < 1000; i += 100) socks.push(...(await Promise.all(Array.from({ length: 100 }, () => open(ws)))));
    assert.equal(await metric(cluster.url, 'dhttp_tunnels_open'), 1000);
    const replies = await Promise.all(socks.map((s, i) => echo(s, Buffer.from(`hello ${i}`))));
    replies.forEach((r, i) => assert.equal(r.toString(), `hello ${i}`));
    const codes = await Promise.all(
      socks.map((s) => {
        s.close(1000, 'done');
        return closed(s);
      }),
    );
    assert.ok(codes.every((c) => c === 1000));
    for (let i = 0; i < 100 && (await metric(cluster.url, 'dhttp_tunnels_open')) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await metric(cluster.url, 'dhttp_tunnels_open'), 0);
  });

  test('an idle tunnel is closed at --tunnel-idle-timeout; a busy one is not', async (t) => {
    const small = await startProcess('start', ['--port', '0', '--workers', '1', '--log-level', 'warn', '--tunnel-idle-timeout', '1500ms'], {
      timeoutMs: 30_000,
      context: t,
    });
    const smallWs = `${small.url.replace('http', 'ws')}/ws/echo`;
    for (let i = 0; i < 100 && (await call(`${small.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    const idle = await open(smallWs);
    // Timed from the idle tunnel's opening: the second opening may take a while on a loaded machine.
    const t0 = performance.now();
    const busy = await open(smallWs);
    const ticker = setInterval(() => busy.send('tick'), 300);
    const code = await closed(idle);
    clearInterval(ticker);
    const waited = performance.now() - t0;
    assert.ok(waited >= 1400 && waited < 10_000, `closed after ${Math.round(waited)} ms`);
    assert.equal(code, 1006, 'cut by the dispatcher');
    assert.equal(busy.readyState, WebSocket.OPEN);
    busy.close(1000);
    await closed(busy);
  });

  test('a non-101 answer is relayed as an answer; h2c is answered as plain HTTP', async () => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve) => {
        const s = net.connect(cluster.port, '127.0.0.1');
        let out = '';
        s.on('data', (c) => (out += c.toString('latin1')));
        s.on('close', () => resolve(out));
        s.on('error', () => {});
        s.write(text);
        setTimeout(() => s.end(), 1500);
      });
    const bad = await raw(
      'GET /ws/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.match(bad, /^HTTP\/1\.1 426 /);
    assert.match(bad, /UPGRADE_REQUIRED/);
    const h2c = await raw(
      'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
    );
    assert.match(h2c, /^HTTP\/1\.1 200 /);
    assert.match(h2c, /"status":"ok"/);
  });

  test('a worker SIGKILLed under open tunnels closes them; ordinary requests keep flowing', async () => {
    const socks = await Promise.all(Array.from({ length: 20 }, () => open(ws)));
    const ended = Promise.all(socks.map((s) => closed(s)));
    const rows = JSON.parse((await call(`${cluster.url}/workers`)).text) as Array<{ ID: string; Address: string; Load: number }>;
    // The busier worker carries tunnels (each open tunnel counts in its load): kill it.
    const target = rows.reduce((a, b) => (b.Load > a.Load ? b : a));
    assert.ok(target.Load > 0, JSON.stringify(rows));
    const status = JSON.parse((await call(`${target.Address}/status`)).text) as { pid: number };
    process.kill(status.pid, 'SIGKILL');
    let ok = 0;
    for (let i = 0; i < 50; i++) if ((await call(`${cluster.url}/fibonacci?num=20`)).status === 200) ok++;
    assert.equal(ok, 50, 'ordinary requests unaffected');
    const live = socks.filter((s) => s.readyState === WebSocket.OPEN);
    for (const s of live) s.close(1000);
    const codes = await ended;
    assert.ok(
      codes.some((c) => c === 1006),
      'the killed worker’s tunnels were closed under their clients',
    );
  });
});

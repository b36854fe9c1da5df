import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawPool } from '../../src/client/pool.js';
import { idleLimitOf } from '../../src/client/connection.js';
import { classify } from '../../src/dispatcher/proxy/retry.js';
import { deadAddress } from '../dispatcher/helpers/fake-exchange.js';

interface Served {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Remote ports of the requests, in order: the client's connection identity. */
  ports: number[];
  close(): Promise<void>;
}

const servers: Array<() => Promise<void>> = [];
const pools: RawPool[] = [];
after(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  await Promise.all(servers.map((c) => c()));
});

function pool(url: string, options: ConstructorParameters<typeof RawPool>[1] = {}): RawPool {
  const p = new RawPool(url, options);
  pools.push(p);
  return p;
}

async function serve(handler: http.RequestListener): Promise<Served> {
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    s.ports.push(req.socket.remotePort ?? 0);
    handler(req, res);
  });
  const s: Served = {
    url: '',
    connections: 0,
    ports: [],
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  server.on('connection', () => s.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(s.close);
  return s;
}

/** A TCP server answering each connection with `script` (raw bytes, full control). */
async function rawServe(script: (socket: net.Socket, request: string, n: number) => void): Promise<Served> {
  const s: Served = { url: '', connections: 0, ports: [], close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    s.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let n = 0;
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      // Bounded: each pass removes one request head.
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const request = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        s.ports.push(socket.remotePort ?? 0);
        script(socket, request, n++);
      }
    });
  });
  s.close = () =>
    new Promise((r) => {
      for (const so of sockets) so.destroy();
      server.close(() => r());
    });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(s.close);
  return s;
}

const GET = { method: 'GET', path: '/', timeoutMs: 2000 } as const;

describe('raw client over real sockets', () => {
  test('Content-Length response; Host is added; headers lower-cased, repeats as arrays', async () => {
    let host = '';
    const s = await serve((req, res) => {
      host = req.headers.host ?? '';
      res.setHeader('X-Multi', ['a', 'b']);
      res.end('hello');
    });
    const res = await pool(s.url).request({ ...GET, path: '/x?y=1' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.headers['x-multi'], ['a', 'b']);
    assert.equal(res.headers['content-length'], '5');
    assert.equal(await res.body.text(), 'hello');
    assert.equal(host, new URL(s.url).host);
  });

  test('a body that arrives with its head is handed over whole; a later one is streamed', async () => {
    const s = await rawServe((socket, request) => {
      if (request.startsWith('GET /whole')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
      } else if (request.startsWith('GET /empty')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      } else {
        // The head alone first, the body in a later write: the answer must not wait for it.
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel');
        setTimeout(() => socket.write('lo'), 50);
      }
    });
    const p = pool(s.url);
    const whole = await p.request({ ...GET, path: '/whole' });
    assert.equal(whole.complete?.toString(), 'hello');
    assert.equal(await whole.body.text(), 'hello', 'body still readable as a stream');
    const empty = await p.request({ ...GET, path: '/empty' });
    assert.equal(empty.complete?.length, 0);
    assert.equal(await empty.body.text(), '');
    const later = await p.request({ ...GET, path: '/later' });
    assert.equal(later.complete, undefined);
    assert.equal(await later.body.text(), 'hello');
    const again = await p.request({ ...GET, path: '/whole' });
    assert.equal(again.complete?.toString(), 'hello');
    assert.equal(s.connections, 1, 'one keep-alive connection throughout');
  });

  test('socketPath: connections go to a Unix socket; Host stays the origin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dhttp-rawpool-'));
    const path = join(dir, 'w.sock');
    let host = '';
    const server = http.createServer((req, res) => {
      host = req.headers.host ?? '';
      res.end(`over ${req.socket.remoteAddress === undefined ? 'unix' : 'tcp'}`);
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const p = pool('http://127.0.0.1:9', { socketPath: path });
      for (let i = 0; i < 3; i++) assert.equal(await (await p.request(GET)).body.text(), 'over unix');
      assert.equal(host, '127.0.0.1:9');
      assert.equal(p.size, 1, 'one keep-alive connection');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('chunked response written in pieces; json()', async () => {
    const s = await serve((_req, res) => {
      res.write('{"a":');
      setTimeout(() => res.end('1}'), 20);
    });
    const res = await pool(s.url).request(GET);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(await res.body.json(), { a: 1 });
  });

  test('close-delimited response; the connection is not reused', async () => {
    const s = await rawServe((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nto the end'));
    const p = pool(s.url);
    assert.equal(await (await p.request(GET)).body.text(), 'to the end');
    assert.equal(await (await p.request(GET)).body.text(), 'to the end');
    assert.equal(s.connections, 2);
  });

  test('keep-alive: HEAD, 204, 304 and bodies reuse one connection', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304).end();
      else res.end('body');
    });
    const p = pool(s.url);
    const head = await p.request({ ...GET, method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    assert.equal(await head.body.text(), '');
    assert.equal((await p.request({ ...GET, path: '/204' })).statusCode, 204);
    assert.equal((await p.request({ ...GET, path: '/304' })).statusCode, 304);
    assert.equal(await (await p.request(GET)).body.text(), 'body');
    assert.equal(s.connections, 1);
    assert.equal(new Set(s.ports).size, 1);
  });

  test('1xx interim responses are skipped over a socket', async () => {
    const s = await rawServe((socket) => socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const res = await pool(s.url).request(GET);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'ok');
  });

  test('Connection: close and HTTP/1.0 answers are not reused', async () => {
    const s = await rawServe((socket, req) => {
      socket.write(
        req.includes('/10')
          ? 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na'
          : 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nb',
      );
    });
    const p = pool(s.url);
    await (await p.request(GET)).body.text();
    await (await p.request({ ...GET, path: '/10' })).body.text();
    await (await p.request(GET)).body.text();
    assert.equal(s.connections, 3);
  });

  test('max connections: the rest wait, in arrival order', async () => {
    let open = 0;
    let peak = 0;
    const s = await serve((req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        res.end(req.url);
      }, 30);
    });
    const p = pool(s.url, { connections: 2 });
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (i) => {
        const res = await p.request({ ...GET, path: `/${i}` });
        order.push(await res.body.text());
      }),
    );
    assert.equal(peak, 2);
    assert.equal(s.connections, 2);
    assert.deepEqual(order.slice(0, 2).sort(), ['/1', '/2']);
    assert.deepEqual(order.slice(2, 4).sort(), ['/3', '/4']);
    assert.equal(p.queued, 0);
  });

  test('idle connections close after the keep-alive timeout', async () => {
    const s = await serve((_req, res) => res.end('x'));
    const p = pool(s.url, { keepAliveTimeoutMs: 100 });
    await (await p.request(GET)).body.text();
    assert.equal(p.idleCount, 1);
    for (let i = 0; i < 50 && p.size > 0; i++) await sleep(20);
    assert.equal(p.size, 0);
    await (await p.request(GET)).body.text();
    assert.equal(s.connections, 2);
  });

  test("an idle connection outlives its last request's timeout: the pool's keep-alive decides", async () => {
    const s = await serve((_req, res) => res.end('x'));
    const p = pool(s.url, { keepAliveTimeoutMs: 4000 });
    // As a health probe: a 150 ms timeout, asked again after longer than that.
    const probe = { method: 'GET', path: '/', timeoutMs: 150 } as const;
    await (await p.request(probe)).body.text();
    await sleep(400);
    assert.equal(p.idleCount, 1, 'still pooled after its request timeout passed idle');
    await (await p.request(probe)).body.text();
    assert.equal(s.connections, 1, 'the second request reused the connection');
  });

  test('a reused connection still times out a worker that stops answering', async () => {
    let calls = 0;
    const s = await serve((_req, res) => {
      if (++calls === 1) res.end('x'); // the second request is never answered
    });
    const p = pool(s.url);
    const req = { method: 'GET', path: '/', timeoutMs: 150 } as const;
    await (await p.request(req)).body.text();
    await sleep(300); // the timer fired while idle
    const t0 = performance.now();
    await assert.rejects(p.request(req), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    assert.ok(performance.now() - t0 < 2000, 'timed out by the re-armed timer');
    assert.equal(s.connections, 1, 'on the reused connection');
  });

  test("a worker's Keep-Alive: timeout=N caps the idle time at N - 1 s (the pool's own is longer)", async (t) => {
    const s = await rawServe((socket) => socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 1\r\n\r\nx'));
    const p = pool(s.url); // keep-alive 4 s, swept every second: its own limit closes at 3-4 s
    await (await p.request(GET)).body.text();
    assert.equal(p.idleCount, 1, 'kept idle at first');
    const t0 = performance.now();
    // The hint's 1 s closes it at the first sweep (≤ 1 s); wait well short of the pool's own 3 s.
    for (let i = 0; i < 140 && p.size > 0; i++) await sleep(20);
    assert.equal(p.size, 0, 'closed by the hint, not by the pool limit');
    t.diagnostic(`closed after ${Math.round(performance.now() - t0)} ms`);
  });

  test('Keep-Alive: timeout=1 leaves no idle time worth the race: the connection is not kept', async () => {
    const s = await rawServe((socket) => socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1, max=100\r\nContent-Length: 1\r\n\r\nx'));
    const p = pool(s.url);
    await (await p.request(GET)).body.text();
    for (let i = 0; i < 25 && p.size > 0; i++) await sleep(20);
    assert.equal(p.size, 0);
    await (await p.request(GET)).body.text();
    assert.equal(s.connections, 2);
  });

  test('idleLimitOf reads the timeout parameter of Keep-Alive', () => {
    assert.equal(idleLimitOf(undefined), undefined);
    assert.equal(idleLimitOf('max=5'), undefined);
    assert.equal(idleLimitOf('timeout=5, max=1000'), 4000);
    assert.equal(idleLimitOf('max=9, TIMEOUT = 3'), 2000);
    assert.equal(idleLimitOf(['max=9', 'timeout=2']), 1000);
    assert.equal(idleLimitOf('timeout=0'), -1000);
  });

  test('connect refused: ECONNREFUSED, a connect failure', async () => {
    const p = pool(await deadAddress());
    await assert.rejects(p.request(GET), (err) => classify(err) === 'connect');
  });

  test('reset before the head: a reset', async () => {
    const s = await rawServe((socket) => socket.destroy());
    await assert.rejects(pool(s.url).request(GET), (err) => classify(err) === 'reset');
  });

  test('a reused connection dying before any response byte is a reset', async () => {
    const s = await rawServe((socket, _req, n) => {
      if (n === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na');
      else socket.destroy();
    });
    const p = pool(s.url);
    await (await p.request({ ...GET, method: 'POST' })).body.text();
    await assert.rejects(p.request({ ...GET, method: 'POST' }), (err) => classify(err) === 'reset');
  });

  test('reset mid-body: the body errors', async () => {
    const s = await rawServe((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 20);
    });
    const res = await pool(s.url).request(GET);
    await assert.rejects(res.body.text(), (err) => classify(err) === 'reset');
  });

  test('header and body timeouts', async () => {
    const silent = await rawServe(() => {});
    await assert.rejects(pool(silent.url).request({ ...GET, timeoutMs: 100 }), (err: { code?: string }) => {
      return err.code === 'UND_ERR_HEADERS_TIMEOUT' && classify(err) === 'timeout';
    });
    const stalling = await rawServe((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'));
    const res = await pool(stalling.url).request({ ...GET, timeoutMs: 100 });
    await assert.rejects(res.body.text(), { code: 'UND_ERR_BODY_TIMEOUT' });
  });

  test('abort: before the head rejects with an AbortError; after it, the body errors', async () => {
    const silent = await rawServe(() => {});
    const ac = new AbortController();
    const pending = pool(silent.url).request({ ...GET, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(pool(silent.url).request({ ...GET, signal: AbortSignal.abort() }), { name: 'AbortError' });

    const slow = await rawServe((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'));
    const ac2 = new AbortController();
    const res = await pool(slow.url).request({ ...GET, signal: ac2.signal });
    setTimeout(() => ac2.abort(), 30);
    await assert.rejects(res.body.text(), { name: 'AbortError' });
  });

  test('streamed request body: chunked, with backpressure', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let received = 0;
    let te = '';
    const s = await serve(async (req, res) => {
      te = req.headers['transfer-encoding'] ?? '';
      req.pause();
      await gate;
      for await (const c of req) received += (c as Buffer).length;
      res.end(String(received));
    });
    const CHUNK = 64 * 1024;
    const TOTAL = 256; // 16 MiB
    let produced = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < TOTAL; i++) {
        produced++;
        yield Buffer.alloc(CHUNK, 97);
      }
    }
    const pending = pool(s.url).request({ method: 'POST', path: '/', body: body(), timeoutMs: 10_000 });
    await sleep(300);
    // The socket buffers fill and the generator waits: far from all was produced.
    assert.ok(produced < TOTAL / 2, `produced ${produced} of ${TOTAL} while the server did not read`);
    release();
    const res = await pending;
    assert.equal(await res.body.text(), String(TOTAL * CHUNK));
    assert.equal(te, 'chunked');
  });

  test('streamed request body with a Content-Length goes unframed; a string body gets one', async () => {
    const s = await serve(async (req, res) => {
      let text = '';
      for await (const c of req) text += (c as Buffer).toString();
      res.end(`${req.headers['content-length']}|${req.headers['transfer-encoding'] ?? ''}|${text}`);
    });
    const p = pool(s.url);
    const streamed = await p.request({
      method: 'PUT',
      path: '/',
      headers: ['content-length', '6'],
      timeoutMs: 1000,
      body: (async function* () {
        yield Buffer.from('abc');
        yield Buffer.from('def');
      })(),
    });
    assert.equal(await streamed.body.text(), '6||abcdef');
    const str = await p.request({ method: 'POST', path: '/', body: 'héllo', timeoutMs: 1000 });
    assert.equal(await str.body.text(), '6||héllo');
    assert.equal(s.connections, 1);
  });

  test('response body backpressure pauses the socket', async () => {
    let blocked = false;
    const s = await serve((_req, res) => {
      const piece = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 256 && !blocked; i++) if (!res.write(piece)) blocked = true;
      res.on('drain', () => res.end());
    });
    const res = await pool(s.url).request(GET);
    await sleep(200);
    assert.equal(blocked, true);
    let total = 0;
    for await (const c of res.body) total += (c as Buffer).length;
    assert.ok(total > 0);
  });

  test('invalid header values are refused before any connection', async () => {
    const s = await serve((_req, res) => res.end());
    await assert.rejects(pool(s.url).request({ ...GET, headers: { 'x-a': 'b\r\nx-c: d' } }), { code: 'UND_ERR_INVALID_ARG' });
    assert.equal(s.connections, 0);
  });

  test('close(): waiters fail, idle connections close', async () => {
    const s = await serve((_req, res) => res.end('x'));
    const p = pool(s.url);
    await (await p.request(GET)).body.text();
    await p.close();
    assert.equal(p.size, 0);
    await assert.rejects(p.request(GET), { code: 'UND_ERR_CLOSED' });
  });
});

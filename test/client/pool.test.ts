/**
 * The client's Pool over real sockets: reuse newest-first (LIFO), the connection limit and
 * its queue (in arrival order, bounded by the queue timeout), idle expiry and the
 * upstream's Keep-Alive hint, connect failures (refused, timed out), the headers and body
 * timeouts - and a consumer that pauses is not timed out - resets, and close().
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientError } from '../../src/client/errors.js';
import { idleLimitOf } from '../../src/client/keep-alive-hint.js';
import { request } from '../../src/client/request.js';
import { classify } from '../../src/dispatcher/proxy/retry.js';
import { closeAll, codeOf, deadAddress, httpWorker, OPTS, ok, poolFor, rawWorker, Sink, head as requestHead, until } from './helpers.js';

after(closeAll);

/** A broken mechanism fails its test instead of hanging the run. */
const BOUNDED = { timeout: 15_000 };

const GET = { method: 'GET', path: '/', timeoutMs: 2000 } as const;

/** A handler that asks to pause at its first body bytes and counts what it gets (decoded). */
class PausingSink extends Sink {
  paused = false;
  bytes = 0;

  constructor() {
    super(false);
  }

  override onData(data: Buffer, complete: boolean): boolean {
    super.onData(Buffer.alloc(0), complete);
    this.bytes += data.length;
    if (this.bytes > 0 && !this.paused) {
      this.paused = true;
      return false;
    }
    return true;
  }
}

async function text(res: { body: AsyncIterable<unknown> }): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of res.body) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('latin1');
}

describe('pool: reuse', () => {
  test('an idle connection is reused, the newest first (LIFO); the others are left to expire', BOUNDED, async () => {
    const w = await httpWorker((req, res) => {
      // /a is answered before /b: its connection goes idle first.
      setTimeout(() => res.end(req.url), req.url === '/a' ? 10 : req.url === '/b' ? 60 : 0);
    });
    const pool = poolFor(w.url, { keepAliveTimeoutMs: 400 });
    await Promise.all(['/a', '/b'].map(async (path) => text(await request(pool, { ...GET, path }))));
    assert.equal(pool.idleCount, 2);
    const [portA, portB] = w.ports;
    assert.notEqual(portA, portB, 'two connections');
    // Requests one after the other until the older connection expires: always on the newest.
    const t0 = performance.now();
    while (pool.size > 1 && performance.now() - t0 < 5000) {
      assert.equal(await text(await request(pool, { ...GET, path: '/c' })), '/c');
      await sleep(40);
    }
    assert.deepEqual([...new Set(w.ports.slice(2))], [portB], 'every later request on the newest idle connection');
    assert.equal(pool.size, 1, 'the connection left idle expired; the one in use stayed');
    assert.equal(w.connections, 2);
  });

  test(
    'Host is the origin; a body that came with its head is handed over whole, a later one streamed; one connection throughout',
    BOUNDED,
    async () => {
      let host = '';
      const w = await rawWorker((socket, heads) => {
        const h = heads[heads.length - 1];
        host = /\r\nhost: ([^\r]*)/i.exec(h)?.[1] ?? '';
        if (h.startsWith('GET /whole')) socket.write(ok('hello', 'X-Multi: a\r\nX-Multi: b\r\n'));
        else {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel');
          setTimeout(() => socket.write('lo'), 30);
        }
      });
      const pool = poolFor(w.url);
      const whole = await request(pool, { ...GET, path: '/whole' });
      assert.equal(whole.complete?.toString(), 'hello');
      assert.deepEqual(whole.headers['x-multi'], ['a', 'b']);
      assert.equal(await text(whole), 'hello', 'still readable as a stream');
      const later = await request(pool, { ...GET, path: '/later' });
      assert.equal(later.complete, undefined);
      assert.equal(await text(later), 'hello');
      assert.equal(host, new URL(w.url).host);
      assert.equal(w.reads.length, 1);
    },
  );

  test('socketPath: connections go to a Unix socket; Host stays the origin', BOUNDED, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dhttp-pool-'));
    const path = join(dir, 'w.sock');
    let host = '';
    const server = http.createServer((req, res) => {
      host = req.headers.host ?? '';
      res.end('over unix');
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const pool = poolFor('http://127.0.0.1:9', { socketPath: path });
      for (let i = 0; i < 3; i++) assert.equal(await text(await request(pool, GET)), 'over unix');
      assert.equal(host, '127.0.0.1:9');
      assert.equal(pool.size, 1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pool: limits', () => {
  test('at most `connections` open; the rest wait, in arrival order', BOUNDED, async () => {
    let open = 0;
    let peak = 0;
    const w = await httpWorker((req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        res.end(req.url);
      }, 30);
    });
    const pool = poolFor(w.url, { connections: 2 });
    const order: string[] = [];
    const pending = [1, 2, 3, 4, 5, 6].map(async (i) => order.push(await text(await request(pool, { ...GET, path: `/${i}` }))));
    await until('four waiting', () => pool.queued === 4);
    await Promise.all(pending);
    assert.equal(peak, 2);
    assert.equal(w.connections, 2);
    assert.deepEqual(order.slice(0, 2).sort(), ['/1', '/2']);
    assert.deepEqual(order.slice(2, 4).sort(), ['/3', '/4']);
    assert.equal(pool.queued, 0);
  });

  test(
    'a request that finds every connection busy for the queue timeout fails with QUEUE_TIMEOUT (busy: nothing was sent)',
    BOUNDED,
    async () => {
      const w = await rawWorker(() => {});
      const pool = poolFor(w.url, { connections: 1, queueTimeoutMs: 150 });
      const first = request(pool, { ...GET, timeoutMs: 5000 });
      first.catch(() => {});
      const t0 = performance.now();
      await assert.rejects(request(pool, GET), (err: { code?: string }) => err.code === 'QUEUE_TIMEOUT' && classify(err) === 'busy');
      const waited = performance.now() - t0;
      assert.ok(waited >= 140, `waited ${waited} ms`);
      assert.equal(w.reads.length, 1, 'the second request was never written');
      assert.equal(w.reads[0].flat().length, 1);
    },
  );
});

describe('pool: idle connections', () => {
  test('idle connections close after the keep-alive timeout', BOUNDED, async () => {
    const w = await httpWorker((_req, res) => res.end('x'));
    const pool = poolFor(w.url, { keepAliveTimeoutMs: 100 });
    await text(await request(pool, GET));
    assert.equal(pool.idleCount, 1);
    await until('closed', () => pool.size === 0, 1000);
    await text(await request(pool, GET));
    assert.equal(w.connections, 2);
  });

  test("an idle connection outlives its last request's timeout: the pool's keep-alive decides", BOUNDED, async () => {
    const w = await httpWorker((_req, res) => res.end('x'));
    const pool = poolFor(w.url, { keepAliveTimeoutMs: 4000 });
    await text(await request(pool, { ...GET, timeoutMs: 100 }));
    await sleep(300);
    assert.equal(pool.idleCount, 1);
    await text(await request(pool, { ...GET, timeoutMs: 100 }));
    assert.equal(w.connections, 1);
  });

  test("the upstream's Keep-Alive: timeout=N caps the idle time at N - 1 s when the pool's own is longer", BOUNDED, async (t) => {
    const w = await rawWorker((socket) => socket.write(ok('x', 'Keep-Alive: timeout=2\r\n')));
    const pool = poolFor(w.url, { keepAliveTimeoutMs: 8000 });
    await text(await request(pool, GET));
    assert.equal(pool.idleCount, 1, 'kept idle at first');
    const t0 = performance.now();
    await until('closed by the hint', () => pool.size === 0, 3000);
    const ms = performance.now() - t0;
    t.diagnostic(`closed after ${Math.round(ms)} ms`);
    assert.ok(ms >= 500, `closed too early (${ms} ms)`);
  });

  test('Keep-Alive: timeout=1 leaves no idle time worth the race: the connection is not kept', BOUNDED, async () => {
    const w = await rawWorker((socket) => socket.write(ok('x', 'Keep-Alive: timeout=1, max=100\r\n')));
    const pool = poolFor(w.url);
    await text(await request(pool, GET));
    await until('closed', () => pool.size === 0, 500);
    await text(await request(pool, GET));
    assert.equal(w.reads.length, 2);
  });

  test('idleLimitOf reads the timeout parameter of Keep-Alive', BOUNDED, () => {
    assert.equal(idleLimitOf(undefined), undefined);
    assert.equal(idleLimitOf('max=5'), undefined);
    assert.equal(idleLimitOf('timeout=5, max=1000'), 4000);
    assert.equal(idleLimitOf('max=9, TIMEOUT = 3'), 2000);
    assert.equal(idleLimitOf('timeout=0'), -1000);
  });
});

/**
 * A listener whose accept queue is full: a process listening with a backlog of 1, stopped
 * (SIGSTOP) so it accepts nothing, its queue filled - a new connect's SYN is dropped.
 */
async function stalledListener(): Promise<{ url: string; close(): void }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('listener exited')));
  });
  child.kill('SIGSTOP');
  const fill = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(50);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of fill) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('pool: connecting', () => {
  test('connect refused: ECONNREFUSED, a connect failure', BOUNDED, async () => {
    const pool = poolFor(await deadAddress());
    await assert.rejects(request(pool, GET), (err: { code?: string }) => err.code === 'ECONNREFUSED' && classify(err) === 'connect');
  });

  test('connect timed out: CONNECT_TIMEOUT, a connect failure', BOUNDED, async (t) => {
    if (readFileSync('/proc/sys/net/ipv4/tcp_abort_on_overflow', 'utf8').trim() !== '0') {
      t.skip('the kernel resets connections to a full accept queue here (tcp_abort_on_overflow)');
      return;
    }
    const stalled = await stalledListener();
    t.after(() => stalled.close());
    const pool = poolFor(stalled.url, { connectTimeoutMs: 200 });
    const t0 = performance.now();
    await assert.rejects(request(pool, GET), (err: { code?: string }) => err.code === 'CONNECT_TIMEOUT' && classify(err) === 'connect');
    assert.ok(performance.now() - t0 >= 190);
    assert.equal(pool.size, 0);
  });
});

describe('pool: timeouts and resets', () => {
  test('no head within the timeout: HEADERS_TIMEOUT, a timeout; the connection is closed', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const pool = poolFor(w.url);
    await assert.rejects(
      request(pool, { ...GET, timeoutMs: 100 }),
      (err: { code?: string }) => err.code === 'HEADERS_TIMEOUT' && classify(err) === 'timeout',
    );
    await until('closed', () => w.closedByClient === 1);
  });

  test('body bytes stop for the timeout: BODY_TIMEOUT (the promise API sets both timeouts)', BOUNDED, async () => {
    const w = await rawWorker((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'));
    const res = await request(poolFor(w.url), { ...GET, timeoutMs: 300 });
    await assert.rejects(text(res), (err: { code?: string }) => err.code === 'BODY_TIMEOUT' && classify(err) === 'timeout');
  });

  // The head gets a generous timeout here, so only the body timeout is under test whatever the machine's load.
  const BODY_ONLY = { ...OPTS, headersTimeoutMs: 5000, bodyTimeoutMs: 100 };

  test('a consumer that does not take data for longer than the body timeout is not timed out: the pause is its own', BOUNDED, async () => {
    const size = 4 * 1024 * 1024;
    const w = await rawWorker((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      socket.write(Buffer.alloc(size, 0x61));
    });
    const s = new PausingSink();
    const control = poolFor(w.url).dispatch({ head: requestHead('/'), handler: s, opts: BODY_ONLY });
    await until('paused', () => s.paused);
    await sleep(500);
    assert.equal(s.failed, undefined, 'not timed out while paused');
    control.resume();
    await until('complete', () => s.settled);
    assert.deepEqual([s.failed, s.bytes], [undefined, size]);
  });

  test('a consumer that paused does not switch the timeout off: a worker that stalls after it resumed is timed out', BOUNDED, async () => {
    const w = await rawWorker((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n');
      socket.write(Buffer.alloc(100_000, 0x62)); // then nothing more
    });
    const s = new PausingSink();
    const control = poolFor(w.url).dispatch({ head: requestHead('/'), handler: s, opts: BODY_ONLY });
    await until('paused', () => s.paused);
    await sleep(300);
    control.resume();
    await until('failed', () => s.failed !== undefined);
    assert.equal(codeOf(s), 'BODY_TIMEOUT');
    assert.equal(s.bytes, 100_000);
  });

  test('a reset before the head is a reset', BOUNDED, async () => {
    const w = await rawWorker((socket) => socket.destroy());
    await assert.rejects(request(poolFor(w.url), GET), (err) => classify(err) === 'reset');
  });

  test('a reused connection dying before any answer byte is a reset (SOCKET)', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      if (heads.length === 1) socket.write(ok('a'));
      else socket.destroy();
    });
    const pool = poolFor(w.url);
    await text(await request(pool, { ...GET, method: 'POST' }));
    await assert.rejects(
      request(pool, { ...GET, method: 'POST' }),
      (err: { code?: string }) => err.code === 'SOCKET' && classify(err) === 'reset',
    );
  });

  test('a reset mid-body: the body fails, a reset', BOUNDED, async () => {
    const w = await rawWorker((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 20);
    });
    const res = await request(poolFor(w.url), GET);
    await assert.rejects(text(res), (err) => classify(err) === 'reset');
  });

  test('the exchange timeouts apply to a handler on its own connection too (dispatch)', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const pool = poolFor(w.url);
    const s = new Sink();
    pool.dispatch({ head: requestHead('/'), handler: s, opts: { ...OPTS, headersTimeoutMs: 80 } });
    await until('failed', () => s.failed !== undefined, 1000);
    assert.equal(codeOf(s), 'HEADERS_TIMEOUT');
  });
});

describe('pool: closing', () => {
  test('destroy(reason): what is in flight and what waits fail with the reason (the dispatcher cuts with CUT)', BOUNDED, async () => {
    const w = await rawWorker(() => {}); // reads requests, never answers
    const pool = poolFor(w.url, { connections: 1 });
    const inFlight = request(pool, { ...GET, timeoutMs: 5000 });
    inFlight.catch(() => {});
    await until('one in flight', () => w.reads.flat().length === 1);
    const waiting = request(pool, GET);
    waiting.catch(() => {});
    await until('one waiting', () => pool.queued === 1);
    const destroyed = pool.destroy(clientError('CUT', 'the worker stopped answering'));
    await assert.rejects(inFlight, { code: 'CUT', message: 'the worker stopped answering' });
    await assert.rejects(waiting, { code: 'CUT' });
    await destroyed;
    assert.equal(pool.size, 0);
  });

  test(
    'close(): waiters fail with CLOSED, idle connections close, later requests fail; a destroy() after it settles both',
    BOUNDED,
    async () => {
      const w = await rawWorker((socket, heads) => {
        if (heads.length === 1) socket.write(ok('x'));
      });
      const pool = poolFor(w.url, { connections: 1 });
      await text(await request(pool, GET));
      const busy = request(pool, { ...GET, timeoutMs: 5000 });
      busy.catch(() => {});
      const waiting = request(pool, GET);
      await until('one waiting', () => pool.queued === 1);
      const closing = pool.close();
      await assert.rejects(waiting, { code: 'CLOSED' });
      await assert.rejects(request(pool, GET), { code: 'CLOSED' });
      await pool.destroy();
      await closing;
      assert.equal(pool.size, 0);
    },
  );
});

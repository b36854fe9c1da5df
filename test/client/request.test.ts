/**
 * The client's promise API (request()): bounded reads of an upstream that never stops
 * (maxBytes → TOO_LARGE, deadlineMs → DEADLINE, memory flat), abort through a signal,
 * request bodies (whole, streamed with backpressure), answers' backpressure reaching the
 * socket, and header values that would split a request refused before any connection.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from '../../src/client/request.js';
import { closeAll, httpWorker, poolFor, rawWorker, until } from './helpers.js';

after(closeAll);

/** A broken mechanism fails its test instead of hanging the run. */
const BOUNDED = { timeout: 15_000 };

const GET = { method: 'GET', path: '/', timeoutMs: 2000 } as const;

/** Writes an endless chunked answer: `piece` bytes per chunk, as fast as the socket drains, or one every `everyMs`. */
function endless(socket: Socket, piece: number, everyMs = 0): { written: () => number } {
  let written = 0;
  const chunk = Buffer.concat([Buffer.from(`${piece.toString(16)}\r\n`), Buffer.alloc(piece, 0x7a), Buffer.from('\r\n')]);
  socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
  const pump = (): void => {
    while (!socket.destroyed) {
      written += piece;
      if (everyMs > 0) {
        socket.write(chunk);
        setTimeout(pump, everyMs);
        return;
      }
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return { written: () => written };
}

describe('request(): bounded reads of an endless answer', () => {
  test('maxBytes: reading past it fails with TOO_LARGE and closes the connection', BOUNDED, async () => {
    const w = await rawWorker((socket) => endless(socket, 16 * 1024, 2));
    const res = await request(poolFor(w.url), { ...GET, maxBytes: 100_000 });
    let read = 0;
    await assert.rejects(
      (async () => {
        for await (const p of res.body) read += (p as Buffer).length;
      })(),
      { code: 'TOO_LARGE' },
    );
    assert.ok(read <= 100_000, `read ${read} bytes`);
    await until('the connection closed', () => w.closedByClient === 1);
  });

  test('maxBytes when the head came with more than allowed: the promise itself fails', BOUNDED, async () => {
    const w = await rawWorker((socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'y'.repeat(5000)}`));
    await assert.rejects(request(poolFor(w.url), { ...GET, maxBytes: 1000 }), { code: 'TOO_LARGE' });
  });

  test('deadlineMs: an answer still streaming at the deadline fails with DEADLINE', BOUNDED, async () => {
    const w = await rawWorker((socket) => endless(socket, 4096, 5));
    const t0 = performance.now();
    const res = await request(poolFor(w.url), { ...GET, deadlineMs: 300, maxBytes: 1e9 });
    let read = 0;
    await assert.rejects(
      (async () => {
        for await (const p of res.body) read += (p as Buffer).length;
      })(),
      { code: 'DEADLINE' },
    );
    const took = performance.now() - t0;
    assert.ok(took >= 290 && took < 2000, `failed after ${took} ms`);
    assert.ok(read > 0, 'the body was flowing');
    await until('the connection closed', () => w.closedByClient === 1);
  });

  test('deadlineMs before the head: the promise fails with DEADLINE', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    await assert.rejects(request(poolFor(w.url), { ...GET, timeoutMs: 10_000, deadlineMs: 150 }), { code: 'DEADLINE' });
  });

  test('memory stays flat: an endless answer nobody reads fills the buffers and stops, until the deadline ends it', BOUNDED, async (t) => {
    let counter: { written: () => number } | undefined;
    const w = await rawWorker((socket) => {
      counter = endless(socket, 64 * 1024);
    });
    const res = await request(poolFor(w.url), { ...GET, deadlineMs: 1500, maxBytes: 1e12 });
    // Sampled until the worker is held back (two equal samples 100 ms apart).
    let last = -1;
    let now = counter?.written() ?? 0;
    for (let i = 0; i < 12 && now !== last; i++) {
      await sleep(100);
      last = now;
      now = counter?.written() ?? 0;
    }
    t.diagnostic(`the worker wrote ${now} bytes, then was held back`);
    assert.equal(now, last, 'the worker is held back: nothing more was taken');
    // Socket buffers on both sides and the body's high-water mark: a few MiB at most.
    assert.ok(now < 32 * 1024 * 1024, `${now} bytes written to a reader that reads nothing`);
    await assert.rejects(
      (async () => {
        for await (const _ of res.body) await sleep(50);
      })(),
      { code: 'DEADLINE' },
    );
  });
});

describe('request(): abort', () => {
  test('before the head: the promise rejects with the abort, and the connection closes', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const ac = new AbortController();
    const pending = request(poolFor(w.url), { ...GET, signal: ac.signal });
    await until('request written', () => w.reads.length === 1);
    ac.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await until('connection closed', () => w.closedByClient === 1);
  });

  test('an aborted signal: rejected before any connection', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    await assert.rejects(request(poolFor(w.url), { ...GET, signal: AbortSignal.abort() }), { name: 'AbortError' });
    await sleep(20);
    assert.equal(w.sockets.length, 0);
  });

  test('after the head: the body fails with the abort', BOUNDED, async () => {
    const w = await rawWorker((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab'));
    const ac = new AbortController();
    const res = await request(poolFor(w.url), { ...GET, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(
      (async () => {
        for await (const _ of res.body);
      })(),
      { name: 'AbortError' },
    );
  });

  test('a reason given to abort() is what the request fails with', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const ac = new AbortController();
    const pending = request(poolFor(w.url), { ...GET, signal: ac.signal });
    const reason = new Error('client gone');
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(pending, (err) => err === reason);
  });
});

describe('request(): bodies', () => {
  test('a streamed request body goes chunked, with backpressure', BOUNDED, async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let received = 0;
    let te = '';
    const w = await httpWorker(async (req, res) => {
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
    const pending = request(poolFor(w.url), { method: 'POST', path: '/', body: body(), timeoutMs: 10_000 });
    await sleep(300);
    assert.ok(produced < TOTAL / 2, `produced ${produced} of ${TOTAL} while the worker did not read`);
    release();
    const res = await pending;
    assert.equal(await res.body.text(), String(TOTAL * CHUNK));
    assert.equal(te, 'chunked');
  });

  test('a string or Buffer body goes with its Content-Length; one connection', BOUNDED, async () => {
    const w = await httpWorker(async (req, res) => {
      let text = '';
      for await (const c of req) text += (c as Buffer).toString();
      res.end(`${req.headers['content-length']}|${req.headers['transfer-encoding'] ?? ''}|${text}`);
    });
    const pool = poolFor(w.url);
    assert.equal(await (await request(pool, { method: 'POST', path: '/', body: 'héllo' })).body.text(), '6||héllo');
    assert.equal(await (await request(pool, { method: 'PUT', path: '/', body: Buffer.from('abc') })).body.text(), '3||abc');
    assert.equal(await (await request(pool, { method: 'POST', path: '/' })).body.text(), '0||', 'an empty POST says Content-Length: 0');
    assert.equal(w.connections, 1);
  });

  test("the answer's backpressure reaches the socket: a worker writing a large body is held back until it is read", BOUNDED, async () => {
    let blocked = false;
    const w = await httpWorker((_req, res) => {
      const piece = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 256 && !blocked; i++) if (!res.write(piece)) blocked = true;
      res.on('drain', () => res.end());
    });
    const res = await request(poolFor(w.url), GET);
    await sleep(200);
    assert.equal(blocked, true);
    let total = 0;
    for await (const c of res.body) total += (c as Buffer).length;
    assert.ok(total > 0);
  });

  test('header values or targets that would split the request are refused before any connection', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const pool = poolFor(w.url);
    await assert.rejects(request(pool, { ...GET, headers: { 'x-a': 'b\r\nx-c: d' } }), TypeError);
    await assert.rejects(request(pool, { ...GET, headers: ['x a', 'b'] }), TypeError);
    await assert.rejects(request(pool, { ...GET, path: '/x HTTP/1.1\r\nHost: y\r\n\r\nGET /' }), TypeError);
    await sleep(20);
    assert.equal(w.sockets.length, 0);
  });
});

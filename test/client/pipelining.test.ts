/**
 * Pipelined relays in the raw client (RawPool.pass with `pipelined`, RawConnection.passMany):
 * requests of one turn written together, their answers matched in order whatever the reads,
 * and every failure reaching each target the way a single exchange's would - the one being
 * answered as itself, the ones waiting as never answered (a reset, which is retried).
 * Against scripted workers on real sockets.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { RawPool } from '../../src/client/pool.js';
import type { PassControl, PassTarget } from '../../src/client/connection.js';
import { classify } from '../../src/dispatcher/proxy/retry.js';
import { UnansweredError } from '../../src/client/errors.js';

const closers: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

/** Records what a relayed exchange hands on. */
class Sink implements PassTarget {
  status = 0;
  lines = '';
  body = '';
  done = false;
  failed: { err: unknown; headSeen: boolean } | undefined;
  /** onHead asks to pause. */
  pauseOnHead = false;

  onHead(status: number, lines: string, body: Buffer | undefined, complete: boolean): boolean {
    this.status = status;
    this.lines = lines;
    if (body !== undefined) this.body += body.toString('latin1');
    this.done = complete;
    return !this.pauseOnHead;
  }

  onData(data: Buffer, complete: boolean): boolean {
    this.body += data.toString('latin1');
    this.done = complete;
    return true;
  }

  onFail(err: unknown, headSeen: boolean): void {
    this.failed = { err, headSeen };
  }

  get settled(): boolean {
    return this.done || this.failed !== undefined;
  }
}

interface Worker {
  port: number;
  /** Per connection, per read: the request heads that read carried. */
  reads: string[][][];
  sockets: Socket[];
}

/** A worker on a raw socket; `onRequests` sees each connection's heads so far after every read. */
async function worker(onRequests: (socket: Socket, heads: string[], connection: number) => void): Promise<Worker> {
  const w: Worker = { port: 0, reads: [], sockets: [] };
  const server = net.createServer((socket) => {
    const index = w.reads.length;
    const reads: string[][] = [];
    w.reads.push(reads);
    w.sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const heads: string[] = [];
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const got: string[] = [];
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        got.push(buf.slice(0, end + 4));
        buf = buf.slice(end + 4);
      }
      reads.push(got);
      heads.push(...got);
      onRequests(socket, heads, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.port = (server.address() as AddressInfo).port;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of w.sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return w;
}

function poolFor(w: Worker, pipelining: number): RawPool {
  const pool = new RawPool(`http://127.0.0.1:${w.port}`, { pipelining });
  closers.push(() => pool.destroy());
  return pool;
}

const head = (path: string, method = 'GET'): string => `${method} ${path} HTTP/1.1\r\nHost: w\r\n\r\n`;
const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
const pathOf = (h: string): string => h.slice(h.indexOf(' ') + 1, h.indexOf(' ', h.indexOf(' ') + 1));

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Passes `paths` as pipelined requests in one turn; returns their sinks and controls. */
function passAll(pool: RawPool, paths: string[], method = 'GET'): { sinks: Sink[]; controls: PassControl[] } {
  const sinks = paths.map(() => new Sink());
  const controls = paths.map((p, i) => pool.pass(head(p, method), method, sinks[i], 5000, true));
  return { sinks, controls };
}

describe('raw client: pipelined relays', () => {
  test('the requests of a turn leave in one write on one connection; answers in one read reach their own targets; the connection is reused', async () => {
    const w = await worker((socket, heads) => {
      // All three together, in one write: the client must split them.
      if (heads.length === 3) socket.write(heads.map((h) => ok(`body of ${pathOf(h)}`)).join(''));
      if (heads.length === 4) socket.write(ok('fourth'));
    });
    const pool = poolFor(w, 8);
    const { sinks } = passAll(pool, ['/a', '/b', '/c']);
    await until('three answers', () => sinks.every((s) => s.done));
    assert.deepEqual(
      sinks.map((s) => s.body),
      ['body of /a', 'body of /b', 'body of /c'],
    );
    assert.equal(w.reads.length, 1, 'one connection');
    assert.equal(w.reads[0][0].length, 3, 'one read carried the three requests');
    await until('connection back in the pool', () => pool.idleCount === 1);
    const fourth = new Sink();
    pool.pass(head('/d'), 'GET', fourth, 5000);
    await until('fourth answer', () => fourth.done);
    assert.equal(fourth.body, 'fourth');
    assert.equal(w.reads.length, 1, 'the same connection carried the next request');
  });

  test('answers split at any offset, mixing framings, each reach their target whole', async () => {
    const answers = [
      ok('first'),
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n',
      'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', // HEAD: no body
      ok('last'),
    ];
    const all = answers.join('');
    const expected = ['first', '3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n', '', '', 'last'];
    // Every offset near a boundary between answers, and a stride through the rest.
    const offsets = new Set<number>();
    let at = 0;
    for (const a of answers) {
      for (let d = -3; d <= 3; d++) if (at + d > 0 && at + d < all.length) offsets.add(at + d);
      at += a.length;
    }
    for (let k = 1; k < all.length; k += 7) offsets.add(k);
    let split = 0;
    const w = await worker((socket, heads) => {
      if (heads.length % 5 !== 0) return;
      socket.write(all.slice(0, split));
      setTimeout(() => socket.write(all.slice(split)), 3);
    });
    const pool = poolFor(w, 8);
    for (const k of [...offsets].sort((a, b) => a - b)) {
      split = k;
      const sinks = [new Sink(), new Sink(), new Sink(), new Sink(), new Sink()];
      ['GET', 'GET', 'GET', 'HEAD', 'GET'].forEach((m, i) => pool.pass(head(`/${i}`, m), m, sinks[i], 5000, true));
      await until(`answers split at ${k}`, () => sinks.every((s) => s.settled));
      assert.deepEqual(
        sinks.map((s) => s.failed),
        [undefined, undefined, undefined, undefined, undefined],
        `split at ${k}`,
      );
      assert.deepEqual(
        sinks.map((s) => s.body),
        expected,
        `split at ${k}`,
      );
      assert.deepEqual(
        sinks.map((s) => s.status),
        [200, 200, 204, 200, 200],
        `split at ${k}`,
      );
      await until('connection back in the pool', () => pool.idleCount === 1);
    }
    assert.equal(w.reads.length, 1, 'one connection for every round');
  });

  test('property: any answers, in any framing, cut into any pieces, each reach their own target whole', async () => {
    const answer = fc.oneof(
      fc.string({ maxLength: 40 }).map((b) => ({ method: 'GET', raw: ok(b), body: b, status: 200 })),
      fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }).map((parts) => {
        const framed = `${parts.map((p) => `${Buffer.byteLength(p, 'latin1').toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
        return { method: 'GET', raw: `HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n${framed}`, body: framed, status: 201 };
      }),
      fc.constant({ method: 'GET', raw: 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', body: '', status: 204 }),
      fc.nat(99).map((n) => ({ method: 'HEAD', raw: `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`, body: '', status: 200 })),
    );
    let script: { all: string; cuts: number[] } = { all: '', cuts: [] };
    let expect = 0;
    const w = await worker((socket, heads) => {
      if (heads.length !== expect) return;
      const { all, cuts } = script;
      // Each piece in its own write, a little apart, so most arrive as reads of their own.
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      let from = 0;
      const pieces = [...points, all.length]
        .map((to) => {
          const piece = all.slice(from, to);
          from = to;
          return piece;
        })
        .filter((p) => p.length > 0);
      const next = (i: number): void => {
        if (i >= pieces.length) return;
        socket.write(pieces[i], 'latin1');
        setTimeout(() => next(i + 1), 1);
      };
      next(0);
    });
    const pool = poolFor(w, 16);
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), async (answers, cuts) => {
        script = { all: answers.map((a) => a.raw).join(''), cuts };
        expect += answers.length;
        const sinks = answers.map(() => new Sink());
        answers.forEach((a, i) => pool.pass(head(`/${i}`, a.method), a.method, sinks[i], 5000, true));
        await until('all answered', () => sinks.every((s) => s.settled));
        assert.deepEqual(
          sinks.map((s) => s.failed),
          answers.map(() => undefined),
        );
        assert.deepEqual(
          sinks.map((s) => s.status),
          answers.map((a) => a.status),
        );
        assert.deepEqual(
          sinks.map((s) => s.body),
          answers.map((a) => a.body),
        );
        await until('connection back in the pool', () => pool.idleCount === 1);
      }),
      { numRuns: 60 },
    );
    assert.equal(w.reads.length, 1, 'one connection, kept in step throughout');
  });

  test('a worker closing after its first answer: the waiting requests fail as never answered (retryable)', async () => {
    const w = await worker((socket, heads) => {
      if (heads.length === 3) socket.end(ok('only', 'Connection: close\r\n'));
    });
    const pool = poolFor(w, 8);
    const { sinks } = passAll(pool, ['/a', '/b', '/c']);
    await until('all settled', () => sinks.every((s) => s.settled));
    assert.equal(sinks[0].body, 'only');
    assert.equal(sinks[0].failed, undefined);
    for (const s of sinks.slice(1)) {
      assert.equal(s.failed?.headSeen, false);
      assert.equal(classify(s.failed?.err), 'reset', String(s.failed?.err));
      assert.ok(s.failed?.err instanceof UnansweredError && !s.failed.err.workerFailed, 'an orderly close: no fault of the worker');
    }
  });

  test('a connection failing mid-answer: that request fails after its head, the waiting ones as never answered', async () => {
    const w = await worker((socket, heads) => {
      if (heads.length === 3) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
        setTimeout(() => socket.destroy(), 20);
      }
    });
    const pool = poolFor(w, 8);
    const { sinks } = passAll(pool, ['/a', '/b', '/c']);
    await until('all settled', () => sinks.every((s) => s.settled));
    assert.equal(sinks[0].failed?.headSeen, true);
    assert.equal(sinks[0].body, 'half');
    for (const s of sinks.slice(1)) {
      assert.equal(s.failed?.headSeen, false);
      assert.equal(classify(s.failed?.err), 'reset');
      assert.ok(s.failed?.err instanceof UnansweredError && s.failed.err.workerFailed, 'the connection failed');
    }
  });

  test('a waiting request given up is read and dropped; the others are answered and the connection stays usable', async () => {
    const w = await worker((socket, heads) => {
      if (heads.length === 3) setTimeout(() => socket.write(heads.map((h) => ok(`body of ${pathOf(h)}`)).join('')), 20);
    });
    const pool = poolFor(w, 8);
    const { sinks, controls } = passAll(pool, ['/a', '/b', '/c']);
    await until('requests written', () => w.reads[0]?.flat().length === 3);
    controls[1].abort();
    await until('answers', () => sinks[0].done && sinks[2].done);
    assert.equal(sinks[1].status, 0, 'the abandoned one hears nothing');
    assert.equal(sinks[1].failed, undefined);
    assert.equal(sinks[2].body, 'body of /c');
    await until('connection back in the pool', () => pool.idleCount === 1);
  });

  test('the answered request given up closes the connection; the waiting ones fail as never answered', async () => {
    const w = await worker(() => {});
    const pool = poolFor(w, 8);
    const { sinks, controls } = passAll(pool, ['/a', '/b', '/c']);
    await until('requests written', () => w.reads[0]?.flat().length === 3);
    controls[0].abort();
    await until('waiting ones failed', () => sinks[1].settled && sinks[2].settled);
    assert.equal(sinks[0].failed, undefined, 'the one that gave up is not told');
    for (const s of sinks.slice(1)) assert.equal(classify(s.failed?.err), 'reset');
    await until('connection closed', () => pool.size === 0);
  });

  test('backpressure: a target that asks to pause stalls the worker; the requests behind it fail at once as never answered', async () => {
    const w = await worker((socket, heads) => {
      if (heads.length === 3) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
        setTimeout(() => socket.write(`def${ok('second')}${ok('third')}`), 20);
      }
      if (heads.length === 4) socket.write(ok('fourth'));
    });
    const pool = poolFor(w, 8);
    const { sinks, controls } = passAll(pool, ['/a', '/b', '/c']);
    sinks[0].pauseOnHead = true;
    await until('first head', () => sinks[0].status === 200);
    // A slow client does not hold the others: they are sent again elsewhere by the forwarder.
    for (const s of sinks.slice(1)) {
      assert.equal(s.failed?.headSeen, false);
      assert.equal(classify(s.failed?.err), 'reset');
    }
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sinks[0].body, 'abc', 'nothing more read while paused');
    controls[0].resume();
    await until('first answered', () => sinks[0].done);
    assert.equal(sinks[0].body, 'abcdef');
    assert.equal(sinks[1].body, '', 'answers of the given-up ones are dropped');
    assert.equal(sinks[2].body, '');
    await until('connection back in the pool', () => pool.idleCount === 1);
    const fourth = new Sink();
    pool.pass(head('/d'), 'GET', fourth, 5000);
    await until('fourth', () => fourth.done);
    assert.equal(fourth.body, 'fourth', 'the connection is still in step');
  });

  test('groups of at most `pipelining` per connection; requests not marked pipelined go at once, one per connection', async () => {
    const w = await worker((socket, _heads, connection) => {
      // Answers whatever arrived in this read.
      const last = w.reads[connection].at(-1) ?? [];
      socket.write(last.map((h) => ok(pathOf(h))).join(''));
    });
    const pool = poolFor(w, 2);
    const { sinks } = passAll(pool, ['/1', '/2', '/3']);
    await until('answers', () => sinks.every((s) => s.done));
    assert.deepEqual(
      sinks.map((s) => s.body),
      ['/1', '/2', '/3'],
    );
    assert.deepEqual(w.reads.map((r) => r[0].length).sort(), [1, 2]);

    const single = [new Sink(), new Sink()];
    single.forEach((s, i) => pool.pass(head(`/s${i}`), 'GET', s, 5000));
    await until('answers', () => single.every((s) => s.done));
    assert.ok(
      w.reads.flat().every((read) => !read.includes(head('/s0')) || read.length === 1),
      'written alone',
    );
  });

  test('with pipelining 1, pipelined requests are sent one per connection', async () => {
    const w = await worker((socket, heads) => socket.write(ok(pathOf(heads.at(-1) as string))));
    const pool = poolFor(w, 1);
    const { sinks } = passAll(pool, ['/1', '/2', '/3']);
    await until('answers', () => sinks.every((s) => s.done));
    assert.equal(w.reads.length, 3);
  });

  test('a closed pool fails pipelined requests, never synchronously', async () => {
    const w = await worker(() => {});
    const pool = poolFor(w, 8);
    await pool.close();
    const { sinks } = passAll(pool, ['/a', '/b']);
    assert.equal(sinks[0].failed, undefined, 'not synchronously');
    await until('failed', () => sinks.every((s) => s.failed !== undefined));
    assert.equal(w.reads.length, 0);
  });
});

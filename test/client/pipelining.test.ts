/**
 * Pipelining in the client (Pool.dispatch with `pipelined`, ClientConnection's queue of
 * exchanges): the requests of a turn written together, their answers matched in order
 * whatever the reads, every byte accounted for, and every failure reaching each handler
 * the way a single exchange's would - the one being answered as itself, the ones behind
 * it handed back unanswered (UnansweredError). Against scripted workers on real sockets.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { UnansweredError } from '../../src/client/errors.js';
import type { ExchangeControl } from '../../src/client/handler.js';
import type { Pool } from '../../src/client/pool.js';
import { classify } from '../../src/dispatcher/proxy/retry.js';
import { closeAll, codeOf, head, OPTS, ok, pathOf, poolFor, rawWorker, Sink, until } from './helpers.js';

after(closeAll);

/** A broken mechanism fails its test instead of hanging the run. */
const BOUNDED = { timeout: 15_000 };

/** Dispatches `paths` as pipelined requests in one turn. */
function dispatchAll(pool: Pool, paths: string[], methods: string[] = [], raw = true): { sinks: Sink[]; controls: ExchangeControl[] } {
  const sinks = paths.map(() => new Sink(raw));
  const controls = paths.map((p, i) => {
    const method = methods[i] ?? 'GET';
    return pool.dispatch({ head: head(p, method), handler: sinks[i], opts: { ...OPTS, method }, pipelined: true });
  });
  return { sinks, controls };
}

function unanswered(s: Sink, workerFailed: boolean): void {
  assert.equal(s.failed?.headSeen, false, 'failed before its head');
  const err = s.failed?.err;
  assert.ok(err instanceof UnansweredError, `an UnansweredError, got ${String(err)}`);
  assert.equal(err.workerFailed, workerFailed);
  assert.equal(classify(err), 'reset', 'retryable as a reset');
}

describe('client: pipelined exchanges', () => {
  test(
    'the requests of a turn leave in one write on one connection; answers in one read reach their own handlers; the connection is reused',
    BOUNDED,
    async () => {
      const w = await rawWorker((socket, heads) => {
        if (heads.length === 3) socket.write(heads.map((h) => ok(`body of ${pathOf(h)}`)).join(''));
        if (heads.length === 4) socket.write(ok('fourth'));
      });
      const pool = poolFor(w.url, { pipelining: 8 });
      const { sinks } = dispatchAll(pool, ['/a', '/b', '/c']);
      await until('three answers', () => sinks.every((s) => s.done));
      assert.deepEqual(
        sinks.map((s) => s.body),
        ['body of /a', 'body of /b', 'body of /c'],
      );
      assert.equal(w.reads.length, 1, 'one connection');
      assert.equal(w.reads[0][0].length, 3, 'one read carried the three requests');
      await until('connection back in the pool', () => pool.idleCount === 1);
      const fourth = new Sink();
      pool.dispatch({ head: head('/d'), handler: fourth, opts: OPTS });
      await until('fourth answer', () => fourth.done);
      assert.equal(fourth.body, 'fourth');
      assert.equal(w.reads.length, 1, 'the same connection carried the next request');
    },
  );

  test('answers split at every offset, mixing framings, each reach their own handler whole (raw and decoded)', BOUNDED, async () => {
    const framedChunks = '3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n';
    const answers = [
      ok('first'),
      `HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n${framedChunks}`,
      `HTTP/1.1 100 Continue\r\n\r\n${ok('third')}`,
      'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', // HEAD: no body, and last in its group
    ];
    const methods = ['GET', 'GET', 'GET', 'GET', 'HEAD'];
    const all = answers.join('');
    const w = await rawWorker((socket, heads) => {
      if (heads.length % 5 !== 0) return;
      const k = Number(/\/split\/(\d+)\//.exec(heads[heads.length - 5])?.[1]);
      socket.write(all.slice(0, k), 'latin1');
      setTimeout(() => socket.write(all.slice(k), 'latin1'), 3);
    });
    for (const raw of [true, false]) {
      const expected = raw ? ['first', framedChunks, 'third', '', ''] : ['first', 'abcde', 'third', '', ''];
      const pools = Array.from({ length: 6 }, () => poolFor(w.url, { pipelining: 8 }));
      const offsets = Array.from({ length: all.length - 1 }, (_, i) => i + 1);
      // Six connections at a time, each taking every sixth offset.
      await Promise.all(
        pools.map(async (pool, lane) => {
          for (let i = lane; i < offsets.length; i += pools.length) {
            const k = offsets[i];
            const { sinks } = dispatchAll(
              pool,
              methods.map((_, j) => `/split/${k}/${j}`),
              methods,
              raw,
            );
            await until(`answers split at ${k}`, () => sinks.every((s) => s.settled));
            const label = `${raw ? 'raw' : 'decoded'}, split at ${k}`;
            assert.deepEqual(
              sinks.map((s) => s.failed),
              methods.map(() => undefined),
              label,
            );
            assert.deepEqual(
              sinks.map((s) => s.body),
              expected,
              label,
            );
            assert.deepEqual(
              sinks.map((s) => s.status),
              [200, 201, 200, 200, 200],
              label,
            );
            await until('connection back in the pool', () => pool.idleCount === 1);
          }
        }),
      );
      assert.ok(
        pools.every((p) => p.size === 1),
        'each pool kept its one connection in step throughout',
      );
    }
  });

  test('property: any answers, cut into any pieces, each reach their own handler whole', BOUNDED, async () => {
    const answer = fc.oneof(
      fc.string({ maxLength: 40 }).map((b) => ({ method: 'GET', raw: ok(b), body: b, status: 200 })),
      fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }).map((parts) => {
        const framed = `${parts.map((p) => `${Buffer.byteLength(p, 'latin1').toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
        return { method: 'GET', raw: `HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n${framed}`, body: framed, status: 201 };
      }),
      fc.nat(99).map((n) => ({
        method: 'GET',
        raw: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 OK\r\nContent-Length: ${n}\r\n\r\n${'x'.repeat(n)}`,
        body: 'x'.repeat(n),
        status: 202,
      })),
    );
    const last = fc.oneof(
      answer,
      fc.constant({ method: 'GET', raw: 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', body: '', status: 204 }),
      fc.nat(99).map((n) => ({ method: 'HEAD', raw: `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`, body: '', status: 200 })),
    );
    let script: { all: string; cuts: number[] } = { all: '', cuts: [] };
    let expect = 0;
    const w = await rawWorker((socket, heads) => {
      if (heads.length !== expect) return;
      const { all, cuts } = script;
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      const bounds = [0, ...points, all.length];
      const next = (i: number): void => {
        if (i + 1 >= bounds.length || socket.destroyed) return;
        socket.write(all.slice(bounds[i], bounds[i + 1]), 'latin1');
        setTimeout(() => next(i + 1), 1);
      };
      next(0);
    });
    const pool = poolFor(w.url, { pipelining: 16 });
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { maxLength: 5 }), last, fc.array(fc.nat(), { maxLength: 5 }), async (first, end, cuts) => {
        const answers = [...first, end];
        script = { all: answers.map((a) => a.raw).join(''), cuts };
        expect += answers.length;
        const { sinks } = dispatchAll(
          pool,
          answers.map((_, i) => `/${i}`),
          answers.map((a) => a.method),
        );
        await until('all answered', () => sinks.every((s) => s.settled));
        assert.deepEqual(
          sinks.map((s) => [s.failed, s.status, s.body]),
          answers.map((a) => [undefined, a.status, a.body]),
        );
        await until('connection back in the pool', () => pool.idleCount === 1);
      }),
      { numRuns: 50 },
    );
    assert.equal(w.reads.length, 1, 'one connection, kept in step throughout');
  });

  test('an answer without a body ends the pipeline: the requests behind it are handed back, no fault of the worker', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      // The 204 answers /b; whatever follows could be a body the worker sent after all.
      if (heads.length === 3) socket.write(`${ok('a')}HTTP/1.1 204 No Content\r\n\r\n${ok('c')}`);
    });
    const pool = poolFor(w.url, { pipelining: 8 });
    const { sinks } = dispatchAll(pool, ['/a', '/b', '/c']);
    await until('all settled', () => sinks.every((s) => s.settled));
    assert.equal(sinks[0].body, 'a');
    assert.deepEqual([sinks[1].status, sinks[1].done], [204, true]);
    unanswered(sinks[2], false);
    await until('the connection closed', () => pool.size === 0);
  });

  test('HEAD and conditional requests go last in their group: nothing is written behind them', BOUNDED, async () => {
    const w = await rawWorker((socket, _heads, connection) => {
      const last = w.reads[connection].at(-1) ?? [];
      socket.write(last.map((h) => (h.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' : ok(pathOf(h)))).join(''));
    });
    const pool = poolFor(w.url, { pipelining: 8 });
    const sinks = ['/1', '/h', '/2', '/3', '/c', '/4'].map(() => new Sink());
    const heads = [head('/1'), head('/h', 'HEAD'), head('/2'), head('/3'), head('/c', 'GET', 'If-None-Match: "x"\r\n'), head('/4')];
    heads.forEach((h, i) => {
      const method = h.startsWith('HEAD') ? 'HEAD' : 'GET';
      pool.dispatch({ head: h, handler: sinks[i], opts: { ...OPTS, method }, pipelined: true });
    });
    await until('all answered', () => sinks.every((s) => s.settled));
    assert.deepEqual(
      sinks.map((s) => s.failed),
      sinks.map(() => undefined),
    );
    const groups = w.reads.map((r) => r[0].map(pathOf));
    assert.deepEqual(groups, [['/1', '/h'], ['/2', '/3', '/c'], ['/4']]);
  });

  test('a worker closing after its first answer: the waiting requests are handed back, no fault of the worker', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      if (heads.length === 3) socket.end(ok('only', 'Connection: close\r\n'));
    });
    const pool = poolFor(w.url, { pipelining: 8 });
    const { sinks } = dispatchAll(pool, ['/a', '/b', '/c']);
    await until('all settled', () => sinks.every((s) => s.settled));
    assert.deepEqual([sinks[0].body, sinks[0].failed], ['only', undefined]);
    for (const s of sinks.slice(1)) unanswered(s, false);
  });

  test(
    'a close-delimited answer: complete at the close; the waiting requests are handed back, no fault of the worker',
    BOUNDED,
    async () => {
      const w = await rawWorker((socket, heads) => {
        if (heads.length === 3) {
          socket.write('HTTP/1.1 200 OK\r\n\r\nto the');
          setTimeout(() => socket.end(' end'), 10);
        }
      });
      const pool = poolFor(w.url, { pipelining: 8 });
      const { sinks } = dispatchAll(pool, ['/a', '/b', '/c']);
      await until('all settled', () => sinks.every((s) => s.settled));
      assert.deepEqual([sinks[0].body, sinks[0].done, sinks[0].failed], ['to the end', true, undefined]);
      for (const s of sinks.slice(1)) unanswered(s, false);
    },
  );

  test(
    'a connection failing mid-answer: that request fails after its head, the waiting ones as unanswered (the worker failed)',
    BOUNDED,
    async () => {
      const w = await rawWorker((socket, heads) => {
        if (heads.length === 3) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
          setTimeout(() => socket.destroy(), 20);
        }
      });
      const pool = poolFor(w.url, { pipelining: 8 });
      const { sinks } = dispatchAll(pool, ['/a', '/b', '/c']);
      await until('all settled', () => sinks.every((s) => s.settled));
      assert.equal(sinks[0].failed?.headSeen, true);
      assert.equal(sinks[0].body, 'half');
      for (const s of sinks.slice(1)) unanswered(s, true);
    },
  );

  test('a waiting request given up is read and dropped; the others are answered; the connection stays usable', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      if (heads.length === 3) setTimeout(() => socket.write(heads.map((h) => ok(`body of ${pathOf(h)}`)).join('')), 20);
    });
    const pool = poolFor(w.url, { pipelining: 8 });
    const { sinks, controls } = dispatchAll(pool, ['/a', '/b', '/c']);
    await until('requests written', () => w.reads[0]?.flat().length === 3);
    controls[1].abort();
    await until('answers', () => sinks[0].done && sinks[2].done);
    assert.deepEqual([sinks[1].events, sinks[1].failed], [0, undefined], 'the abandoned one hears nothing');
    assert.equal(sinks[2].body, 'body of /c');
    await until('connection back in the pool', () => pool.idleCount === 1);
  });

  test(
    'the request being answered given up closes the connection; the waiting ones are handed back, no fault of the worker',
    BOUNDED,
    async () => {
      const w = await rawWorker(() => {});
      const pool = poolFor(w.url, { pipelining: 8 });
      const { sinks, controls } = dispatchAll(pool, ['/a', '/b', '/c']);
      await until('requests written', () => w.reads[0]?.flat().length === 3);
      controls[0].abort();
      await until('waiting ones failed', () => sinks[1].settled && sinks[2].settled);
      assert.equal(sinks[0].events, 0, 'the one that gave up is not told');
      for (const s of sinks.slice(1)) unanswered(s, false);
      await until('connection closed', () => pool.size === 0);
    },
  );

  test(
    'a slow consumer: the requests behind it are handed back at once; it gets the rest of its answer when it resumes',
    BOUNDED,
    async () => {
      const w = await rawWorker((socket, heads) => {
        if (heads.length === 3) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
          setTimeout(() => socket.write(`def${ok('second')}${ok('third')}`), 20);
        }
        if (heads.length === 4) socket.write(ok('fourth'));
      });
      const pool = poolFor(w.url, { pipelining: 8 });
      const { sinks, controls } = dispatchAll(pool, ['/a', '/b', '/c']);
      sinks[0].pauseOnHead = true;
      await until('first head', () => sinks[0].status === 200);
      for (const s of sinks.slice(1)) unanswered(s, false);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(sinks[0].body, 'abc', 'nothing more read while paused');
      controls[0].resume();
      await until('first answered', () => sinks[0].done);
      assert.equal(sinks[0].body, 'abcdef');
      assert.deepEqual([sinks[1].body, sinks[2].body], ['', ''], 'answers of the handed-back ones are dropped');
      await until('connection back in the pool', () => pool.idleCount === 1);
      const fourth = new Sink();
      pool.dispatch({ head: head('/d'), handler: fourth, opts: OPTS });
      await until('fourth', () => fourth.done);
      assert.equal(fourth.body, 'fourth', 'the connection is still in step');
    },
  );

  test('groups of at most `pipelining` per connection; requests not marked pipelined go at once, one per connection', BOUNDED, async () => {
    const w = await rawWorker((socket, _heads, connection) => {
      const last = w.reads[connection].at(-1) ?? [];
      socket.write(last.map((h) => ok(pathOf(h))).join(''));
    });
    const pool = poolFor(w.url, { pipelining: 2 });
    const { sinks } = dispatchAll(pool, ['/1', '/2', '/3']);
    await until('answers', () => sinks.every((s) => s.done));
    assert.deepEqual(
      sinks.map((s) => s.body),
      ['/1', '/2', '/3'],
    );
    assert.deepEqual(w.reads.map((r) => r[0].length).sort(), [1, 2]);
    const single = [new Sink(), new Sink()];
    single.forEach((s, i) => pool.dispatch({ head: head(`/s${i}`), handler: s, opts: OPTS }));
    await until('answers', () => single.every((s) => s.done));
    assert.ok(
      w.reads.flat().every((read) => !read.includes(head('/s0')) || read.length === 1),
      'written alone',
    );
  });

  test('with pipelining 1, pipelined requests go one per connection', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => socket.write(ok(pathOf(heads.at(-1) as string))));
    const pool = poolFor(w.url, { pipelining: 1 });
    const { sinks } = dispatchAll(pool, ['/1', '/2', '/3']);
    await until('answers', () => sinks.every((s) => s.done));
    assert.equal(w.reads.length, 3);
  });

  test('a closed pool fails pipelined requests, never synchronously', BOUNDED, async () => {
    const w = await rawWorker(() => {});
    const pool = poolFor(w.url, { pipelining: 8 });
    await pool.close();
    const { sinks } = dispatchAll(pool, ['/a', '/b']);
    assert.equal(sinks[0].failed, undefined, 'not synchronously');
    await until('failed', () => sinks.every((s) => s.failed !== undefined));
    assert.deepEqual(
      sinks.map((s) => codeOf(s)),
      ['CLOSED', 'CLOSED'],
    );
    assert.equal(w.reads.length, 0);
  });
});

describe('client: every byte of an answer accounted for', () => {
  test('bytes beyond a complete answer destroy the connection; they never answer the next request', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      const path = pathOf(heads[heads.length - 1]);
      // A second, smuggled answer right behind the first, in the same write.
      socket.write(path === '/first' ? `${ok('first')}${ok('smuggled')}` : ok(`own answer of ${path}`));
    });
    const pool = poolFor(w.url);
    const first = new Sink();
    pool.dispatch({ head: head('/first'), handler: first, opts: OPTS });
    await until('first', () => first.settled);
    assert.deepEqual([first.body, first.failed], ['first', undefined]);
    await until('the connection destroyed', () => pool.size === 0);
    const next = new Sink();
    pool.dispatch({ head: head('/next'), handler: next, opts: OPTS });
    await until('next', () => next.settled);
    assert.equal(next.body, 'own answer of /next');
    assert.equal(w.reads.length, 2, 'on a new connection');
  });

  test('bytes arriving on an idle connection destroy it', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => {
      socket.write(ok(`answer ${heads.length}`));
      if (heads.length === 1) setTimeout(() => socket.write(ok('unasked')), 30);
    });
    const pool = poolFor(w.url);
    const first = new Sink();
    pool.dispatch({ head: head('/first'), handler: first, opts: OPTS });
    await until('first', () => first.done);
    assert.equal(pool.idleCount, 1);
    await until('the idle connection destroyed', () => pool.size === 0);
    await until('the worker saw the close', () => w.closedByClient === 1);
  });

  test('a worker answering when nothing is in flight on a fresh connection: destroyed, nobody hears it', BOUNDED, async () => {
    const w = await rawWorker((socket, heads) => socket.write(`${ok(`a${heads.length}`)}HTTP/1.1 200 OK\r\n`));
    const pool = poolFor(w.url);
    const s = new Sink();
    pool.dispatch({ head: head('/x'), handler: s, opts: OPTS });
    await until('answered', () => s.settled);
    assert.deepEqual([s.body, s.failed], ['a1', undefined]);
    await until('destroyed', () => pool.size === 0);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ComputePool } from '../../src/worker/compute-pool.js';
import { countWordsStream } from '../../src/worker/count-words-stream.js';
import { HttpError } from '../../src/common/errors.js';
import { countWords } from '../../src/jobs/words-counter.js';
import { montecarloChunk } from '../../src/jobs/montecarlo.js';

const isCode =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof HttpError && err.code === code;

/** Rejects if `p` has not settled within `ms`: proves a thread was freed, not how fast. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled in ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

test('runs every task in real threads', async () => {
  const pool = new ComputePool({ threads: 2 });
  try {
    assert.equal(await pool.run('fibonacci', { n: 100 }), '354224848179261915075');
    assert.equal(await pool.run('reverse', { text: 'e\u0301👍🏽' }), '👍🏽e\u0301');
    assert.equal(await pool.run('compute', { number: 9 }), 81);
    assert.equal(await pool.run('montecarloChunk', { points: 20_000, chunkIndex: 7, seed: 's' }), montecarloChunk(20_000, 's', 7));
    assert.equal(await pool.run('montecarlo', { points: 100_000, chunkSize: 100_000, seed: 'dhttp' }), 78546);
    assert.deepEqual(
      await countWordsStream(Readable.from([Buffer.from("Don't DON'T stop")]), pool),
      new Map([
        ["don't", 2],
        ['stop', 1],
      ]),
    );
    const all = await Promise.all(Array.from({ length: 6 }, (_, n) => pool.run('fibonacci', { n })));
    assert.deepEqual(all, ['0', '1', '1', '2', '3', '5']);
    assert.deepEqual(pool.stats(), { threads: 2, active: 0, queued: 0, completed: 12 });
    await assert.rejects(pool.run('fibonacci', { n: -1 }), /n must be an integer/);
  } finally {
    await pool.close({ force: true });
  }
});

test('a full queue is refused at once with QUEUE_FULL, and the pool works afterwards', async () => {
  const pool = new ComputePool({ threads: 1, queueSize: 2 });
  try {
    const accepted = Array.from({ length: 3 }, () => pool.run('simulate', { seconds: 0.2, task: 'flood' }));
    const refused = Array.from({ length: 5 }, () => pool.run('simulate', { seconds: 0.2, task: 'flood' }));
    assert.deepEqual(pool.stats(), { threads: 1, active: 1, queued: 2, completed: 0 });
    let firstDone = false;
    void accepted[0].then(() => {
      firstDone = true;
    });
    for (const r of refused) {
      await assert.rejects(r, (err: unknown) => {
        assert.ok(isCode('QUEUE_FULL')(err));
        assert.equal((err as HttpError).status, 503);
        assert.equal((err as HttpError).headers['Retry-After'], '1');
        return true;
      });
    }
    assert.equal(firstDone, false, 'refusals came before the running task ended');
    for (const ms of await Promise.all(accepted)) assert.ok(ms >= 200);
    assert.equal(await pool.run('fibonacci', { n: 10 }), '55');
  } finally {
    await pool.close({ force: true });
  }
});

test('a task past its timeout gets TASK_TIMEOUT and its thread is replaced', async () => {
  const pool = new ComputePool({ threads: 1, taskTimeoutMs: 150 });
  try {
    await assert.rejects(pool.run('simulate', { seconds: 30, task: 'stuck' }), isCode('TASK_TIMEOUT'));
    // The next task's clock includes starting the new thread (slow under tsx): give it room.
    // One thread only: this answers only if the stuck thread was stopped.
    assert.equal(await within(pool.run('fibonacci', { n: 20 }, { timeoutMs: 20_000 }), 10_000), '6765');
    await assert.rejects(pool.run('simulate', { seconds: 30, task: 'stuck' }, { timeoutMs: 100 }), isCode('TASK_TIMEOUT'));
    assert.equal(await within(pool.run('fibonacci', { n: 20 }, { timeoutMs: 20_000 }), 10_000), '6765');
  } finally {
    await pool.close({ force: true });
  }
});

test('the caller aborting cancels a running or a waiting task', async () => {
  const pool = new ComputePool({ threads: 1, queueSize: 4 });
  try {
    const running = new AbortController();
    const waiting = new AbortController();
    const p1 = pool.run('simulate', { seconds: 30, task: 'gone' }, { signal: running.signal });
    const p2 = pool.run('simulate', { seconds: 30, task: 'gone' }, { signal: waiting.signal });
    assert.equal(pool.stats().queued, 1);
    waiting.abort();
    await assert.rejects(p2, { name: 'AbortError' });
    assert.equal(pool.stats().queued, 0);
    running.abort();
    await assert.rejects(p1, { name: 'AbortError' });
    assert.equal(await within(pool.run('fibonacci', { n: 30 }), 10_000), '832040');
    await assert.rejects(pool.run('fibonacci', { n: 1 }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  } finally {
    await pool.close({ force: true });
  }
});

test('close refuses new work and drops waiting tasks', async () => {
  const pool = new ComputePool({ threads: 1 });
  const running = pool.run('simulate', { seconds: 0.1, task: 'last' });
  const waiting = pool.run('fibonacci', { n: 5 });
  const closing = pool.close();
  await assert.rejects(waiting, isCode('SHUTTING_DOWN'));
  await assert.rejects(pool.run('fibonacci', { n: 5 }), isCode('SHUTTING_DOWN'));
  assert.ok((await running) >= 100);
  await closing;
});

test('options are validated, naming the field', () => {
  assert.throws(() => new ComputePool({ threads: 0 }), /threads/);
  assert.throws(() => new ComputePool({ queueSize: -1 }), /queueSize/);
  assert.throws(() => new ComputePool({ taskTimeoutMs: 1.5 }), /taskTimeoutMs/);
});

function sampleBody(bytes: number): Buffer {
  const vocab = ['the', 'The', "don't", 'rock’n’roll', 'café', 'cafe\u0301', 'ΟΔΟΣ', '中文', '😀', 'x²', "dogs'", '42', 'naïve'];
  const seps = [' ', '\n', ', ', '. ', '、', ' — ', "''"];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = vocab[(i * 7) % vocab.length] + (i % 97 === 0 ? `w${i}` : '') + seps[(i * 3) % seps.length];
    parts.push(s);
    size += Buffer.byteLength(s);
  }
  return Buffer.from(parts.join(''));
}

test('countWordsStream counts a multi-MB body in the pool, a few sessions of many batches each', async () => {
  const pool = new ComputePool({ threads: 2 });
  try {
    const body = sampleBody(3 * 1024 * 1024);
    let maxOut = 0;
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let o = 0, i = 0; o < body.length; i++) {
        const s = pool.stats();
        maxOut = Math.max(maxOut, s.active + s.queued);
        const n = 1000 + ((i * 7919) % 60_000);
        yield body.subarray(o, o + n);
        o += n;
      }
    }
    const counts = await countWordsStream(pieces(), pool, { batchBytes: 64 * 1024 });
    assert.deepEqual(counts, countWords(body));
    assert.ok(maxOut <= 2, `at most threads sessions out at once (saw ${maxOut})`);
    // 48 batches of 64 KiB; each session counts many of them in its thread's own table (a
    // session per batch would make the main thread add up every batch's words).
    const sessions = pool.stats().completed;
    assert.ok(sessions >= 2 && sessions <= 8, `${sessions} sessions for 48 batches`);
    const fromReadable = await countWordsStream(Readable.from([body.subarray(0, 5), body.subarray(5)]), pool);
    assert.deepEqual(fromReadable, countWords(body));
    assert.deepEqual(await countWordsStream(Readable.from([]), pool), new Map());
  } finally {
    await pool.close({ force: true });
  }
});

test('countWordsStream reuses the memory of batches the threads hand back', async () => {
  const pool = new ComputePool({ threads: 2 });
  // Counts the batch buffers made (transferred memory comes back as a new ArrayBuffer object
  // over the same memory, so identity cannot tell; allocations can).
  const Real = globalThis.ArrayBuffer;
  const made: number[] = [];
  globalThis.ArrayBuffer = new Proxy(Real, {
    construct(target, args: [number]) {
      made.push(args[0]);
      return Reflect.construct(target, args);
    },
  });
  try {
    const body = Buffer.concat([sampleBody(1024 * 1024), Buffer.from(` ${'x'.repeat(40_000)} end`)]);
    const counts = await countWordsStream(Readable.from([body]), pool, { batchBytes: 16 * 1024 });
    globalThis.ArrayBuffer = Real;
    assert.deepEqual(counts, countWords(body));
    // 64 batches or more; two sessions with two batches each out at once, and one filling:
    // five batch buffers in turn. The 40 000-byte word grows its batch's memory (twice the
    // size of its start, then doubled until it ends): buffers of its own, not kept.
    assert.equal(made.filter((n) => n === 16 * 1024).length, 5, `buffers made: ${made.join(', ')}`);
    const grown = made.filter((n) => n > 16 * 1024);
    assert.ok(
      grown.length >= 1 && grown.length <= 2 && Math.max(...grown) >= 40_000 && Math.max(...grown) < 4 * 40_000,
      `grown: ${grown.join(', ')}`,
    );
  } finally {
    globalThis.ArrayBuffer = Real;
    await pool.close({ force: true });
  }
});

test('countWordsStream stops when its signal aborts', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    const ac = new AbortController();
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; ; i++) {
        if (i === 20) ac.abort();
        yield Buffer.from('word '.repeat(2000));
      }
    }
    await assert.rejects(countWordsStream(endless(), pool, { batchBytes: 4096, signal: ac.signal }), { name: 'AbortError' });
    assert.equal(await pool.run('fibonacci', { n: 3 }), '2');
  } finally {
    await pool.close({ force: true });
  }
});

test('countWordsStream: a session ends after sessionBatches batches or sessionWords distinct words', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    const body = sampleBody(512 * 1024);
    const run = async (opts: { sessionBatches?: number; sessionWords?: number }): Promise<number> => {
      const before = pool.stats().completed;
      const counts = await countWordsStream(Readable.from([body]), pool, { batchBytes: 16 * 1024, ...opts });
      assert.deepEqual(counts, countWords(body));
      return pool.stats().completed - before;
    };
    assert.ok((await run({})) <= 2, 'the default: 32 batches a session');
    const byBatches = await run({ sessionBatches: 4 });
    assert.ok(byBatches >= 8, `32 batches, 4 a session: ${byBatches} sessions`);
    const distinct = new Set(countWords(body).keys()).size;
    const byWords = await run({ sessionWords: 50 });
    assert.ok(distinct > 500 && byWords >= 10, `${distinct} distinct words, 50 a session: ${byWords} sessions`);
  } finally {
    await pool.close({ force: true });
  }
});

test('countWordsStream: a session without batches for idleMs frees its thread for other tasks', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    let resume: () => void = () => {};
    const paused = new Promise<void>((r) => {
      resume = r;
    });
    async function* slowClient(): AsyncGenerator<Buffer> {
      yield Buffer.from('alpha beta '.repeat(20_000));
      await paused; // the client stalls with the session open
      yield Buffer.from('gamma');
    }
    const counting = countWordsStream(slowClient(), pool, { batchBytes: 64 * 1024, idleMs: 20 });
    await new Promise((r) => setTimeout(r, 100));
    // The stalled upload's session has ended: another task gets the only thread meanwhile.
    assert.equal(await within(pool.run('fibonacci', { n: 10 }), 2000), '55');
    resume();
    assert.deepEqual(
      await counting,
      new Map([
        ['alpha', 20_000],
        ['beta', 20_000],
        ['gamma', 1],
      ]),
    );
  } finally {
    await pool.close({ force: true });
  }
});

test('countWordsStream: an upload given up ends its sessions without restarting a thread', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    assert.equal(await pool.run('fibonacci', { n: 3 }), '2'); // the thread has loaded
    const ac = new AbortController();
    async function* goneMidway(): AsyncGenerator<Buffer> {
      for (let i = 0; ; i++) {
        if (i === 40) ac.abort(); // a session is counting or waiting for its next batch
        yield Buffer.from('word '.repeat(4000));
      }
    }
    await assert.rejects(countWordsStream(goneMidway(), pool, { batchBytes: 16 * 1024, signal: ac.signal }), { name: 'AbortError' });
    assert.equal(await pool.run('fibonacci', { n: 10 }), '55');
    // Stopping a running session's task would have ended the thread and loaded another.
    assert.equal(pool.loadedThreads, 1, 'the same thread serves on');
  } finally {
    await pool.close({ force: true });
  }
});

test('countWordsStream: a session still queued behind other tasks is dropped when the upload is given up', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    const busy = pool.run('simulate', { seconds: 3, task: 'busy' }).catch((err: unknown) => err); // holds the only thread
    const ac = new AbortController();
    const counting = countWordsStream(Readable.from([Buffer.from('queued words '.repeat(1000))]), pool, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.stats().queued, 1, 'the session waits for the thread');
    ac.abort();
    // Settles now, not once the thread is free 3 s later.
    await assert.rejects(within(counting, 1500), { name: 'AbortError' });
    assert.equal(pool.stats().queued, 0);
    await busy;
  } finally {
    await pool.close({ force: true });
  }
});

// Node aborts the process (SIGABRT) when a thread is stopped while it still instantiates its
// ES modules, so close() must not stop a thread before it has loaded; a worker SIGTERMed
// right after start died by that signal about once in 200 stops.
test('close() waits for every thread, a replacement too, to finish loading before stopping it', async () => {
  const fresh = new ComputePool({ threads: 2 });
  assert.equal(fresh.loadedThreads, 0);
  await fresh.close(); // at once: both threads are still loading
  assert.equal(fresh.loadedThreads, 2, 'both threads loaded before close() stopped them');

  // Two closes at once both wait for the loading, not for the 5 s bound.
  const twice = new ComputePool({ threads: 2 });
  await within(Promise.all([twice.close(), twice.close({ force: true })]), 3000);
  assert.equal(twice.loadedThreads, 2);

  // An aborted task's thread is replaced by a fresh one, which is loading at close().
  const pool = new ComputePool({ threads: 1 });
  await pool.run('compute', { number: 2 });
  const ac = new AbortController();
  const running = pool.run('simulate', { seconds: 5, task: 't' }, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await assert.rejects(running);
  await pool.close();
  assert.equal(pool.loadedThreads, 2, 'the first thread and its replacement both loaded');
});

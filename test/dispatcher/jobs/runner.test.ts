/**
 * The job framework on its own: bounded in-flight with a lazily read source, per-chunk
 * retry under the budget, exactly-once merge, busy workers, holds, cancellation. Chunks
 * run through injected executors (the HTTP side is covered by jobs-countwords/montecarlo).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { RoundRobin } from '../../../src/dispatcher/balance/selection.js';
import { HttpError, httpError } from '../../../src/common/errors.js';
import { runJob, type JobChunk, type JobDefinition, type JobRunOptions } from '../../../src/dispatcher/jobs/job-runner.js';
import { WorkerAnswerError } from '../../../src/dispatcher/jobs/chunk-errors.js';
import { DoneSet } from '../../../src/dispatcher/jobs/done-set.js';

const sets: UpstreamSet[] = [];
after(async () => {
  for (const s of sets) await s.close();
});

/** `n` upstreams that are never dialled (the executors below stand in for the network). */
function upstreams(n: number): UpstreamSet {
  const set = new UpstreamSet();
  for (let i = 0; i < n; i++) set.add(`http://127.0.0.1:${10_001 + i}`).markUp();
  sets.push(set);
  return set;
}

function recorder() {
  const events: Array<Record<string, unknown>> = [];
  const rec = (obj: object, msg?: string): void => {
    events.push({ ...(obj as Record<string, unknown>), msg });
  };
  return { events, debug: rec, info: rec, warn: rec, error: rec, msgs: (m: string) => events.filter((e) => e.msg === m) };
}

function coded(code: string): Error {
  return Object.assign(new Error(code), { code });
}

function options(set: UpstreamSet, log = recorder(), extra: Partial<JobRunOptions> = {}): JobRunOptions {
  return {
    jobId: 'job-t',
    upstreams: set,
    policy: new RoundRobin(),
    logger: log,
    retries: 3,
    tryDurationMs: 2000,
    tryIntervalMs: 5,
    ...extra,
  };
}

function* numbered(n: number): Generator<JobChunk<number>> {
  for (let i = 0; i < n; i++) yield { index: i, payload: i, bytes: 1 };
}

/** A job whose chunk i yields i; `merged` records every merge. */
function sumJob(n: number, execute: JobDefinition<number, number>['execute']) {
  const merged: number[] = [];
  const job: JobDefinition<number, number> = { chunks: numbered(n), execute, merge: (_r, c) => merged.push(c.index) };
  return { job, merged, sum: () => merged.reduce((a, b) => a + b, 0) };
}

describe('runJob', () => {
  test('merges every chunk exactly once and keeps about 2 chunks in flight per worker', async () => {
    const set = upstreams(3);
    let inFlight = 0;
    let peak = 0;
    let pulled = 0;
    let maxAhead = 0;
    const merged: number[] = [];
    const job: JobDefinition<number, number> = {
      chunks: (function* () {
        for (const c of numbered(200)) {
          pulled++;
          maxAhead = Math.max(maxAhead, pulled - merged.length);
          yield c;
        }
      })(),
      execute: async (c) => {
        peak = Math.max(peak, ++inFlight);
        await sleep(1 + (c.index % 3));
        inFlight--;
        return c.payload;
      },
      merge: (r) => merged.push(r),
    };
    const summary = await runJob(job, options(set));
    assert.equal(summary.chunks, 200);
    assert.deepEqual(
      [...merged].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.equal(summary.workers.size, 3);
    assert.ok(peak <= 6, `peak in flight ${peak} > 2 × 3 workers`);
    assert.ok(peak >= 4, `peak in flight ${peak}: the job should use the workers in parallel`);
    // The source is read only as slots free up: never more than the limit (+1 being pulled) ahead.
    assert.ok(maxAhead <= 7, `source read ${maxAhead} chunks ahead of the merge`);
  });

  test('a reset chunk is retried on another worker, and logged as such', async () => {
    const set = upstreams(2);
    const log = recorder();
    const [w1] = set.list();
    const { job, merged } = sumJob(10, async (c, u) => {
      if (u === w1 && c.index % 2 === 0) throw coded('ECONNRESET');
      return c.payload;
    });
    await runJob(job, options(set, log));
    assert.equal(merged.length, 10);
    assert.equal(new Set(merged).size, 10);
    const retries = log.msgs('chunk failed on a worker; retrying');
    assert.ok(retries.length > 0);
    for (const r of retries) assert.equal(r.worker, w1.id);
    const sends = log.msgs('sending chunk').filter((e) => retries.some((r) => r.chunk === e.chunk));
    assert.ok(
      sends.some((e) => e.worker !== w1.id),
      'the retry went to the other worker',
    );
    assert.equal(log.msgs('received chunk').length, 10);
  });

  test('a late answer of a timed-out attempt is dropped: the chunk is merged once', async () => {
    const set = upstreams(2);
    const [w1] = set.list();
    let lateDelivered = false;
    const { job, merged } = sumJob(4, async (c, u) => {
      if (u === w1 && c.index === 0) {
        // Ignores its abort signal on purpose, like a worker that answers after all.
        await sleep(150);
        lateDelivered = true;
        return c.payload;
      }
      return c.payload;
    });
    const log = recorder();
    await runJob(job, options(set, log, { attemptTimeoutMs: 40 }));
    await sleep(200);
    assert.equal(lateDelivered, true);
    assert.deepEqual([...merged].sort(), [0, 1, 2, 3]);
    const retry = log.msgs('chunk failed on a worker; retrying').find((e) => e.chunk === 0);
    assert.match(String(retry?.reason), /40 ms/);
  });

  test('busy workers (503 QUEUE_FULL) delay a chunk without spending its retries', async () => {
    const set = upstreams(2);
    let refusals = 0;
    const { job, merged } = sumJob(6, async (c) => {
      if (refusals < 20) {
        refusals++;
        throw new WorkerAnswerError(503, 'QUEUE_FULL', 'queue full');
      }
      return c.payload;
    });
    const log = recorder();
    await runJob(job, options(set, log, { retries: 0 }));
    assert.equal(merged.length, 6);
    assert.equal(log.msgs('chunk failed on a worker; retrying').length, 0);
  });

  test('a chunk that fails on every worker past the budget fails the job with 502, cancelling the rest', async () => {
    const set = upstreams(2);
    let cancelled = 0;
    const { job } = sumJob(50, async (c, _u, signal) => {
      if (c.index === 3) throw new WorkerAnswerError(500, 'INTERNAL', 'boom');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            cancelled++;
            resolve();
          },
          { once: true },
        );
      });
      return c.payload;
    });
    await assert.rejects(runJob(job, options(set, recorder(), { retries: 2 })), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.equal(err.code, 'BAD_GATEWAY');
      assert.match(err.message, /chunk 3 failed on worker w\d after 3 retries/);
      return true;
    });
    assert.ok(cancelled > 0, 'in-flight chunks were cancelled');
  });

  test('timeouts on every try end in 504', async () => {
    const set = upstreams(2);
    const { job } = sumJob(1, () => Promise.reject(coded('HEADERS_TIMEOUT')));
    await assert.rejects(
      runJob(job, options(set, recorder(), { retries: 1 })),
      (err: unknown) => err instanceof HttpError && err.code === 'GATEWAY_TIMEOUT',
    );
  });

  test('a 4xx from a worker is not retried: 502 at once', async () => {
    const set = upstreams(3);
    let calls = 0;
    const { job } = sumJob(1, () => {
      calls++;
      return Promise.reject(new WorkerAnswerError(400, 'INVALID_PARAM', 'bad'));
    });
    await assert.rejects(runJob(job, options(set)), (err: unknown) => err instanceof HttpError && err.code === 'BAD_GATEWAY');
    assert.equal(calls, 1);
  });

  test('a connect failure marks the worker down and moves the chunk on without spending retries', async () => {
    const set = upstreams(2);
    const [w1, w2] = set.list();
    const { job, merged } = sumJob(8, async (c, u) => {
      if (u === w1) throw coded('ECONNREFUSED');
      return c.payload;
    });
    await runJob(job, options(set, recorder(), { retries: 0 }));
    assert.equal(merged.length, 8);
    assert.equal(w1.active, false);
    assert.equal(w2.active, true);
  });

  test('with no worker active the chunks hold, then go out when one comes back', async () => {
    const set = upstreams(1);
    const [w1] = set.list();
    w1.markDown('test');
    setTimeout(() => w1.markUp(), 60);
    const log = recorder();
    const { job, merged } = sumJob(3, async (c) => c.payload);
    await runJob(job, options(set, log));
    assert.equal(merged.length, 3);
    assert.ok(log.msgs('no worker available; holding chunk').length >= 1);
  });

  test('no worker within tryDuration → 503 NO_WORKER', async () => {
    const set = upstreams(1);
    set.list()[0].markDown('test');
    const { job } = sumJob(3, async (c) => c.payload);
    await assert.rejects(
      runJob(job, options(set, recorder(), { tryDurationMs: 50 })),
      (err: unknown) => err instanceof HttpError && err.code === 'NO_WORKER',
    );
  });

  test('the client going away aborts in-flight attempts and stops reading the source', async () => {
    const set = upstreams(2);
    const ac = new AbortController();
    let pulled = 0;
    let aborted = 0;
    const job: JobDefinition<number, number> = {
      chunks: (function* () {
        for (const c of numbered(1000)) {
          pulled++;
          yield c;
        }
      })(),
      execute: (c, _u, signal) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => resolve(c.payload), 30);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              aborted++;
              reject(signal.reason);
            },
            { once: true },
          );
        }),
      merge: () => {},
    };
    setTimeout(() => ac.abort(new Error('client gone')), 50);
    await assert.rejects(runJob(job, options(set, recorder(), { signal: ac.signal })), /client gone/);
    assert.ok(pulled < 20, `pulled ${pulled}`);
    assert.ok(aborted >= 1);
    for (const u of set.list()) assert.equal(u.load, 0, 'in-flight accounting released');
  });

  test('a failing source (e.g. the client body: 413) fails the job with its own error', async () => {
    const set = upstreams(1);
    const job: JobDefinition<number, number> = {
      chunks: (async function* () {
        yield { index: 0, payload: 0, bytes: 1 };
        throw httpError('PAYLOAD_TOO_LARGE', 'too big');
      })(),
      execute: async (c) => c.payload,
      merge: () => {},
    };
    await assert.rejects(runJob(job, options(set)), (err: unknown) => err instanceof HttpError && err.code === 'PAYLOAD_TOO_LARGE');
  });

  test('progress: chunks read, total when the source ends, chunks done by worker', async () => {
    const set = upstreams(2);
    const seen = { read: 0, bytes: 0, total: -1, done: 0, workers: new Set<string>() };
    const { job } = sumJob(9, async (c) => c.payload);
    await runJob(
      job,
      options(set, recorder(), {
        progress: {
          chunkRead: (c) => {
            seen.read++;
            seen.bytes += c.bytes;
          },
          sourceDone: (n) => (seen.total = n),
          chunkDone: (_i, w) => {
            seen.done++;
            seen.workers.add(w);
          },
        },
      }),
    );
    assert.deepEqual({ ...seen, workers: seen.workers.size }, { read: 9, bytes: 9, total: 9, done: 9, workers: 2 });
  });
});

describe('DoneSet', () => {
  test('remembers indexes across growth, once each', () => {
    const d = new DoneSet();
    for (const i of [0, 31, 32, 1023, 5000, 70_000]) assert.equal(d.add(i), true);
    assert.equal(d.add(5000), false);
    assert.equal(d.size, 6);
    assert.equal(d.has(70_000), true);
    assert.equal(d.has(69_999), false);
    assert.throws(() => d.add(-1), RangeError);
  });
});

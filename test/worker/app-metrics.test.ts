/** HttpMetrics: counts and a cumulative histogram published through prom-client at scrape time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { HttpMetrics } from '../../src/common/http-metrics.js';
import { randomInts } from '../../src/worker/routes/random-ints.js';
import { runBounded } from '../../src/worker/run-bounded.js';

describe('HttpMetrics', () => {
  it('publishes requests by route and status and a cumulative latency histogram', async () => {
    const m = new HttpMetrics([0.001, 0.01, 0.1]);
    m.observe('/ping', 200, 0.5);
    m.observe('/ping', 200, 5);
    m.observe('/ping', 404, 50);
    m.observe('static', 200, 500);
    const reg = new Registry();
    m.register(reg, 'x');
    const text = await reg.metrics();
    assert.match(text, /# TYPE x_http_requests_total counter/);
    assert.match(text, /x_http_requests_total\{route="\/ping",status="200"\} 2/);
    assert.match(text, /x_http_requests_total\{route="\/ping",status="404"\} 1/);
    assert.match(text, /# TYPE x_http_request_duration_seconds histogram/);
    assert.match(
      text,
      /x_http_request_duration_seconds_bucket\{le="0.001",route="\/ping"\} 1|x_http_request_duration_seconds_bucket\{route="\/ping",le="0.001"\} 1/,
    );
    assert.match(text, /x_http_request_duration_seconds_bucket\{route="\/ping",le="0.01"\} 2/);
    assert.match(text, /x_http_request_duration_seconds_bucket\{route="\/ping",le="0.1"\} 3/);
    assert.match(text, /x_http_request_duration_seconds_bucket\{route="\/ping",le="\+Inf"\} 3/);
    assert.match(text, /x_http_request_duration_seconds_count\{route="static"\} 1/);
    assert.match(text, /x_http_request_duration_seconds_sum\{route="static"\} 0.5/);
    assert.equal(m.total, 4);
    m.observe('/ping', 200, 1);
    assert.match(await reg.metrics(), /x_http_requests_total\{route="\/ping",status="200"\} 3/, 'a second scrape sees new totals');
  });
});

describe('randomInts', () => {
  it('stays in range, covers small ranges, handles spans beyond 2^48', () => {
    const xs = randomInts(2000, -3, 3);
    assert.ok(xs.every((x) => Number.isInteger(x) && x >= -3 && x <= 3));
    assert.equal(new Set(xs).size, 7);
    assert.deepEqual(randomInts(5, 9, 9), [9, 9, 9, 9, 9]);
    const wide = randomInts(1000, -1e15, 1e15);
    assert.ok(wide.every((x) => Number.isSafeInteger(x) && x >= -1e15 && x <= 1e15));
    assert.ok(wide.some((x) => x < 0) && wide.some((x) => x > 0));
  });
});

describe('runBounded', () => {
  it('keeps at most `limit` jobs in flight and runs them all', async () => {
    let live = 0;
    let peak = 0;
    const done: number[] = [];
    await runBounded(10, 3, async (i) => {
      live++;
      peak = Math.max(peak, live);
      await new Promise((r) => setTimeout(r, 5));
      live--;
      done.push(i);
    });
    assert.equal(peak, 3);
    assert.deepEqual(
      done.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('stops at the first failure, aborts the others and throws it', async () => {
    let started = 0;
    let aborted = 0;
    await assert.rejects(
      runBounded(100, 2, async (i, signal) => {
        started++;
        if (i === 3) throw new Error('boom');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              aborted++;
              resolve();
            },
            { once: true },
          );
        });
      }),
      /boom/,
    );
    assert.ok(started < 10, `started ${started}`);
    assert.ok(aborted >= 1);
  });
});

/**
 * The per-second numbers of /status and the dashboard: latency percentiles over a time
 * window (an idle dispatcher shows none), the bounded 15-minute ring behind
 * /status?since=, and the real sampler of an in-process dispatcher.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentStats, WINDOW_SECONDS } from '../../../src/dispatcher/admin/recent-stats.js';
import { MAX_TRACKED_WORKERS, StatusHistory, type WorkerReading } from '../../../src/dispatcher/admin/status-history.js';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { startMiniWorker, testDispatcherConfig, waitFor } from '../helpers/app-worker.js';

test('latency percentiles are over the window: a burst, then idle seconds, then none', () => {
  const t0 = 1_000_000;
  const r = new RecentStats(t0);
  for (let i = 1; i <= 100; i++) r.record(200, i); // 1..100 ms
  r.record(503, 5);
  const s = r.roll(t0 + 1000);
  assert.equal(s.requests, 101);
  assert.equal(s.errors5xx, 1);
  assert.equal(s.unavailable, 1);
  // Log buckets ~9 % wide: the percentile is its bucket's upper bound.
  assert.ok(s.p50 !== null && s.p50 >= 50 && s.p50 <= 55, `p50 ${s.p50}`);
  assert.ok(s.p99 !== null && s.p99 >= 99 && s.p99 <= 109, `p99 ${s.p99}`);
  let snap = r.snapshot(t0 + 1500, 10);
  assert.equal(snap.latency_ms.samples, 101);
  assert.ok(snap.latency_ms.p99 !== null && snap.latency_ms.p99 >= 99);
  assert.ok(snap.requests.per_second > 60, `rate ${snap.requests.per_second}`);
  // Ten idle seconds later the burst has left the window.
  for (let k = 2; k <= 12; k++) assert.equal(r.roll(t0 + k * 1000).p99, null);
  snap = r.snapshot(t0 + 12_500, 10);
  assert.deepEqual([snap.latency_ms.p50, snap.latency_ms.p99, snap.latency_ms.samples], [null, null, 0]);
  assert.equal(snap.requests.per_second, 0);
  assert.equal(snap.requests.total, 101, 'totals stay');
  assert.deepEqual(snap.errors, { '4xx': 0, '5xx': 1, by_status: { '503': 1 } });
  assert.ok(WINDOW_SECONDS >= 10);
});

test('the history ring keeps `capacity` samples, serves what is newer than `since`, bounds its worker series', () => {
  const h = new StatusHistory(5);
  const r = new RecentStats(0);
  const readings = (completed: number): WorkerReading[] => [
    { id: 'w1', completed, errors: 0, load: 1, cpu: 0.5, rss: 50 * 1048576, active: true },
  ];
  for (let k = 1; k <= 8; k++) {
    r.record(200, 2);
    h.add(r.roll(k * 1000), 0, readings(k * 10));
  }
  const all = h.since(0);
  assert.deepEqual(all.t, [4000, 5000, 6000, 7000, 8000], 'the oldest fell out');
  assert.equal(all.capacity, 5);
  assert.deepEqual(all.rps, [1, 1, 1, 1, 1]);
  assert.deepEqual(all.workers.w1.rate, [10, 10, 10, 10, 10]);
  assert.deepEqual(all.workers.w1.rss_mb, [50, 50, 50, 50, 50]);
  assert.deepEqual(all.workers.w1.cpu, [0.5, 0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual(h.since(6000).t, [7000, 8000]);
  assert.deepEqual(h.since(8000).t, []);
  assert.deepEqual(h.since(8000).workers, {});
  // A worker that is gone leaves gaps (null), then its series is forgotten.
  for (let k = 9; k <= 10; k++) h.add(r.roll(k * 1000), 0, []);
  assert.deepEqual(h.since(0).workers.w1.active, [1, 1, 1, null, null]);
  for (let k = 11; k <= 14; k++) h.add(r.roll(k * 1000), 0, []);
  assert.equal(h.since(0).workers.w1, undefined);
  // Hostile registrations cannot grow it without bound.
  const many = Array.from({ length: MAX_TRACKED_WORKERS + 50 }, (_, i) => ({ ...readings(0)[0], id: `x${i}` }));
  h.add(r.roll(20_000), 0, many);
  assert.equal(Object.keys(h.since(0).workers).length, MAX_TRACKED_WORKERS);
});

test('/status?since= serves the sampler history and finished jobs; plain /status stays small', async (t) => {
  const w = await startMiniWorker('A');
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', w.url, '--status-history', '1m']), { jobs: null });
  t.after(async () => {
    await d.close();
    await w.close();
  });
  await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
  for (let i = 0; i < 5; i++) await fetch(`${d.url}/whoami`).then((r) => r.arrayBuffer());
  // The real timer samples every whole second.
  const status = await waitFor(
    'two samples',
    async () => {
      const s = (await (await fetch(`${d.url}/status?since=0`)).json()) as { history: { t: number[]; capacity: number } };
      return s.history.t.length >= 2 ? s : undefined;
    },
    5000,
  );
  assert.equal(status.history.capacity, 60, '--status-history 1m');
  const times = status.history.t;
  assert.ok(
    times.every((x, i) => i === 0 || x - times[i - 1] >= 900),
    `about a second apart: ${times.join(',')}`,
  );
  const plain = (await (await fetch(`${d.url}/status`)).json()) as Record<string, unknown>;
  assert.equal(plain.history, undefined);
  assert.equal(plain.finished_jobs, undefined);
  const newer = (await (await fetch(`${d.url}/status?since=${times[times.length - 1]}`)).json()) as { history: { t: number[] } };
  assert.ok(newer.history.t.every((x) => x > times[times.length - 1]));
  for (const bad of ['-1', 'abc', '1e3', '99999999999999999999']) {
    const res = await fetch(`${d.url}/status?since=${bad}`);
    assert.equal(res.status, 400, bad);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'INVALID_PARAM');
  }
});

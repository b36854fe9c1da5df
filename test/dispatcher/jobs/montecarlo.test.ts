/**
 * GET /montecarlo through the dispatcher onto real `dhttp worker` processes: with a seed
 * the answer is bit-identical for 1, 2 and 5 workers and equal to an independent
 * reference computation (test/helpers/montecarlo-reference.ts, no code shared with src/).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, errorOf } from '../../helpers/http.js';
import { fnv1a, referenceInside, Xoshiro128StarStar } from '../../helpers/montecarlo-reference.js';
import type { StartedProcess } from '../../helpers/processes.js';
import { eventsWith, startJobsDispatcher, startWorkers, type JobsCluster } from '../helpers/jobs-cluster.js';

const CHUNK = 100_000;
const POINTS = 3_000_001; // 31 chunks, the last one of a single point

interface McAnswer {
  pi: number;
  total_points: number;
  inside_count: number;
  workers: number;
  chunks: number;
  duration_ms: number;
}

let workers: StartedProcess[] = [];
const clusters: JobsCluster[] = [];

before(async () => {
  workers = await startWorkers(5);
});

after(async () => {
  for (const c of clusters) await c.close();
  await Promise.all(workers.map((w) => w.stop()));
});

async function dispatcherOver(n: number): Promise<JobsCluster> {
  const c = await startJobsDispatcher(workers.slice(0, n), ['--montecarlo-chunk', String(CHUNK)]);
  clusters.push(c);
  return c;
}

describe('the independent reference', () => {
  test('its generator and hash give the published test vectors; its estimate is close to π', () => {
    // xoshiro128** from the state {1, 2, 3, 4} (the reference C code's first outputs).
    const g = new Xoshiro128StarStar([1, 2, 3, 4]);
    assert.deepEqual(
      Array.from({ length: 8 }, () => g.next()),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849],
    );
    // FNV-1a 32 of "", "a" and "foobar" (the FNV authors' test suite).
    assert.deepEqual([fnv1a(''), fnv1a('a'), fnv1a('foobar')], [0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
    const points = 400_000;
    const pi = (4 * referenceInside(points, 50_000, 'reference')) / points;
    // Four standard deviations of the estimate (σ ≈ 1.64/√n).
    assert.ok(Math.abs(pi - Math.PI) < (4 * 1.64) / Math.sqrt(points), `π ≈ ${pi}`);
  });
});

describe('GET /montecarlo', () => {
  test('consecutive chunks batched into one worker request give the same bits as one chunk per request', async () => {
    const chunk = 1000;
    const points = 2_000_500; // 2000 full chunks + one of 500 points: 2001 chunks
    const inside = referenceInside(points, chunk, 'batch-7');
    for (const n of [1, 2]) {
      // Not in `clusters`: later tests pick dispatchers from it by position.
      const c = await startJobsDispatcher(workers.slice(0, n), ['--montecarlo-chunk', String(chunk)]);
      try {
        const r = await call(`${c.url}/montecarlo?points=${points}&seed=batch-7`, { timeoutMs: 120_000 });
        assert.equal(r.status, 200, r.text);
        const j = r.json as McAnswer;
        assert.deepEqual([j.inside_count, j.total_points, j.chunks], [inside, points, 2001], `${n} workers`);
        // 8 chunks per request (2000 / 8 = 250 requests) plus the short last chunk alone.
        assert.equal(eventsWith(c.events, 'received chunk').length, 251, `${n} workers`);
        // Progress (/status, the dashboard) counts the job's chunks, not the requests they rode in.
        const status = (await call(`${c.url}/status`)).json as {
          jobs: { kind: string; state: string; chunks_done: number; chunks_total: number | null }[];
        };
        const job = status.jobs.find((x) => x.kind === 'montecarlo');
        assert.deepEqual(job && [job.state, job.chunks_done, job.chunks_total], ['done', 2001, 2001], `${n} workers`);
      } finally {
        await c.close();
      }
    }
  });

  test('with a seed: bit-identical on 1, 2 and 5 workers, equal to the independent reference', async () => {
    const inside = referenceInside(POINTS, CHUNK, 'paper-42');
    const expected = { pi: (4 * inside) / POINTS, total_points: POINTS, inside_count: inside, chunks: 31 };
    for (const n of [1, 2, 5]) {
      const c = await dispatcherOver(n);
      const r = await call(`${c.url}/montecarlo?points=${POINTS}&seed=paper-42`, { timeoutMs: 120_000 });
      assert.equal(r.status, 200, r.text);
      const j = r.json as McAnswer;
      assert.deepEqual(
        { pi: j.pi, total_points: j.total_points, inside_count: j.inside_count, chunks: j.chunks },
        expected,
        `${n} workers`,
      );
      assert.ok(Object.is(j.pi, expected.pi));
      assert.ok(j.workers >= Math.min(n, 2) && j.workers <= n, `${j.workers} distinct workers of ${n}`);
      assert.ok(Number.isInteger(j.duration_ms) && j.duration_ms >= 0);
      const sent = eventsWith(c.events, 'sending chunk').map((e) => e.chunk as number);
      assert.deepEqual(
        [...new Set(sent)].sort((a, b) => a - b),
        Array.from({ length: 31 }, (_, k) => k),
      );
      assert.equal(eventsWith(c.events, 'received chunk').length, 31);
    }
  });

  test('an integer seed equals its decimal string; without a seed every run is fresh but sound', async () => {
    const c = clusters[1] ?? (await dispatcherOver(2));
    const a = (await call(`${c.url}/montecarlo?points=200000&seed=7`)).json as McAnswer;
    const b = (await call(`${c.url}/montecarlo?points=200000&seed=7`)).json as McAnswer;
    assert.equal(a.inside_count, b.inside_count);
    assert.equal(a.inside_count, referenceInside(200_000, CHUNK, '7'));
    const u = (await call(`${c.url}/montecarlo?points=1000000`)).json as McAnswer;
    assert.ok(Math.abs(u.pi - Math.PI) < 0.02, `pi ≈ ${u.pi}`);
    assert.equal(u.chunks, 10);
  });

  test('bad parameters get 400 with the allowed range', async () => {
    const c = clusters[0] ?? (await dispatcherOver(1));
    const cases: Array<[string, string]> = [
      ['', 'MISSING_PARAM'],
      ['?points=0', 'INVALID_PARAM'],
      ['?points=10000000001', 'INVALID_PARAM'],
      ['?points=1.5', 'INVALID_PARAM'],
      ['?points=abc', 'INVALID_PARAM'],
      ['?points=10&seed=bad%20seed', 'INVALID_PARAM'],
    ];
    for (const [q, code] of cases) {
      const r = await call(`${c.url}/montecarlo${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(errorOf(r)?.code, code, q);
    }
    const r = await call(`${c.url}/montecarlo?points=0`);
    assert.match(errorOf(r)?.message ?? '', /\[1, 1e10\]/);
    // 1e10 points of 100 000 is 1e5 chunks: allowed; the cap is for tiny --montecarlo-chunk values.
    const tiny = await startJobsDispatcher(workers.slice(0, 1), ['--montecarlo-chunk', '1']);
    clusters.push(tiny);
    const capped = await call(`${tiny.url}/montecarlo?points=10000001`);
    assert.equal(capped.status, 400);
    assert.match(errorOf(capped)?.message ?? '', /at most 10000000 with --montecarlo-chunk 1/);
  });
});

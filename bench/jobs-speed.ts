/**
 * Acceptance (4) of the parallel jobs: how the dispatcher's jobs scale with workers.
 *  - GET /montecarlo?points=1e9 on `dhttp start --workers 2` vs `--workers 1`: the
 *    2-worker run should be ≥ 1.8× faster. Each worker gets one compute thread
 *    (`--threads 1`): with the default (cores ÷ workers) a lone worker already has a thread
 *    per core, so there would be nothing left for a second worker to add.
 *  - /countwords?file=NAME throughput (MB/s) on 1 and 2 workers, next to `wc -w` on the
 *    same file (a peer measured in the same run; `wc -w` splits on whitespace only, so it
 *    is a speed reference, not a count reference).
 * Timings are the best of `--runs` after a warm-up. Prints one JSON object; exit 1 when the
 * Monte Carlo ratio is below `--min-ratio` or a result differs between runs.
 *
 *   npx tsc -p . && node dist/bench/jobs-speed.js [--points 1000000000] [--mb 200] [--runs 3]
 *   node --import tsx bench/jobs-speed.ts --points 200000000 --mb 50 --runs 1
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countsToJson } from '../src/jobs/words.js';
import { call } from '../test/helpers/http.js';
import { generateText } from '../test/dispatcher/helpers/jobs-text.js';
import { ClusterProcess } from './cluster-process.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '1000000000' },
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    'min-ratio': { type: 'string', default: '1.8' },
  },
});
const MB = 1024 * 1024;
const runs = Math.max(1, Number(values.runs));
const points = Number(values.points);

// The countwords input: one generated file with its exact counts.
const dataDir = await mkdtemp(join(tmpdir(), 'dhttp-jobs-speed-'));
const file = join(dataDir, 'corpus.txt');
const text = generateText(Number(values.mb) * MB, 99);
const parts: Buffer[] = [];
for await (const p of text.pieces) parts.push(p);
const corpus = Buffer.concat(parts);
parts.length = 0;
await writeFile(file, corpus);
const expectedCounts = countsToJson(text.counts);

/** Best wall time of `runs` calls of `fn` (after one warm-up call), with its result. */
async function best<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  await fn();
  let top: { ms: number; result: T } | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const result = await fn();
    const ms = performance.now() - t0;
    if (top === undefined || ms < top.ms) top = { ms, result };
  }
  return top as { ms: number; result: T };
}

interface Measured {
  montecarlo_ms: number;
  montecarlo: { pi: number; inside_count: number; workers: number; chunks: number };
  countwords_ms: number;
  countwords_mb_per_s: number;
  countwords_match: boolean;
}

async function measure(workers: number): Promise<Measured> {
  const cluster = await ClusterProcess.start(workers, { args: ['--threads', '1', '--data-dir', dataDir] });
  try {
    const mc = await best(async () => {
      const r = await call(`${cluster.url}/montecarlo?points=${points}&seed=bench`, { timeoutMs: 3_600_000 });
      if (r.status !== 200) throw new Error(`montecarlo answered ${r.status}: ${r.text}`);
      return r.json as Measured['montecarlo'];
    });
    const cw = await best(async () => {
      const r = await call(`${cluster.url}/countwords?file=corpus.txt`, { timeoutMs: 3_600_000 });
      if (r.status !== 200) throw new Error(`countwords answered ${r.status}: ${r.text.slice(0, 300)}`);
      return r.text === expectedCounts;
    });
    return {
      montecarlo_ms: Math.round(mc.ms),
      montecarlo: { pi: mc.result.pi, inside_count: mc.result.inside_count, workers: mc.result.workers, chunks: mc.result.chunks },
      countwords_ms: Math.round(cw.ms),
      countwords_mb_per_s: Number((corpus.length / MB / (cw.ms / 1000)).toFixed(1)),
      countwords_match: cw.result,
    };
  } finally {
    await cluster.stop();
  }
}

function wcWords(): { ms: number; words: number } {
  let bestMs = Infinity;
  let words = 0;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('wc', ['-w', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`wc failed: ${r.stderr}`);
    words = Number(r.stdout.trim().split(/\s+/)[0]);
    if (i > 0) bestMs = Math.min(bestMs, ms); // the first run warms the page cache
  }
  return { ms: bestMs, words };
}

let exitCode = 0;
try {
  const one = await measure(1);
  const two = await measure(2);
  const wc = wcWords();
  const ratio = one.montecarlo_ms / two.montecarlo_ms;
  const sameResult = one.montecarlo.inside_count === two.montecarlo.inside_count && Object.is(one.montecarlo.pi, two.montecarlo.pi);
  const report = {
    points,
    montecarlo_ms: { workers_1: one.montecarlo_ms, workers_2: two.montecarlo_ms },
    montecarlo_speedup: Number(ratio.toFixed(2)),
    montecarlo_same_result: sameResult,
    countwords_file: `${(corpus.length / MB).toFixed(1)} MB`,
    countwords_mb_per_s: { workers_1: one.countwords_mb_per_s, workers_2: two.countwords_mb_per_s },
    countwords_match: one.countwords_match && two.countwords_match,
    wc_w: { ms: Math.round(wc.ms), mb_per_s: Number((corpus.length / MB / (wc.ms / 1000)).toFixed(1)), words: wc.words },
    countwords_vs_wc: {
      workers_1: Number((one.countwords_mb_per_s / (corpus.length / MB / (wc.ms / 1000))).toFixed(3)),
      workers_2: Number((two.countwords_mb_per_s / (corpus.length / MB / (wc.ms / 1000))).toFixed(3)),
    },
    min_ratio: Number(values['min-ratio']),
    pass: ratio >= Number(values['min-ratio']) && sameResult && one.countwords_match && two.countwords_match,
  };
  console.log(JSON.stringify(report, null, 2));
  if (!report.pass) exitCode = 1;
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
process.exitCode = exitCode;

/**
 * Acceptance (5): POST /countwords of a large body (default 200 MB) to a real worker,
 * streamed in odd-sized pieces; checks the result against the reference count and
 * reports the worker's RSS (sampled from /status while the upload runs, plus the Linux
 * peak VmHWM). Exit 1 if the count differs or the peak exceeds the limit.
 *
 *   npx tsc -p . && node dist/bench/countwords-memory.js [--mb 200] [--threads 2] [--limit-mb 150]
 *   node --import tsx bench/countwords-memory.ts --mb 20
 */
import { parseArgs } from 'node:util';
import { call } from '../test/helpers/http.js';
import { startWorker } from '../test/helpers/processes.js';
import { peakRss, wordCorpus } from '../test/helpers/word-corpus.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    'limit-mb': { type: 'string', default: '150' },
  },
});
const MB = 1024 * 1024;
const mb = (n: number): string => `${(n / MB).toFixed(1)} MB`;

const worker = await startWorker(['--threads', values.threads, '--log-level', 'warn']);
let exitCode = 0;
try {
  type Memory = { rss: number; heap_total: number; external: number; array_buffers: number };
  let sampledMain = { heap_total: 0, external: 0 };
  const rssNow = async (): Promise<number> => {
    const m = ((await call(`${worker.url}/status`)).json as { memory: Memory }).memory;
    sampledMain = { heap_total: Math.max(sampledMain.heap_total, m.heap_total), external: Math.max(sampledMain.external, m.external) };
    return m.rss;
  };
  await call(`${worker.url}/countwords`, { method: 'POST', body: 'warm up' });
  const before = await rssNow();
  const corpus = wordCorpus(Number(values.mb) * MB);
  let sampledMax = before;
  let running = true;
  const sampler = (async () => {
    while (running) {
      sampledMax = Math.max(sampledMax, await rssNow());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const start = performance.now();
  const r = await call(`${worker.url}/countwords`, { method: 'POST', body: corpus.body(), timeoutMs: 600_000 });
  const seconds = (performance.now() - start) / 1000;
  running = false;
  await sampler;
  const peak = (await peakRss(worker.pid)) ?? sampledMax;
  const got = new Map(Object.entries(r.json as Record<string, number>));
  const same = r.status === 200 && got.size === corpus.expected.size && [...corpus.expected].every(([w, c]) => got.get(w) === c);
  const limit = Number(values['limit-mb']) * MB;
  console.log(
    JSON.stringify({
      body: mb(corpus.bytes),
      seconds: Number(seconds.toFixed(2)),
      mb_per_s: Number((corpus.bytes / MB / seconds).toFixed(1)),
      status: r.status,
      counts_match: same,
      rss_before: mb(before),
      rss_sampled_max: mb(sampledMax),
      rss_peak: mb(peak),
      limit: mb(limit),
      main_thread_max: { heap_total: mb(sampledMain.heap_total), external: mb(sampledMain.external) },
    }),
  );
  if (!same) exitCode = 1;
  if (peak > limit) exitCode = 1;
} finally {
  await worker.stop();
}
process.exitCode = exitCode;

/**
 * Acceptance (3) of the parallel jobs: the dispatcher's memory stays flat while it counts
 * a large streamed body (default 2 GiB). Runs a real `dhttp start --workers N` (the
 * dispatcher lives in the cluster process), POSTs a chunked body built from one generated
 * block repeated (so the client is cheap and the reference count is exact), samples the
 * dispatcher's RSS from /proc while the job runs and reads its peak (VmHWM) at the end.
 * Exit 1 if the counts differ or the peak exceeds the limit.
 *
 *   npx tsc -p . && node dist/bench/countwords-dispatcher-memory.js [--mb 2048] [--workers 2] [--limit-mb 200]
 *   node --import tsx bench/countwords-dispatcher-memory.ts --mb 200
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { countsToJson } from '../src/jobs/words.js';
import { generateText } from '../test/dispatcher/helpers/jobs-text.js';
import { ClusterProcess } from './cluster-process.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '2048' },
    workers: { type: 'string', default: '2' },
    'limit-mb': { type: 'string', default: '200' },
    /** Extra `dhttp start` flags, e.g. "--countwords-chunk 1MiB". */
    args: { type: 'string', default: '' },
  },
});
const MB = 1024 * 1024;
const mb = (n: number): string => `${(n / MB).toFixed(1)} MB`;

/** VmRSS and VmHWM of a Linux process, bytes. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number } | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const rss = status?.match(/^VmRSS:\s+(\d+) kB/m);
  const peak = status?.match(/^VmHWM:\s+(\d+) kB/m);
  if (!rss || !peak) return undefined;
  return { rss: Number(rss[1]) * 1024, peak: Number(peak[1]) * 1024 };
}

// One 8 MB block with its exact counts, sent `repeat` times: the text ends with a
// separator, so blocks never join words across their seams.
const block = generateText(8 * MB, 2024);
const parts: Buffer[] = [];
for await (const p of block.pieces) parts.push(p);
const blockBytes = Buffer.concat(parts);
const repeat = Math.max(1, Math.round((Number(values.mb) * MB) / blockBytes.length));
const totalBytes = blockBytes.length * repeat;
const expected = new Map([...block.counts].map(([w, c]) => [w, c * repeat]));

async function* body(): AsyncGenerator<Buffer> {
  // 64 KiB pieces, like a socket would deliver them.
  for (let r = 0; r < repeat; r++) {
    for (let off = 0; off < blockBytes.length; off += 64 * 1024) yield blockBytes.subarray(off, off + 64 * 1024);
  }
}

const extra = values.args.split(/\s+/).filter((a) => a !== '');
const cluster = await ClusterProcess.start(Number(values.workers), { args: ['--threads', '1', ...extra] });
let exitCode = 0;
try {
  const pid = cluster.child.pid as number;
  const before = await memoryOf(pid);
  let sampledMax = before?.rss ?? 0;
  /** RSS once a second, in MB: flat is the point, a peak alone would not show a slow leak. */
  const timeline: number[] = [];
  let running = true;
  const sampler = (async () => {
    for (let i = 0; running; i++) {
      const rss = (await memoryOf(pid))?.rss ?? 0;
      sampledMax = Math.max(sampledMax, rss);
      if (i % 10 === 0) timeline.push(Math.round(rss / MB));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const start = performance.now();
  const res = await request(`${cluster.url}/countwords`, {
    method: 'POST',
    body: Readable.from(body()),
    headersTimeout: 3_600_000,
    bodyTimeout: 3_600_000,
  });
  const text = await res.body.text();
  const seconds = (performance.now() - start) / 1000;
  running = false;
  await sampler;
  const after = await memoryOf(pid);
  const same = res.statusCode === 200 && text === countsToJson(expected);
  const limit = Number(values['limit-mb']) * MB;
  const peak = after?.peak ?? sampledMax;
  console.log(
    JSON.stringify({
      body: mb(totalBytes),
      workers: Number(values.workers),
      seconds: Number(seconds.toFixed(2)),
      mb_per_s: Number((totalBytes / MB / seconds).toFixed(1)),
      status: res.statusCode,
      counts_match: same,
      dispatcher_rss_before: mb(before?.rss ?? 0),
      dispatcher_rss_sampled_max: mb(sampledMax),
      dispatcher_rss_peak: mb(peak),
      limit: mb(limit),
      pass: same && peak <= limit,
      dispatcher_rss_mb_each_second: timeline,
    }),
  );
  if (!same) {
    console.error(`status ${res.statusCode}; answer starts ${text.slice(0, 300)}`);
    exitCode = 1;
  }
  if (peak > limit) exitCode = 1;
} finally {
  await cluster.stop();
}
process.exitCode = exitCode;

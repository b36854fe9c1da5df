/**
 * Issue 18, acceptance 2: POST /countwords of a large mixed text (default 200 MB, ≈ 5 %
 * non-ASCII bytes, a Zipf-distributed vocabulary of tens of thousands of words) to one
 * `dhttp worker` with its default threads, next to `wc -w` (C.UTF-8) on the same file in the
 * same run. Checks the answer byte for byte against the counts the generator knows it wrote,
 * and reports the worker's peak RSS (VmHWM). Prints one JSON object; exit 1 when the counts
 * differ or the peak exceeds --limit-mb.
 *
 * The upload is `curl -T` (the file streamed with its Content-Length), a C client beside a C
 * `wc -w`: on two cores the client's CPU comes out of the worker's. `--client undici` uploads
 * from this process instead (a Node stream, chunked): ≈ 1.4 s of client CPU per 200 MB where
 * curl takes ≈ 0.15 s, so it measures the client as much as the worker.
 *
 * `--via start` uploads to `dhttp start` instead (the dispatcher cutting the body into
 * chunks of `--chunk`, its --countwords-chunk, for its workers): the peak RSS is then the
 * largest of its workers' (held to --limit-mb), and the dispatcher's is reported beside it.
 *
 *   npm run build && node dist/bench/countwords-speed.js [--mb 200] [--runs 2] [--limit-mb 150] [--client curl|undici]
 *     [--via worker|start] [--chunk 4MiB]
 */
import { execFile, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countsToJson } from '../src/jobs/words.js';
import { prng } from '../test/dispatcher/helpers/jobs-text.js';
import { call } from '../test/helpers/http.js';
import { startProcess, startWorker } from '../test/helpers/processes.js';
import { peakRss } from '../test/helpers/word-corpus.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '2' },
    'limit-mb': { type: 'string', default: '150' },
    client: { type: 'string', default: 'curl' },
    via: { type: 'string', default: 'worker' },
    chunk: { type: 'string' },
  },
});
if (values.client !== 'curl' && values.client !== 'undici') throw new Error('--client is curl or undici');
if (values.via !== 'worker' && values.via !== 'start') throw new Error('--via is worker or start');
const MB = 1024 * 1024;
const runs = Math.max(1, Number(values.runs));

/** Words under the SPEC §4 rule, each exactly one word, the multi-byte ones in several scripts. */
const NON_ASCII = [
  'café',
  'naïve',
  'Straße',
  'façade',
  'crème',
  'brûlée',
  'déjà',
  'señor',
  'mañana',
  'über',
  'Ärger',
  'œuvre',
  'ΟΔΟΣ',
  'σοφία',
  'λόγος',
  'Привет',
  'мир',
  'книга',
  '日本語',
  '中文字',
  '東京',
  'タワー',
  '한국어',
  'עברית',
  'العربية',
  'हिन्दी',
  'ไทย',
  "l'été",
  'rock’n’roll',
  'e\u0301cole',
  'İstanbul',
  'ǅemal',
  '٣٤٥',
  '𝒳𝒴',
];
const SEPARATORS = [' ', ' ', ' ', ' ', ' ', ' ', ', ', '. ', '\n', '; ', ' — ', ' (', ') ', ': ', '"', '! ', "' "];

/** A deterministic vocabulary of ASCII words built from syllables, most frequent first. */
function asciiVocabulary(size: number, random: () => number): string[] {
  const syllables =
    'ba be bi bo bu ca ce co da de di do fa fe fi ga ge go ha he hi ka ke la le li lo lu ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya yo za ze str th ch sh qu x y'.split(
      ' ',
    );
  const words = new Set<string>(['the', 'of', 'and', 'to', 'in', 'is', 'it', "don't", "it's", 'you', 'that', 'was', 'for']);
  while (words.size < size) {
    let w = '';
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
    if (random() < 0.03) w += String(Math.floor(random() * 100));
    words.add(w);
  }
  return [...words];
}

/** Writes about `bytes` of text to `file`; returns the counts it wrote and its non-ASCII share. */
async function writeCorpus(file: string, bytes: number): Promise<{ bytes: number; counts: Map<string, number>; nonAscii: number }> {
  const random = prng(18);
  const vocabulary = asciiVocabulary(50_000, random);
  // Zipf (s = 1): rank r drawn with probability ∝ 1/r, by binary search over the CDF.
  const cdf = new Float64Array(vocabulary.length);
  let sum = 0;
  for (let r = 0; r < vocabulary.length; r++) cdf[r] = sum += 1 / (r + 1);
  const pick = (): string => {
    const x = random() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo];
  };
  const counts = new Map<string, number>();
  const handle = await open(file, 'w');
  let written = 0;
  let nonAscii = 0;
  let sentenceStart = true;
  try {
    while (written < bytes) {
      const parts: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        let w = random() < 0.06 ? NON_ASCII[Math.floor(random() * NON_ASCII.length)] : pick();
        counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
        if (sentenceStart && w.charCodeAt(0) >= 0x61 && w.charCodeAt(0) <= 0x7a) w = w[0].toUpperCase() + w.slice(1);
        const sep = SEPARATORS[Math.floor(random() * SEPARATORS.length)];
        sentenceStart = sep === '. ';
        parts.push(w, sep);
      }
      const buf = Buffer.from(parts.join(''));
      for (const b of buf) if (b >= 0x80) nonAscii++;
      await handle.write(buf);
      written += buf.length;
    }
  } finally {
    await handle.close();
  }
  return { bytes: written, counts, nonAscii: nonAscii / written };
}

/** The processes `pid` started (Linux). */
async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
}

function wcWords(file: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('wc', ['-w', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    if (r.status !== 0) throw new Error(`wc -w failed: ${r.stderr}`);
    if (i > 0) best = Math.min(best, performance.now() - t0); // the first run warms the page cache
  }
  return best;
}

/** POSTs `file` to `url` with the chosen client; the status and the answer. */
async function upload(url: string, file: string, answer: string): Promise<{ status: number; text: string }> {
  if (values.client === 'undici') return call(url, { method: 'POST', body: createReadStream(file), timeoutMs: 600_000 });
  const args = ['-sS', '-o', answer, '-w', '%{http_code}', '-X', 'POST', '-T', file, '-H', 'Content-Type: text/plain', url];
  const status = await new Promise<number>((resolve, reject) =>
    execFile('curl', args, (err, stdout) => (err ? reject(err) : resolve(Number(stdout)))),
  );
  return { status, text: await readFile(answer, 'utf8') };
}

const dir = await mkdtemp(join(tmpdir(), 'dhttp-countwords-speed-'));
let exitCode = 0;
try {
  const file = join(dir, 'corpus.txt');
  const corpus = await writeCorpus(file, Number(values.mb) * MB);
  const expected = countsToJson(corpus.counts);
  const wcMs = wcWords(file);
  const chunk = values.chunk === undefined ? [] : ['--countwords-chunk', values.chunk];
  const worker =
    values.via === 'start'
      ? await startProcess('start', ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...chunk])
      : await startWorker(['--log-level', 'warn']);
  try {
    await call(`${worker.url}/countwords`, { method: 'POST', body: 'warm up the pool', timeoutMs: 30_000 });
    let bestMs = Number.POSITIVE_INFINITY;
    let exact = true;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await upload(`${worker.url}/countwords`, file, join(dir, 'answer.json'));
      bestMs = Math.min(bestMs, performance.now() - t0);
      exact &&= r.status === 200 && r.text === expected;
    }
    // Through `dhttp start`, the workers are the dispatcher's children.
    const children = values.via === 'start' ? await childPids(worker.pid) : [];
    // Without the children the dispatcher's peak would pass for a worker's.
    if (values.via === 'start' && children.length === 0) throw new Error(`could not list the workers of dhttp start (pid ${worker.pid})`);
    const peaks = await Promise.all((values.via === 'start' ? children : [worker.pid]).map(async (pid) => (await peakRss(pid)) ?? 0));
    const peak = Math.max(...peaks);
    const dispatcherPeak = values.via === 'start' ? ((await peakRss(worker.pid)) ?? 0) : undefined;
    const mbps = (ms: number): number => Number((corpus.bytes / MB / (ms / 1000)).toFixed(1));
    const report = {
      client: values.client,
      via: values.via,
      ...(values.via === 'start' ? { chunk: values.chunk ?? 'default', workers: children.length } : {}),
      body_mb: Number((corpus.bytes / MB).toFixed(1)),
      non_ascii_pct: Number((corpus.nonAscii * 100).toFixed(1)),
      distinct_words: corpus.counts.size,
      worker_mb_per_s: mbps(bestMs),
      wc_w_mb_per_s: mbps(wcMs),
      ratio_vs_wc: Number((wcMs / bestMs).toFixed(3)),
      counts_exact: exact,
      rss_peak_mb: Number((peak / MB).toFixed(1)),
      ...(dispatcherPeak === undefined ? {} : { dispatcher_rss_peak_mb: Number((dispatcherPeak / MB).toFixed(1)) }),
      rss_limit_mb: Number(values['limit-mb']),
    };
    console.log(JSON.stringify(report));
    if (!exact || peak > report.rss_limit_mb * MB) exitCode = 1;
  } finally {
    await worker.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = exitCode;

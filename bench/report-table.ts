/**
 * The table of `npm run bench` (bench/all.sh): reads one run's raw results from DIR and
 * rewrites the dated section of docs/benchmarks.md between its markers. Every figure comes
 * from the files; a part whose file is missing or failed shows as "not run".
 *
 *   node dist/bench/report-table.js DIR [docs/benchmarks.md]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';

const [dir, docArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: report-table.js DIR [DOC]');
const doc = docArg ?? 'docs/benchmarks.md';
const BEGIN = '<!-- bench:current -->';
const END = '<!-- /bench:current -->';

interface Target {
  rps: number[];
  p99_us: number[];
  rps_median: number;
  p99_us_median: number;
}
interface RunJson {
  date: string;
  rounds: number;
  duration_s: number;
  targets: Record<string, Target>;
}

function text(file: string): string | undefined {
  const path = join(dir, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The JSON line of a run.sh output. */
function runJson(file: string): RunJson | undefined {
  const line = text(file)
    ?.split('\n')
    .find((l) => l.startsWith('{"date"'));
  return line === undefined ? undefined : (JSON.parse(line) as RunJson);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Median and range of the per-round paired ratios a_r / b_r, as run.sh --ratio computes them. */
function paired(run: RunJson, a: string, b: string): { median: number; min: number; max: number } | undefined {
  const ra = run.targets[a]?.rps;
  const rb = run.targets[b]?.rps;
  if (ra === undefined || rb === undefined || ra.length === 0 || ra.length !== rb.length) return undefined;
  const r = ra.map((x, i) => x / rb[i]);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

const k = (rps: number): string => `${(rps / 1000).toFixed(1)}k`;
const ms = (us: number): string => `${(us / 1000).toFixed(2)} ms`;
const x = (v: number): string => `${v.toFixed(2)}×`;
const mark = (ok: boolean | undefined): string => (ok === undefined ? '—' : ok ? '**yes**' : 'no');

const rows: string[] = [];
const row = (n: string, what: string, measured: string, target: string, ok: boolean | undefined): void => {
  rows.push(`| ${n} | ${what} | ${measured} | ${target} | ${mark(ok)} |`);
};

const WORKER = 'dhttp-worker';
for (const [mode, what, target, min] of [
  ['keepalive', '`dhttp worker --threads 1` GET /ping, keep-alive, c=50', '≥ 1.4× node:http, ≥ 0.85× node-net', 1.4],
  ['pipeline', 'the same, pipelined ×10', '≥ 4× node:http', 4],
  ['close', 'the same, `Connection: close`', '≥ 1.2× node:http', 1.2],
] as const) {
  const run = runJson(`worker-${mode}.txt`);
  const vsHttp = run && paired(run, WORKER, 'node-http');
  if (run === undefined || vsHttp === undefined) {
    row('1', what, 'not run', target, undefined);
    continue;
  }
  const vsNet = paired(run, WORKER, 'node-net');
  const w = run.targets[WORKER];
  const h = run.targets['node-http'];
  const p99ok = w.p99_us_median > 0 && h.p99_us_median > 0 ? w.p99_us_median <= h.p99_us_median : undefined;
  const measured =
    `${x(vsHttp.median)} node:http (rounds ${x(vsHttp.min)}–${x(vsHttp.max)})` +
    (vsNet ? `, ${x(vsNet.median)} node-net` : '') +
    `; ${k(w.rps_median)} vs ${k(h.rps_median)} req/s; p99 ${ms(w.p99_us_median)} vs ${ms(h.p99_us_median)}`;
  const ok = vsHttp.median >= min && (mode !== 'keepalive' || (vsNet?.median ?? 0) >= 0.85) && p99ok !== false;
  row('1', what, measured, `${target}; p99 ≤ node:http's`, ok);
}

// bench/same-core.sh: node:http, the worker, the bare engine and node-net on one core at once.
const same = text('same-core.txt')
  ?.split('\n')
  .filter((l) => l.startsWith('round '))
  .map((l) => [...l.matchAll(/([\d.]+) µs\/req/g)].map((m) => Number(m[1])));
const sameRounds = same?.filter((r) => r.length === 4 && r.every((v) => v > 0)) ?? [];
if (sameRounds.length === 0) {
  row('1', 'keep-alive at the same moment (CPU per request, bench/same-core.sh)', 'not run', '≥ 1.4× node:http', undefined);
} else {
  // Requests per CPU-second relative to node:http's: node:http's µs over each one's.
  const rel = (i: number): number[] => sameRounds.map((r) => r[0] / r[i]);
  const worker = rel(1);
  row(
    '1',
    'keep-alive, c=50 each, measured at the same moment: node:http, the worker, the bare engine and node-net on one core at once, each with its own wrk (`bench/same-core.sh`); requests per CPU-second',
    `worker ${x(median(worker))} node:http (rounds ${x(Math.min(...worker))}–${x(Math.max(...worker))}); bare engine ${x(median(rel(2)))}; node-net ${x(median(rel(3)))}`,
    '≥ 1.4× node:http',
    median(worker) >= 1.4,
  );
}

const cw = text('countwords.json');
if (cw === undefined || !cw.trim().startsWith('{')) {
  row(
    '2',
    'POST /countwords, 200 MB mixed text, one worker (default threads)',
    'not run',
    '≥ 0.75× `wc -w`, exact, RSS < 150 MB',
    undefined,
  );
} else {
  const c = JSON.parse(cw.trim().split('\n').at(-1) as string) as Record<string, number | boolean>;
  row(
    '2',
    `POST /countwords, ${c.body_mb} MB (${c.non_ascii_pct} % non-ASCII bytes, ${c.distinct_words} distinct words), one worker (default threads)`,
    `${c.worker_mb_per_s} MB/s vs \`wc -w\` ${c.wc_w_mb_per_s} MB/s: ${x(c.ratio_vs_wc as number)}; exact: ${c.counts_exact}; RSS peak ${c.rss_peak_mb} MB`,
    '≥ 0.75× `wc -w`, exact, RSS < 150 MB',
    (c.ratio_vs_wc as number) >= 0.75 && c.counts_exact === true && (c.rss_peak_mb as number) < 150,
  );
}

const disp = runJson('dispatcher.txt');
const dr = disp && paired(disp, 'dhttp-start-w1', 'nginx-unix-worker');
row(
  '3',
  '`dhttp start --workers 1` vs nginx → the same worker over a Unix socket, c=50',
  disp === undefined || dr === undefined
    ? 'not run'
    : `${x(dr.median)} (rounds ${x(dr.min)}–${x(dr.max)}); ${k(disp.targets['dhttp-start-w1'].rps_median)} vs ${k(disp.targets['nginx-unix-worker'].rps_median)} req/s`,
  '≥ 1.0×',
  dr === undefined ? undefined : dr.median >= 1.0,
);

interface LoadLine {
  target: string;
  tool: string;
  round: number;
  rps: number;
  p99_ms: number;
  max_ms: number;
  rate?: number | null;
  requests?: number;
  duration_ms?: number;
}
const load = (text('load-client.jsonl') ?? '')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as LoadLine);
for (const target of ['node-http', 'dhttp-worker']) {
  const ratios = load
    .filter((l) => l.target === target && l.tool === 'dhttp-bench')
    .flatMap((b) => {
      const w = load.find((l) => l.target === target && l.tool === 'wrk' && l.round === b.round);
      return w === undefined || w.rps === 0 ? [] : [b.rps / w.rps];
    });
  const m = median(ratios);
  row(
    '4',
    `\`dhttp bench -t 2\` vs \`wrk -t 2\` on ${target} (c=50, server on CPU 0, load generators unpinned)`,
    ratios.length === 0 ? 'not run' : `${x(m)} of wrk's req/s (rounds ${x(Math.min(...ratios))}–${x(Math.max(...ratios))})`,
    'within 10 %',
    ratios.length === 0 ? undefined : Math.abs(m - 1) <= 0.1,
  );
}
const rate = load.find((l) => l.target === 'rate-node-http');
if (rate?.rate != null && rate.requests !== undefined && rate.duration_ms !== undefined) {
  const held = rate.requests / (rate.duration_ms / 1000);
  row(
    '4',
    `\`dhttp bench -t 2 --rate ${rate.rate}\` on node-http`,
    `${held.toFixed(0)} req/s held (${((held / rate.rate - 1) * 100).toFixed(1)} %), p99 ${rate.p99_ms.toFixed(2)} ms`,
    'within 2 %',
    Math.abs(held / rate.rate - 1) <= 0.02,
  );
} else {
  row('4', '`dhttp bench --rate` on node-http', 'not run', 'within 2 %', undefined);
}
const stall = (t: string): LoadLine | undefined => load.find((l) => l.target === t);
const [sr, sw, sc] = [stall('stall-rate'), stall('stall-wrk'), stall('stall-closed')];
row(
  '4',
  'a server that stalls 1 s once (c=20, 4 s): p99 / max',
  sr === undefined
    ? 'not run'
    : `\`--rate ${sr.rate}\`: ${sr.p99_ms.toFixed(0)} / ${sr.max_ms.toFixed(0)} ms` +
        (sw ? `; wrk (its own correction): ${sw.p99_ms.toFixed(0)} / ${sw.max_ms.toFixed(0)} ms` : '') +
        (sc ? `; dhttp bench closed loop: ${sc.p99_ms.toFixed(0)} / ${sc.max_ms.toFixed(0)} ms` : ''),
  'the stall shows in p99 with --rate',
  sr === undefined ? undefined : sr.p99_ms >= 900,
);

const date = (runJson('worker-keepalive.txt')?.date ?? new Date().toISOString()).slice(0, 10);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const section = [
  BEGIN,
  `**${date}**, \`npm run bench\` (${cpus().length} × ${cpu}, Node ${process.version}; raw files: \`bench/results/${basename(dir)}/\`).`,
  'Ratios are medians of per-round paired ratios from one run; see the method above.',
  '',
  '| issue 18 | what | measured | target | met |',
  '|---|---|---|---|---|',
  ...rows,
  END,
].join('\n');

const current = readFileSync(doc, 'utf8');
const from = current.indexOf(BEGIN);
const to = current.indexOf(END);
if (from < 0 || to < 0) throw new Error(`${doc} has no ${BEGIN} … ${END} section`);
writeFileSync(doc, current.slice(0, from) + section + current.slice(to + END.length));
console.log(section);

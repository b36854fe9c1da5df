/**
 * One event loop's share of a bench run: its connections, its part of the request budget
 * and of the rate, its own HDR histograms (the whole run and one per second). It returns
 * them encoded, so the shares of several threads merge exactly (merge.ts).
 */
import { performance } from 'node:perf_hooks';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { BenchConnection, type BenchControl, type BenchTarget, type Pacing } from './connection.js';
import { LatencyCounts } from './latency-counts.js';
import type { ErrorKind } from './report.js';

export interface LoadShare {
  readonly target: BenchTarget;
  readonly connections: number;
  /** This share of --requests; 0 = no limit. */
  readonly requests: number;
  /** 0 = no limit. */
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  /** This share of --rate, requests/s; 0 = closed loop. */
  readonly rate: number;
  readonly pipeline: number;
}

export interface SecondResult {
  readonly requests: number;
  readonly responses: number;
  readonly errors: number;
  /** Compressed base64 HDR histogram of the latencies (µs) recorded in this second. */
  readonly histogram: string;
}

export interface LoadResult {
  readonly durationMs: number;
  /** Responses plus transport errors in the measured time. */
  readonly requests: number;
  readonly responses: number;
  readonly bytesRead: number;
  readonly histogram: string;
  /** Exact extremes (an encoded histogram keeps bucket bounds only). */
  readonly minUs: number;
  readonly maxUs: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  /** One entry per second of the measured time. */
  readonly series: readonly SecondResult[];
}

export interface LoadProgress {
  readonly measuring: boolean;
  /** Responses and errors so far in the measured time. */
  readonly done: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly signal?: AbortSignal;
  /** Called once a second. */
  readonly onProgress?: (p: LoadProgress) => void;
}

function increment(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

const newHistogram = (): Histogram => build({ numberOfSignificantValueDigits: 3 });

interface Second {
  requests: number;
  responses: number;
  errors: number;
  histogram: Histogram;
}

/** Status codes run from 100 to 999 (the codec refuses others): counted by index, named at the end. */
const STATUS_SLOTS = 1000;

export async function runLoad(share: LoadShare, options: LoadOptions = {}): Promise<LoadResult> {
  const statusCounts = new Float64Array(STATUS_SLOTS);
  // The latencies of one second at a time, moved into that second's histogram when the next begins.
  const counts = new LatencyCounts();
  let countsOf: Second | undefined;
  const byKind: Record<string, number> = {};
  const seconds: Second[] = [];
  // With a fixed duration the series has exactly one entry per second of it: an answer
  // that lands in the last instant before the stop timer belongs to the last second.
  const lastSecond = share.durationMs > 0 ? Math.ceil(share.durationMs / 1000) - 1 : Number.POSITIVE_INFINITY;
  let phase: 'warmup' | 'measure' | 'stopped' = share.warmupMs > 0 ? 'warmup' : 'measure';
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureEnd = 0;
  let issued = 0;
  let responses = 0;
  let failures = 0;
  let bytesRead = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = 0;
  let finished = 0;
  const timers: NodeJS.Timeout[] = [];
  let resolveRun: () => void = () => {};
  const ran = new Promise<void>((r) => (resolveRun = r));

  const secondAt = (now: number): Second => {
    const k = Math.max(0, Math.min(lastSecond, Math.floor((now - measureFrom) / 1000)));
    while (seconds.length <= k) seconds.push({ requests: 0, responses: 0, errors: 0, histogram: newHistogram() });
    return seconds[k];
  };

  const control: BenchControl = {
    get measureFrom() {
      return measureFrom;
    },
    claim() {
      if (phase === 'stopped') return false;
      if (phase === 'warmup') return true;
      if (share.requests > 0 && issued >= share.requests) return false;
      issued++;
      return true;
    },
    response(status, latencyUs, measured, now) {
      if (!measured || phase === 'stopped') return;
      responses++;
      if (latencyUs < minUs) minUs = latencyUs;
      if (latencyUs > maxUs) maxUs = latencyUs;
      statusCounts[status]++;
      // Recorded once, in its second: the run's histogram is the sum of the seconds'.
      const s = secondAt(now);
      if (s !== countsOf) {
        if (countsOf !== undefined) counts.moveInto(countsOf.histogram);
        countsOf = s;
      }
      s.requests++;
      s.responses++;
      counts.record(latencyUs);
      measureEnd = now;
    },
    error(kind: ErrorKind, measured, now) {
      if (!measured || phase === 'stopped') return;
      failures++;
      increment(byKind, kind);
      const s = secondAt(now);
      s.requests++;
      s.errors++;
      measureEnd = now;
    },
    bytes(n) {
      if (phase === 'measure') bytesRead += n;
    },
    done() {
      if (++finished === connections.length) stop();
    },
  };

  const connections = Array.from({ length: share.connections }, () => new BenchConnection(share.target, control, share.pipeline));
  // Connected first (bounded by the request timeout), as wrk does: the clock starts once
  // the connections are up, so no schedule starts behind by a handshake.
  let opening: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(connections.map((c) => c.open())),
    new Promise<void>((resolve) => {
      opening = setTimeout(resolve, share.timeoutMs);
    }),
  ]);
  clearTimeout(opening);
  const start = performance.now();
  // Constant rate: each connection paces an equal part of the share, their schedules
  // staggered evenly so the requests of the share are spread over each interval.
  const intervalMs = share.rate > 0 ? (1000 * share.connections) / share.rate : 0;
  const pacing = (i: number): Pacing | null =>
    share.rate > 0 ? { firstAt: start + (intervalMs * i) / share.connections, intervalMs } : null;

  function stop(): void {
    if (phase === 'stopped') return;
    if (phase === 'measure' && share.requests === 0) measureEnd = performance.now();
    phase = 'stopped';
    for (const t of timers) clearTimeout(t);
    for (const c of connections) c.stop();
    resolveRun();
  }
  function beginMeasure(): void {
    phase = 'measure';
    measureFrom = measureEnd = start + share.warmupMs;
    if (share.durationMs > 0) timers.push(setTimeout(stop, Math.max(0, measureFrom + share.durationMs - performance.now())));
  }

  const onAbort = (): void => stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (phase === 'warmup') timers.push(setTimeout(beginMeasure, share.warmupMs));
  else beginMeasure();

  const checkEvery = Math.max(10, Math.min(250, Math.floor(share.timeoutMs / 4)));
  timers.push(
    setInterval(() => {
      const now = performance.now();
      for (const c of connections) c.checkTimeout(now, share.timeoutMs);
    }, checkEvery),
  );
  const onProgress = options.onProgress;
  if (onProgress !== undefined) {
    timers.push(setInterval(() => onProgress({ measuring: phase === 'measure', done: responses + failures, errors: failures }), 1000));
  }
  connections.forEach((c, i) => c.start(pacing(i)));
  if (options.signal?.aborted === true) stop();
  await ran;
  options.signal?.removeEventListener('abort', onAbort);

  const durationMs = Math.max(measureEnd - measureFrom, 0);
  // Quiet seconds at the end still count as seconds of the run.
  const length = Math.min(lastSecond + 1, Math.max(seconds.length, Math.ceil(durationMs / 1000)));
  if (length > 0 && Number.isFinite(measureFrom)) secondAt(measureFrom + (length - 1) * 1000);
  if (countsOf !== undefined) counts.moveInto(countsOf.histogram);
  const histogram = newHistogram();
  for (const s of seconds) histogram.add(s.histogram);
  const statuses: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  statusCounts.forEach((n, status) => {
    if (n === 0) return;
    statuses[String(status)] = n;
    if (status >= 400) byStatus[String(status)] = n;
  });
  const result: LoadResult = {
    durationMs,
    requests: responses + failures,
    responses,
    bytesRead,
    histogram: encodeIntoCompressedBase64(histogram),
    minUs: responses > 0 ? minUs : 0,
    maxUs,
    statuses,
    byStatus,
    byKind,
    series: seconds.map((s) => ({
      requests: s.requests,
      responses: s.responses,
      errors: s.errors,
      histogram: encodeIntoCompressedBase64(s.histogram),
    })),
  };
  histogram.destroy();
  for (const s of seconds) s.histogram.destroy();
  return result;
}

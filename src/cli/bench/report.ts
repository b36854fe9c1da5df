/**
 * What a bench run measured, and its two renderings: a short text report for people and
 * one JSON object (snake_case, like the server's own JSON) for scripts.
 */
import type { Histogram } from 'hdr-histogram-js';

/** Transport-level failures, apart from HTTP error statuses. */
export type ErrorKind = 'connect_refused' | 'reset' | 'timeout' | 'closed' | 'invalid_response' | (string & {});

export interface LatencySummary {
  readonly min: number;
  readonly mean: number;
  readonly stdev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** One second of the measured time, all threads together. */
export interface SecondSummary {
  /** 1 for the first second. */
  readonly second: number;
  /** Responses plus transport errors completed in this second. */
  readonly requests: number;
  readonly errors: number;
  readonly latencyUs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface BenchResult {
  readonly url: string;
  readonly method: string;
  readonly connections: number;
  readonly threads: number;
  /** Requests in flight per connection. */
  readonly pipeline: number;
  /** The constant rate asked for (req/s, all threads); null for a closed loop. */
  readonly rate: number | null;
  /** Measured time (warm-up excluded), ms. */
  readonly durationMs: number;
  /** Responses plus transport errors in the measured time. */
  readonly requests: number;
  readonly responses: number;
  readonly requestsPerSecond: number;
  readonly bytesRead: number;
  /**
   * Microseconds, over every response (error statuses included); with a rate, from each
   * request's intended start.
   */
  readonly latencyUs: LatencySummary;
  /** Every status seen, by code. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: {
    readonly total: number;
    /** Responses with status ≥ 400. */
    readonly byStatus: Readonly<Record<string, number>>;
    readonly byKind: Readonly<Record<string, number>>;
  };
  readonly series: readonly SecondSummary[];
}

/** `min` and `max` are the exact extremes when known (a merged histogram keeps bucket bounds only). */
export function summarize(h: Histogram, min = h.minNonZeroValue, max = h.maxValue): LatencySummary {
  if (h.totalCount === 0) return Object.freeze({ min: 0, mean: 0, stdev: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  // Percentiles come back as the top of their bucket, which can exceed the largest value
  // actually recorded; a p99 above max would only confuse.
  const at = (p: number): number => Math.min(h.getValueAtPercentile(p), max);
  return Object.freeze({
    min,
    mean: Math.round(h.mean),
    stdev: Math.round(h.stdDeviation),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max,
  });
}

export function toJson(r: BenchResult): string {
  return JSON.stringify({
    url: r.url,
    method: r.method,
    connections: r.connections,
    threads: r.threads,
    pipeline: r.pipeline,
    rate: r.rate,
    duration_ms: Math.round(r.durationMs * 1000) / 1000,
    requests: r.requests,
    responses: r.responses,
    requests_per_second: Math.round(r.requestsPerSecond * 100) / 100,
    bytes_read: r.bytesRead,
    latency_us: r.latencyUs,
    statuses: r.statuses,
    errors: { total: r.errors.total, by_status: r.errors.byStatus, by_kind: r.errors.byKind },
    series: r.series.map((s) => ({ second: s.second, requests: s.requests, errors: s.errors, latency_us: s.latencyUs })),
  });
}

function us(v: number): string {
  if (v >= 1_000_000) return `${(v / 1_000_000).toFixed(2)}s`;
  if (v >= 1_000) return `${(v / 1_000).toFixed(2)}ms`;
  return `${v}µs`;
}

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function counts(rec: Readonly<Record<string, number>>): string {
  const parts = Object.entries(rec).map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

export function toText(r: BenchResult): string {
  const l = r.latencyUs;
  const secs = r.durationMs / 1000;
  const shape = [
    `${r.connections} connections`,
    r.threads > 1 ? `${r.threads} threads` : '',
    r.pipeline > 1 ? `pipeline ${r.pipeline}` : '',
    r.rate !== null ? `rate ${r.rate} req/s (latency from each request's intended start)` : '',
  ].filter((x) => x !== '');
  return [
    `${r.method} ${r.url}, ${shape.join(', ')}`,
    `  requests  ${r.requests} in ${secs.toFixed(2)}s, ${r.requestsPerSecond.toFixed(1)} req/s, ${bytes(r.bytesRead)} read`,
    `  latency   p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  max ${us(l.max)}  (mean ${us(l.mean)} ± ${us(l.stdev)})`,
    `  statuses  ${counts(r.statuses)}`,
    `  errors    ${r.errors.total} (by status: ${counts(r.errors.byStatus)}; by kind: ${counts(r.errors.byKind)})`,
    '',
  ].join('\n');
}

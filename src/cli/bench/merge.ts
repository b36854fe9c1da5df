/**
 * The shares of a bench run (one per thread) as one result: counts summed, HDR histograms
 * added bucket by bucket (exact), per-second series added second by second.
 */
import { build, decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LoadResult } from './load.js';
import { type BenchResult, type SecondSummary, summarize } from './report.js';

export interface RunShape {
  readonly url: string;
  readonly method: string;
  readonly connections: number;
  readonly threads: number;
  readonly pipeline: number;
  readonly rate: number | null;
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function merged(encoded: readonly string[]): Histogram {
  const h = build({ numberOfSignificantValueDigits: 3 });
  for (const e of encoded) {
    const part = decodeFromCompressedBase64(e);
    h.add(part);
    part.destroy();
  }
  return h;
}

export function mergeLoads(shape: RunShape, loads: readonly LoadResult[]): BenchResult {
  const statuses: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  let requests = 0;
  let responses = 0;
  let bytesRead = 0;
  let durationMs = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = 0;
  for (const l of loads) {
    requests += l.requests;
    responses += l.responses;
    bytesRead += l.bytesRead;
    // Shares run side by side: the run lasted as long as its longest share.
    durationMs = Math.max(durationMs, l.durationMs);
    if (l.responses > 0) minUs = Math.min(minUs, l.minUs);
    maxUs = Math.max(maxUs, l.maxUs);
    addCounts(statuses, l.statuses);
    addCounts(byStatus, l.byStatus);
    addCounts(byKind, l.byKind);
  }
  const histogram = merged(loads.map((l) => l.histogram));
  const latencyUs = summarize(histogram, Number.isFinite(minUs) ? minUs : 0, maxUs);
  histogram.destroy();

  const seconds = Math.max(0, ...loads.map((l) => l.series.length));
  const series: SecondSummary[] = [];
  for (let k = 0; k < seconds; k++) {
    const parts = loads.flatMap((l) => (k < l.series.length ? [l.series[k]] : []));
    const h = merged(parts.map((p) => p.histogram));
    const s = summarize(h);
    h.destroy();
    series.push(
      Object.freeze({
        second: k + 1,
        requests: parts.reduce((a, p) => a + p.requests, 0),
        errors: parts.reduce((a, p) => a + p.errors, 0),
        latencyUs: Object.freeze({ p50: s.p50, p99: s.p99, max: s.max }),
      }),
    );
  }

  const httpErrors = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const failures = requests - responses;
  return Object.freeze({
    ...shape,
    durationMs,
    requests,
    responses,
    requestsPerSecond: durationMs > 0 ? (requests * 1000) / durationMs : 0,
    bytesRead,
    latencyUs,
    statuses: Object.freeze(statuses),
    errors: Object.freeze({ total: failures + httpErrors, byStatus: Object.freeze(byStatus), byKind: Object.freeze(byKind) }),
    series: Object.freeze(series),
  });
}

/**
 * The event-loop lag gauges under prom-client's names (`nodejs_eventloop_lag_*_seconds`),
 * with their statistics computed at most once per `minIntervalMs` instead of at every
 * scrape. Reading a `monitorEventLoopDelay` histogram's standard deviation and percentiles
 * walks all of its buckets (≈ 0.3 ms a scrape, most of what /metrics costs); a dashboard
 * and a scraper polling ten times a second would otherwise spend that on every poll. Each
 * value then describes the delays since the previous refresh, as prom-client's do.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
type Stat = (typeof STATS)[number];

const HELP: Record<Stat, string> = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
};

/** Every metric this module registers (prom-client's own of these names must be removed first). */
export const EVENT_LOOP_LAG_METRICS: readonly string[] = [
  'nodejs_eventloop_lag_seconds',
  ...STATS.map((s) => `nodejs_eventloop_lag_${s}_seconds`),
];

export function registerEventLoopLag(registry: Registry, minIntervalMs = 1000): void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const values: Record<Stat, number> = { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 };
  let refreshedAt = Number.NEGATIVE_INFINITY;
  const refresh = (): void => {
    const now = performance.now();
    if (now - refreshedAt < minIntervalMs) return;
    refreshedAt = now;
    // An empty histogram reports min as 2^63 ns: keep the previous values instead.
    if (histogram.count === 0) return;
    values.min = histogram.min / 1e9;
    values.max = histogram.max / 1e9;
    values.mean = histogram.mean / 1e9;
    values.stddev = histogram.stddev / 1e9;
    values.p50 = histogram.percentile(50) / 1e9;
    values.p90 = histogram.percentile(90) / 1e9;
    values.p99 = histogram.percentile(99) / 1e9;
    histogram.reset();
  };
  // The plain lag gauge: how long a setImmediate queued at the scrape waited (seen by the next scrape).
  const lag = new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
    },
  });
  for (const stat of STATS) {
    new Gauge({
      name: `nodejs_eventloop_lag_${stat}_seconds`,
      help: HELP[stat],
      registers: [registry],
      collect() {
        refresh();
        this.set(values[stat]);
      },
    });
  }
}

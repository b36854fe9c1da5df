/**
 * The metrics every dhttp process publishes whatever its role: prom-client's default
 * Node metrics under the names the ecosystem's dashboards expect (`process_*`,
 * `nodejs_*`, no prefix), and `dhttp_build_info{version,node}`.
 *
 * prom-client also emits `nodejs_active_{handles,requests,resources}_total` as gauges,
 * which `promtool check metrics` rejects (a `_total` suffix promises a counter). They are
 * dropped: each is the sum over `type` of the per-type gauge of the same name without the
 * suffix (`sum without(type) (nodejs_active_handles)`).
 */
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

const NOT_PROMTOOL_CLEAN = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let version: string | undefined;

/** dhttp's version from its package.json (found above this module, compiled or not). */
export function dhttpVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  let dir = new URL('.', import.meta.url);
  // src/common/ or dist/src/common/: the package root is two or three levels up.
  for (let up = 0; up < 5; up++) {
    dir = new URL('..', dir);
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'dhttp' && typeof pkg.version === 'string') {
        version = pkg.version;
        break;
      }
    } catch {
      // No package.json at this level: keep climbing.
    }
  }
  return version;
}

/**
 * Node's default metrics are gathered at most this often; a scrape in between shows the
 * last values. Gathering them is most of a scrape: memory, CPU, heap spaces and open
 * descriptors are syscalls and /proc reads, and the event-loop delay statistics (stddev,
 * percentiles) walk every bucket of a histogram. A dashboard and a scraper polling ten
 * times a second then cost ≈ 0.3 ms each instead of ≈ 1 ms. The `nodejs_eventloop_lag_*`
 * statistics cover the delays since the previous gathering, as prom-client's always do.
 */
const DEFAULTS_REFRESH_MS = 1000;

/** Runs a metric's collect callback at most once per `ms` (prom-client calls it on every scrape). */
function throttleCollect(metric: object, ms: number): void {
  const m = metric as { collect?: (this: unknown) => unknown };
  const collect = m.collect;
  if (typeof collect !== 'function') return;
  let last = Number.NEGATIVE_INFINITY;
  m.collect = function (this: unknown) {
    const now = performance.now();
    if (now - last < ms) return undefined;
    last = now;
    return collect.call(this);
  };
}

export interface ProcessMetricsOptions {
  /** prom-client's default Node metrics (CPU, memory, event loop, GC). @default true */
  defaults?: boolean;
}

export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions = {}): void {
  if (options.defaults ?? true) {
    const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
    collectDefaultMetrics({ register: registry });
    for (const name of NOT_PROMTOOL_CLEAN) registry.removeSingleMetric(name);
    for (const metric of registry.getMetricsAsArray()) if (!before.has(metric.name)) throttleCollect(metric, DEFAULTS_REFRESH_MS);
  }
  const info = new Gauge({
    name: 'dhttp_build_info',
    help: 'Always 1; the labels say which dhttp and which Node run this process.',
    labelNames: ['version', 'node'],
    registers: [registry],
  });
  info.set({ version: dhttpVersion(), node: process.version }, 1);
}

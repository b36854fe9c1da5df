/**
 * Per-request metrics cheap enough for the hot path: observe() is one Map lookup, a few
 * additions and a bucket search over a dozen numbers. Nothing touches prom-client per
 * request; the totals are published through collectors that read them at scrape time.
 * Labels are values chosen by the caller from bounded sets (route patterns, worker ids),
 * never raw paths, so the number of series stays bounded.
 */
import { Counter, Histogram, type MetricType, type Registry } from 'prom-client';

/** Upper bounds in seconds, from a /ping (sub-millisecond) to a long /simulate. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/** One histogram series: non-cumulative counts per bucket (the last slot is +Inf), sum and count. */
export class BucketCounts {
  readonly #bounds: Float64Array;
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: Float64Array) {
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length + 1);
  }

  /** One sample, in the bounds' unit (seconds). */
  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.buckets[i]++;
    this.sum += value;
    this.count++;
  }
}

class RouteStats {
  /** status → count */
  readonly byStatus = new Map<number, number>();
  readonly latency: BucketCounts;

  constructor(bounds: Float64Array) {
    this.latency = new BucketCounts(bounds);
  }
}

type Values = Awaited<ReturnType<Histogram<string>['get']>>['values'];

export class HttpMetrics {
  readonly #bounds: Float64Array;
  readonly #routes = new Map<string, RouteStats>();

  constructor(buckets: readonly number[] = LATENCY_BUCKETS) {
    this.#bounds = Float64Array.from(buckets);
  }

  /** Records one finished request: `route` is a pattern label, `ms` its duration. */
  observe(route: string, status: number, ms: number): void {
    let r = this.#routes.get(route);
    if (r === undefined) this.#routes.set(route, (r = new RouteStats(this.#bounds)));
    r.byStatus.set(status, (r.byStatus.get(status) ?? 0) + 1);
    r.latency.observe(ms / 1000);
  }

  /** Requests counted so far, all routes. */
  get total(): number {
    let n = 0;
    for (const r of this.#routes.values()) n += r.latency.count;
    return n;
  }

  /**
   * Registers `<prefix>_http_requests_total{route,status}` and
   * `<prefix>_http_request_duration_seconds{route}` on `registry`.
   */
  register(registry: Registry, prefix: string): void {
    const routes = this.#routes;
    new Counter({
      name: `${prefix}_http_requests_total`,
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['route', 'status'],
      registers: [registry],
      collect() {
        // Counters only grow, so re-publishing the running totals is exact.
        this.reset();
        for (const [route, r] of routes) for (const [status, n] of r.byStatus) this.inc({ route, status }, n);
      },
    });
    registry.registerMetric(
      new SnapshotHistogram(
        `${prefix}_http_request_duration_seconds`,
        'HTTP request duration in seconds, by route pattern.',
        ['route'],
        this.#bounds,
        function* () {
          for (const [route, r] of routes) yield [{ route }, r.latency];
        },
      ),
    );
  }
}

// prom-client's typings declare MetricType as an enum it does not export at run time.
const HISTOGRAM_TYPE = 'histogram' as unknown as MetricType;

/** Where a SnapshotHistogram reads its series at scrape time: label values and counts. */
export type HistogramSource = () => Iterable<readonly [Record<string, string>, BucketCounts]>;

/**
 * A histogram whose samples are read from BucketCounts at scrape time. prom-client's
 * Histogram has no way to load precomputed buckets, so its output hooks are replaced:
 * the registry formats text from getForPromString() (untyped, preferred) or get().
 */
export class SnapshotHistogram extends Histogram<string> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: Float64Array;
  readonly #source: HistogramSource;

  constructor(name: string, help: string, labelNames: readonly string[], bounds: Float64Array, source: HistogramSource) {
    super({ name, help, labelNames: [...labelNames], buckets: [...bounds], registers: [] });
    this.#name = name;
    this.#help = help;
    this.#bounds = bounds;
    this.#source = source;
  }

  override get(): ReturnType<Histogram<string>['get']> {
    return this.getForPromString();
  }

  async getForPromString(): ReturnType<Histogram<string>['get']> {
    const values: Values = [];
    const name = this.#name;
    for (const [labels, counts] of this.#source()) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += counts.buckets[i];
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: this.#bounds[i] }, value: acc });
      }
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: counts.count });
      values.push({ metricName: `${name}_sum`, labels, value: counts.sum });
      values.push({ metricName: `${name}_count`, labels, value: counts.count });
    }
    return { name, help: this.#help, type: HISTOGRAM_TYPE, aggregator: 'sum', collect: () => undefined, values };
  }
}

/**
 * Per-request HTTP metrics cheap enough for the hot path: observe() is one Map lookup,
 * a few additions and a bucket search over a dozen numbers. Nothing touches prom-client
 * per request; the totals are published through collectors that read them at scrape
 * time. Route labels are route patterns chosen by the caller (never raw paths), so the
 * number of series stays bounded.
 */
import { Counter, Histogram, type MetricType, type Registry } from 'prom-client';

/** Upper bounds in seconds, from a /ping (sub-millisecond) to a long /simulate. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

class RouteStats {
  /** status → count */
  readonly byStatus = new Map<number, number>();
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(bucketCount: number) {
    this.buckets = new Float64Array(bucketCount + 1);
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
    if (r === undefined) this.#routes.set(route, (r = new RouteStats(this.#bounds.length)));
    r.byStatus.set(status, (r.byStatus.get(status) ?? 0) + 1);
    const s = ms / 1000;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && s > bounds[i]) i++;
    r.buckets[i]++;
    r.sum += s;
    r.count++;
  }

  /** Requests counted so far, all routes. */
  get total(): number {
    let n = 0;
    for (const r of this.#routes.values()) n += r.count;
    return n;
  }

  /**
   * Registers `<prefix>_http_requests_total{route,status}` and
   * `<prefix>_http_request_duration_seconds{route}` on `registry`.
   */
  register(registry: Registry, prefix: string): void {
    const routes = this.#routes;
    const bounds = this.#bounds;
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
    registry.registerMetric(new SnapshotHistogram(`${prefix}_http_request_duration_seconds`, routes, bounds));
  }
}

/**
 * A histogram whose samples are read from RouteStats at scrape time. prom-client's
 * Histogram has no way to load precomputed buckets, so its output hooks are replaced:
 * the registry formats text from getForPromString() (untyped, preferred) or get().
 */
const DURATION_HELP = 'HTTP request duration in seconds, by route pattern.';
// prom-client's typings declare MetricType as an enum it does not export at run time.
const HISTOGRAM_TYPE = 'histogram' as unknown as MetricType;

class SnapshotHistogram extends Histogram<'route'> {
  readonly #name: string;
  readonly #routes: Map<string, RouteStats>;
  readonly #bounds: Float64Array;

  constructor(name: string, routes: Map<string, RouteStats>, bounds: Float64Array) {
    super({ name, help: DURATION_HELP, labelNames: ['route'], buckets: [...bounds], registers: [] });
    this.#name = name;
    this.#routes = routes;
    this.#bounds = bounds;
  }

  override get(): ReturnType<Histogram<'route'>['get']> {
    return this.getForPromString();
  }

  async getForPromString(): ReturnType<Histogram<'route'>['get']> {
    const values: Values = [];
    const name = this.#name;
    for (const [route, r] of this.#routes) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += r.buckets[i];
        values.push({ metricName: `${name}_bucket`, labels: { route, le: this.#bounds[i] }, value: acc });
      }
      values.push({ metricName: `${name}_bucket`, labels: { route, le: '+Inf' }, value: r.count });
      values.push({ metricName: `${name}_sum`, labels: { route }, value: r.sum });
      values.push({ metricName: `${name}_count`, labels: { route }, value: r.count });
    }
    return { name, help: DURATION_HELP, type: HISTOGRAM_TYPE, aggregator: 'sum', collect: () => undefined, values };
  }
}

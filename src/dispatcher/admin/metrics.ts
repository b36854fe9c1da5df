/**
 * The dispatcher's metrics: Prometheus families, the "right now" numbers and the
 * per-second history of /status. Nothing here touches prom-client per request: requests
 * go into HttpMetrics/RecentStats (plain counters), workers' answers into WorkerTraffic,
 * forwarding events into the event sink's fields, and upstream state is read from the
 * upstreams - all published by collect() callbacks at scrape time. A timer samples the
 * history once a second (the health checker wakes the process as often anyway).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { HttpMetrics } from '../../common/http-metrics.js';
import { registerProcessMetrics } from '../../common/process-metrics.js';
import type { EventLogger } from '../logger.js';
import type { JobBoard } from '../jobs/job-registry.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { EventSink, type ForwardCounts } from './event-sink.js';
import { registerJobMetrics } from './job-metrics.js';
import { RecentStats } from './recent-stats.js';
import { StatusHistory, type WorkerReading } from './status-history.js';
import { LINEAGE_DEFAULT_CAPACITY, UpstreamLineage } from './upstream-lineage.js';
import { registerUpstreamMetrics } from './upstream-metrics.js';
import { WorkerTraffic } from './worker-traffic.js';

export interface DispatcherMetricsOptions {
  jobs?: JobBoard;
  /** Process metrics (CPU, memory, event loop, GC). @default true */
  defaultMetrics?: boolean;
  /** Seconds of per-second history kept for /status?since= and the dashboard. @default 900 */
  historySeconds?: number;
  /** Removed workers whose ID is remembered, to carry their counters to their next life. @default 1024 */
  lineageCapacity?: number;
}

export const METRICS_DEFAULTS = Object.freeze({ historySeconds: 900, lineageCapacity: LINEAGE_DEFAULT_CAPACITY });

export class DispatcherMetrics {
  readonly http = new HttpMetrics();
  readonly recent = new RecentStats();
  readonly registry = new Registry();
  readonly traffic = new WorkerTraffic();
  /** Stable identities: a worker's next life continues its counters (and is listed while gone). */
  readonly lineage: UpstreamLineage;
  readonly history: StatusHistory;
  readonly #sink: EventSink;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(set: UpstreamSet, options: DispatcherMetricsOptions = {}) {
    const registers = [this.registry];
    this.lineage = new UpstreamLineage(set, options.lineageCapacity ?? METRICS_DEFAULTS.lineageCapacity);
    this.history = new StatusHistory(options.historySeconds ?? METRICS_DEFAULTS.historySeconds);
    this.#sink = new EventSink(set, options.jobs);
    this.http.register(this.registry, 'dhttp_dispatcher');
    registerProcessMetrics(this.registry, { defaults: options.defaultMetrics ?? true });
    registerUpstreamMetrics(this.registry, set, () => this.lineage.listed(), this.traffic);
    if (options.jobs !== undefined) registerJobMetrics(this.registry, options.jobs);

    const events = this.#sink.counts;
    const eventCounter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    eventCounter('dhttp_dispatcher_retries_total', 'Requests retried after a failed attempt.', () => events.retries);
    eventCounter('dhttp_dispatcher_holds_total', 'Requests held because no worker was available.', () => events.holds);
    eventCounter(
      'dhttp_dispatcher_no_worker_total',
      'Held requests answered 503 (no worker within --try-duration).',
      () => events.noWorker,
    );
    eventCounter(
      'dhttp_dispatcher_upstream_failures_total',
      'Requests that failed on every eligible worker (502/504).',
      () => events.upstreamFailures,
    );
    const recent = this.recent;
    new Gauge({
      name: 'dhttp_dispatcher_in_flight_requests',
      help: 'Requests being handled now.',
      registers,
      collect() {
        this.set(recent.inFlight);
      },
    });
    this.#schedule();
  }

  /** Forwarding events counted from the log events (see event-sink.ts). */
  get events(): ForwardCounts {
    return this.#sink.counts;
  }

  /** The event logger to hand to the forwarder, health checker and jobs: `inner` behind the counting. */
  eventLogger(inner: EventLogger): EventLogger {
    return this.#sink.wrap(inner);
  }

  /**
   * The forwarder's attempts (`dhttp_dispatcher_forward_attempts_total{outcome}`: answered
   * or retried on another try) and those pipelined with others on one worker connection,
   * read from `source` at scrape time.
   */
  /** `dhttp_tunnels_open` and `dhttp_tunnels_opened_total`: Upgrade tunnels through the dispatcher. */
  registerTunnels(source: { readonly openCount: number; readonly opened: number }): void {
    new Gauge({
      name: 'dhttp_tunnels_open',
      help: 'Upgrade tunnels (WebSockets) open through the dispatcher now.',
      registers: [this.registry],
      collect() {
        this.set(source.openCount);
      },
    });
    new Counter({
      name: 'dhttp_tunnels_opened_total',
      help: 'Upgrade tunnels opened through the dispatcher (a worker answered 101).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.opened);
      },
    });
  }

  registerForwarder(source: { readonly attempts: number; readonly retried: number; readonly pipelined: number }): void {
    new Counter({
      name: 'dhttp_dispatcher_pipelined_total',
      help: 'Forwarded requests for targets known to be answered quickly, sent together with the others of their event-loop turn on one worker connection (HTTP/1.1 pipelining).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.pipelined);
      },
    });
    new Counter({
      name: 'dhttp_dispatcher_forward_attempts_total',
      help: 'Attempts to forward a request to a worker, by outcome: done (answered, or failed for good), or retried (failed and tried again).',
      labelNames: ['outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ outcome: 'done' }, source.attempts - source.retried);
        this.inc({ outcome: 'retried' }, source.retried);
      },
    });
  }

  /** One finished request: `route` is a bounded label ('workers', 'forward', 'jobs/montecarlo'…). */
  observe(route: string, status: number, ms: number): void {
    this.http.observe(route, status, ms);
    this.recent.record(status, ms);
  }

  /**
   * One answer of a worker, for the per-worker status-class, byte and latency series: its
   * status, the time from sending the request to its response head (ms), and the request
   * and response body bytes that passed. Bound, so the proxy can take it as a callback.
   */
  readonly upstreamAnswered = (upstream: Upstream, status: number, headMs: number, bytesIn: number, bytesOut: number): void => {
    this.traffic.record(upstream.id, status, headMs, bytesIn, bytesOut);
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** One history sample (the timer calls it each second; tests may call it directly). */
  sample(now = Date.now()): void {
    const second = this.recent.roll(now);
    const readings: WorkerReading[] = this.lineage.listed().map((u) => ({
      id: u.id,
      completed: u.completed,
      errors: u.failed + this.traffic.errors5xx(u.id),
      load: u.load,
      cpu: u.reportedCpu,
      rss: u.reportedRss,
      active: u.available,
    }));
    this.history.add(second, this.recent.inFlight, readings);
    this.#sink.tick(second);
    this.traffic.retain(this.lineage.knownIds());
  }

  /** Stops the sampler and the lineage's listeners. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.lineage.close();
  }

  /** The next sample at the next whole second, so samples line up with the clock. */
  #schedule(): void {
    const untilNext = 1000 - (Date.now() % 1000);
    this.#timer = setTimeout(
      () => {
        if (this.#closed) return;
        this.sample();
        this.#schedule();
      },
      // A timer that fired a hair early must not take the same second twice.
      untilNext < 100 ? untilNext + 1000 : untilNext,
    );
    this.#timer.unref();
  }
}

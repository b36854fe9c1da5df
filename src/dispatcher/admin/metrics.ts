/**
 * The dispatcher's Prometheus metrics. Nothing here touches prom-client per request:
 * requests go into HttpMetrics/RecentStats (plain counters), forwarding events into
 * plain fields, and upstream state is read from the UpstreamSet - all published by
 * collect() callbacks at scrape time.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { HttpMetrics } from '../../common/http-metrics.js';
import type { EventLogger } from '../logger.js';
import type { JobRegistry } from '../jobs/job-registry.js';
import { RecentStats } from './recent-stats.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';

/** Forwarding events counted from the forwarder's log events (see countingLogger). */
export interface ForwardCounts {
  retries: number;
  holds: number;
  noWorker: number;
  upstreamFailures: number;
}

export interface DispatcherMetricsOptions {
  jobs?: JobRegistry;
  /** Process metrics (CPU, memory, event loop, GC). @default true */
  defaultMetrics?: boolean;
}

export class DispatcherMetrics {
  readonly http = new HttpMetrics();
  readonly recent = new RecentStats();
  readonly events: ForwardCounts = { retries: 0, holds: 0, noWorker: 0, upstreamFailures: 0 };
  readonly registry = new Registry();

  constructor(set: UpstreamSet, options: DispatcherMetricsOptions = {}) {
    const registers = [this.registry];
    this.http.register(this.registry, 'dhttp_dispatcher');
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    registerUpstreamMetrics(this.registry, set);

    const events = this.events;
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
    eventCounter('dhttp_dispatcher_retries_total', 'Requests retried on another worker.', () => events.retries);
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
    const jobs = options.jobs;
    new Gauge({
      name: 'dhttp_dispatcher_jobs_running',
      help: 'Parallel jobs in progress.',
      registers,
      collect() {
        this.set(jobs?.list().filter((j) => j.state === 'running' || j.state === 'merging').length ?? 0);
      },
    });
  }

  /**
   * The forwarder's attempts (`dhttp_dispatcher_forward_attempts_total{outcome}`: answered
   * or retried on another try) and those pipelined with others on one worker connection,
   * read from `source` at scrape time.
   */
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

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function registerUpstreamMetrics(registry: Registry, set: UpstreamSet): void {
  const registers = [registry];
  const labelNames = ['id', 'address'] as const;
  type Read = (u: Upstream) => number;
  // Rebuilt at each scrape so a removed worker's series disappear.
  const gauge = (name: string, help: string, read: Read): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const u of set.list()) this.set({ id: u.id, address: u.address }, read(u));
      },
    });
  };
  const counter = (name: string, help: string, read: Read): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const u of set.list()) this.inc({ id: u.id, address: u.address }, read(u));
      },
    });
  };
  gauge('dhttp_upstream_active', '1 while the worker passes health checks (and is not draining).', (u) => (u.available ? 1 : 0));
  gauge('dhttp_upstream_load', 'Requests in flight to the worker.', (u) => u.load);
  counter('dhttp_upstream_completed_total', 'Requests the worker answered.', (u) => u.completed);
  counter('dhttp_upstream_failed_total', 'Requests that failed on the worker.', (u) => u.failed);
  gauge('dhttp_upstream_latency_seconds', 'Moving average of time to response headers.', (u) => u.latency / 1000);
  gauge('dhttp_upstream_consecutive_failures', 'Failed health checks in a row.', (u) => u.consecutiveFailures);
  new Gauge({
    name: 'dhttp_upstreams',
    help: 'Known workers by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const active = set.available().length;
      this.set({ state: 'active' }, active);
      this.set({ state: 'inactive' }, set.size - active);
    },
  });
}

/**
 * Wraps the event sink of the forwarder and health checker: counts the events that
 * have a metric, then passes every line on unchanged. This way the forwarder needs no
 * metrics dependency - its log events are the single source of both.
 */
export function countingLogger(inner: EventLogger, counts: ForwardCounts): EventLogger {
  const count = (obj: object): void => {
    switch ((obj as { event?: unknown }).event) {
      case 'retry':
        counts.retries++;
        break;
      case 'hold':
        counts.holds++;
        break;
      case 'no_worker':
        counts.noWorker++;
        break;
      case 'upstream_failed':
        counts.upstreamFailures++;
        break;
    }
  };
  return {
    info: (obj, msg) => inner.info(obj, msg),
    warn: (obj, msg) => {
      count(obj);
      inner.warn(obj, msg);
    },
    error: (obj, msg) => {
      count(obj);
      inner.error(obj, msg);
    },
  };
}

/**
 * The worker's Prometheus registry: the process metrics every dhttp process has
 * (`process_*`, `nodejs_*`, `dhttp_build_info`), the per-request HTTP metrics, and gauges
 * of the pool and the server read at scrape time. Every series carries `worker="<id>"`, so
 * the workers of one machine stay apart when scraped through the dispatcher.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { HttpMetrics } from '../common/http-metrics.js';
import { registerProcessMetrics } from '../common/process-metrics.js';
import type { ComputePool } from './compute-pool.js';
import type { WorkerStats } from './context.js';

export interface WorkerMetrics {
  readonly http: HttpMetrics;
  readonly registry: Registry;
  text(): Promise<string>;
}

export function createWorkerMetrics(pool: ComputePool, stats: WorkerStats, id: string): WorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker: id });
  registerProcessMetrics(registry);
  const http = new HttpMetrics();
  http.register(registry, 'dhttp_worker');
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('dhttp_worker_pool_threads', 'Compute pool threads.', () => pool.stats().threads);
  gauge('dhttp_worker_pool_active', 'Compute tasks running.', () => pool.stats().active);
  gauge('dhttp_worker_pool_queued', 'Compute tasks waiting for a thread.', () => pool.stats().queued);
  new Counter({
    name: 'dhttp_worker_pool_tasks_completed_total',
    help: 'Compute tasks finished (any outcome) since start.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(pool.stats().completed);
    },
  });
  gauge('dhttp_worker_open_connections', 'Open client connections.', () => stats.connections());
  gauge('dhttp_worker_websockets_open', 'Open /ws/echo WebSockets.', () => stats.websockets());
  // The scrape itself is in flight; it is not load.
  gauge('dhttp_worker_in_flight_requests', 'Requests being handled.', () => Math.max(0, stats.inFlight - 1));
  return { http, registry, text: () => registry.metrics() };
}

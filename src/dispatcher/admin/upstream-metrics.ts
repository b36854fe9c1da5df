/**
 * The per-worker families of the dispatcher's /metrics. Every series is labelled by the
 * worker's stable `id` only, so a restarted worker (same ID, new address and process)
 * continues its series; the address is the value of an info metric,
 * `dhttp_upstream_info{id,address} 1`. Series are rebuilt at each scrape from the listed
 * workers (live ones, and those gone while serving until they return), so a worker that
 * left on purpose stops being published.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { SnapshotHistogram } from '../../common/http-metrics.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { STATUS_CLASSES, type WorkerTotals, type WorkerTraffic } from './worker-traffic.js';

export function registerUpstreamMetrics(
  registry: Registry,
  set: UpstreamSet,
  listed: () => readonly Upstream[],
  traffic: WorkerTraffic,
): void {
  const registers = [registry];
  type Read = (u: Upstream) => number;
  const gauge = (name: string, help: string, read: Read): void => {
    new Gauge({
      name,
      help,
      labelNames: ['id'],
      registers,
      collect() {
        this.reset();
        for (const u of listed()) this.set({ id: u.id }, read(u));
      },
    });
  };
  const counter = (name: string, help: string, read: Read): void => {
    new Counter({
      name,
      help,
      labelNames: ['id'],
      registers,
      collect() {
        // Counters only grow (carried across a worker's lives), so re-publishing is exact.
        this.reset();
        for (const u of listed()) this.inc({ id: u.id }, read(u));
      },
    });
  };
  new Gauge({
    name: 'dhttp_upstream_info',
    help: 'Always 1: where the worker with this id is now (its address changes when it restarts).',
    labelNames: ['id', 'address'],
    registers,
    collect() {
      this.reset();
      for (const u of listed()) this.set({ id: u.id, address: u.address }, 1);
    },
  });
  gauge('dhttp_upstream_active', '1 while the worker passes health checks (and is not draining).', (u) => (u.available ? 1 : 0));
  gauge('dhttp_upstream_load', 'Requests in flight to the worker.', (u) => u.load);
  counter('dhttp_upstream_completed_total', 'Requests the worker answered (any status).', (u) => u.completed);
  counter('dhttp_upstream_failed_total', 'Requests that failed on the worker (no usable answer).', (u) => u.failed);
  counter(
    'dhttp_upstream_restarts_total',
    'Times the worker came back as a new process (a restart seen by dhttp start, a new address, or a new start time on /ping).',
    (u) => u.restarts,
  );
  counter('dhttp_upstream_down_seconds_total', 'Seconds the worker has been unavailable (down or gone) in all.', (u) => u.downSeconds());
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
      this.set({ state: 'inactive' }, listed().length - active);
    },
  });
  registerTrafficMetrics(registry, listed, traffic);
}

/** The families fed by the proxy's reports (WorkerTraffic). */
function registerTrafficMetrics(registry: Registry, listed: () => readonly Upstream[], traffic: WorkerTraffic): void {
  const registers = [registry];
  const each = function* (): Generator<[string, WorkerTotals]> {
    for (const u of listed()) {
      const t = traffic.get(u.id);
      if (t !== undefined) yield [u.id, t];
    }
  };
  new Counter({
    name: 'dhttp_upstream_responses_total',
    help: 'Answers of the worker by status class.',
    labelNames: ['id', 'class'],
    registers,
    collect() {
      this.reset();
      for (const [id, t] of each()) STATUS_CLASSES.forEach((cls, i) => this.inc({ id, class: cls }, t.classes[i]));
    },
  });
  new Counter({
    name: 'dhttp_upstream_request_bytes_total',
    help: 'Request body bytes sent to the worker.',
    labelNames: ['id'],
    registers,
    collect() {
      this.reset();
      for (const [id, t] of each()) this.inc({ id }, t.bytesIn);
    },
  });
  new Counter({
    name: 'dhttp_upstream_response_bytes_total',
    help: 'Response body bytes received from the worker.',
    labelNames: ['id'],
    registers,
    collect() {
      this.reset();
      for (const [id, t] of each()) this.inc({ id }, t.bytesOut);
    },
  });
  registry.registerMetric(
    new SnapshotHistogram(
      'dhttp_upstream_response_head_seconds',
      'Time from sending a request to the worker to its response head, seconds.',
      ['id'],
      traffic.bounds,
      function* () {
        for (const [id, t] of each()) yield [{ id }, t.latency];
      },
    ),
  );
}

/** `/status`: the JSON summary the dashboard polls (SPEC §5). */
import { compressionOf } from '../../server/compress.js';
import type { Router } from '../../server/router.js';
import type { DispatcherContext } from '../context.js';
import type { JobProgress } from '../jobs/job-registry.js';
import type { RecentSnapshot } from './recent-stats.js';

export interface DispatcherStatus extends RecentSnapshot {
  uptime_seconds: number;
  timestamp: string;
  pid: number;
  balance: string;
  workers: { total: number; active: number };
  forwarding: { retries: number; holds: number; no_worker: number; upstream_failures: number };
  jobs: JobProgress[];
}

export function statusOf(ctx: DispatcherContext): DispatcherStatus {
  const now = Date.now();
  const e = ctx.metrics.events;
  return {
    uptime_seconds: Math.round((now - ctx.startedAt) / 100) / 10,
    timestamp: new Date(now).toISOString(),
    pid: process.pid,
    balance: ctx.config.balance,
    workers: { total: ctx.upstreams.size, active: ctx.upstreams.available().length },
    ...ctx.metrics.recent.snapshot(now),
    forwarding: { retries: e.retries, holds: e.holds, no_worker: e.noWorker, upstream_failures: e.upstreamFailures },
    jobs: ctx.jobs.list(),
  };
}

export function statusRoutes(router: Router, ctx: DispatcherContext): void {
  const compression = compressionOf(ctx.config);
  router.get('/status', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    return compression.json(req, res, 200, statusOf(ctx));
  });
}

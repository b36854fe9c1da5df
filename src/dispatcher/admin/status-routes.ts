/**
 * `/status`: the JSON summary the dashboard polls (SPEC §5). Plain `/status` is the small
 * "right now" answer (cheap enough to poll often); `/status?since=<unix ms>` adds what
 * happened after that instant: the per-second history samples (at most --status-history
 * of them) and the finished jobs (at most --jobs-history). The dashboard asks with
 * `since=0` once, then with the time of the newest sample it holds.
 */
import { compressionOf } from '../../server/compress.js';
import type { Router } from '../../server/router.js';
import { intParam } from '../../jobs/params.js';
import type { DispatcherContext } from '../context.js';
import type { FinishedJob, JobProgress } from '../jobs/job-registry.js';
import type { RecentSnapshot } from './recent-stats.js';
import type { HistoryJSON } from './status-history.js';

/** Seconds over which /status reports latency percentiles. */
export const LATENCY_WINDOW_SECONDS = 10;

export interface DispatcherStatus extends RecentSnapshot {
  uptime_seconds: number;
  timestamp: string;
  /** Unix ms of `timestamp`. */
  now_ms: number;
  pid: number;
  balance: string;
  workers: { total: number; active: number };
  forwarding: { retries: number; holds: number; no_worker: number; upstream_failures: number };
  jobs: JobProgress[];
  /** Only with `since`: finished jobs newer than it, oldest first. */
  finished_jobs?: FinishedJob[];
  /** Only with `since`: per-second samples newer than it. */
  history?: HistoryJSON;
}

export function statusOf(ctx: DispatcherContext, sinceMs?: number): DispatcherStatus {
  const now = Date.now();
  const e = ctx.metrics.events;
  const status: DispatcherStatus = {
    uptime_seconds: Math.round((now - ctx.startedAt) / 100) / 10,
    timestamp: new Date(now).toISOString(),
    now_ms: now,
    pid: process.pid,
    balance: ctx.config.balance,
    workers: { total: ctx.upstreams.size, active: ctx.upstreams.available().length },
    ...ctx.metrics.recent.snapshot(now, LATENCY_WINDOW_SECONDS),
    forwarding: { retries: e.retries, holds: e.holds, no_worker: e.noWorker, upstream_failures: e.upstreamFailures },
    jobs: ctx.jobs.list(),
  };
  if (sinceMs !== undefined) {
    status.finished_jobs = ctx.jobs.finished(sinceMs);
    status.history = ctx.metrics.history.since(sinceMs);
  }
  return status;
}

export function statusRoutes(router: Router, ctx: DispatcherContext): void {
  const compression = compressionOf(ctx.config);
  router.get('/status', (req, res) => {
    const since = req.query.has('since') ? intParam(req, 'since', { min: 0, max: Number.MAX_SAFE_INTEGER }) : undefined;
    res.setHeader('Cache-Control', 'no-store');
    return compression.json(req, res, 200, statusOf(ctx, since));
  });
}

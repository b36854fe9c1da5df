/**
 * What the dispatcher's routes (and the parallel-jobs module) share. app.ts builds it
 * once; routes read it. Policy objects (selection, retry) are in here so jobs use the
 * same ones as plain forwarding.
 */
import type { DispatcherConfig } from '../config/types.js';
import type { Router } from '../server/router.js';
import type { Forwarder } from './proxy/forward.js';
import type { HealthChecker } from './health/health.js';
import type { JobBoard } from './jobs/job-registry.js';
import type { EventLogger } from './logger.js';
import type { DispatcherMetrics } from './admin/metrics.js';
import type { SelectionPolicy } from './balance/selection.js';
import type { UpstreamSet } from './upstreams/upstream-set.js';

export interface DispatcherContext {
  readonly config: DispatcherConfig;
  readonly upstreams: UpstreamSet;
  readonly policy: SelectionPolicy;
  readonly forwarder: Forwarder;
  readonly health: HealthChecker;
  /** Running jobs, listed by /status; jobs report into it with `begin()`. */
  readonly jobs: JobBoard;
  readonly metrics: DispatcherMetrics;
  /** Structured events (pino in production); counted into metrics where they have one. */
  readonly logger: EventLogger;
  /** Date.now() at start. */
  readonly startedAt: number;
}

/**
 * The hook of the parallel-jobs module: adds its routes (GET /montecarlo, POST and GET
 * /countwords) to the dispatcher's router. Routes it adds are answered by the dispatcher,
 * never forwarded, and get the metrics label `jobs/<path>`.
 */
export type JobRoutes = (router: Router, ctx: DispatcherContext) => void;

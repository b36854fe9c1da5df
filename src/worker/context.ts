/**
 * What route handlers share: the validated config, the compute pool, and the live
 * counters of the worker process. Routes read it; app.ts owns and updates it.
 */
import type { WorkerConfig } from '../config/types.js';
import type { ResponseCompression } from '../server/compress.js';
import type { Handler } from '../server/types.js';
import type { ComputePool } from './compute-pool.js';

export interface WorkerStats {
  /** Requests whose handler is running, /ping excluded (its own request would count). */
  inFlight: number;
  readonly startedAt: number;
  connections(): number;
  requestsServed(): number;
  /** Open /ws/echo WebSockets (each also counts in inFlight while open). */
  websockets(): number;
}

export interface WorkerContext {
  readonly config: WorkerConfig;
  /** config.id or `w-<pid>`; sent as X-Worker-Id on every response. */
  readonly id: string;
  readonly pool: ComputePool;
  readonly stats: WorkerStats;
  /** `--compress`: routes whose answers may exceed the threshold send through it. */
  readonly compression: ResponseCompression;
  /** The Prometheus text of /metrics. */
  metricsText(): Promise<string>;
  /** The /help document (built from every route's doc). */
  help(): unknown;
}

/** One endpoint: how it is routed, and how /help describes it. */
export interface RouteDef {
  readonly methods: readonly string[];
  readonly path: string;
  readonly handler: Handler;
  /** Body limit in bytes; absent = the engine's --max-body. */
  readonly maxBody?: number;
  readonly doc: {
    readonly summary: string;
    /** Parameter → what is allowed, ranges included. */
    readonly params?: Readonly<Record<string, string>>;
    readonly body?: string;
  };
}

export type RouteGroup = (ctx: WorkerContext) => RouteDef[];

/**
 * The reverse proxy: one client request → one worker, in phases (after Pingora's proxy
 * lifecycle): take the body (buffered up to --proxy-buffer, see request-body.ts), pick a
 * worker, relay the attempt's answer (relay-handler.ts), and on a failure ask the one retry
 * rule (retry.ts) with the request's one budget and set of tried workers - holding while
 * no worker is available (forward-run.ts). Requests without body for targets known to be
 * quick are pipelined with the others of their event-loop turn (quick-targets.ts,
 * client/pool.ts).
 */
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import type { SelectionPolicy } from '../balance/selection.js';
import { markConnectFailure } from '../health/health.js';
import { type EventLogger, NOOP_LOGGER } from '../logger.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { ForwardRun } from './forward-run.js';
import { QuickTargets } from './quick-targets.js';
import { PROXY_BODY_DEFAULTS, type ProxyBody, type ProxyBodyOptions, takeBody } from './request-body.js';
import { type Clock, RETRY_DEFAULTS, RetryBudget, type RetryOptions } from './retry.js';

export interface ForwarderOptions extends RetryOptions {
  /** The workers (their connection pools are configured on the set). */
  upstreams: UpstreamSet;
  policy: SelectionPolicy;
  /** Max wait for a worker's response head, and max idle time between its body bytes. @default 60000 */
  upstreamTimeoutMs?: number;
  /** How request bodies are taken from clients (see request-body.ts). */
  body?: Partial<ProxyBodyOptions>;
  /** Passive health: called on a connect failure. @default markConnectFailure (marks it down) */
  onConnectFailure?: (upstream: Upstream, err: unknown) => void;
  /** Retry-After of the 503 sent when no worker became available. @default 1 */
  retryAfterSeconds?: number;
  /** An attempt's answer was relayed whole: for per-worker metrics. */
  onAnswered?: (upstream: Upstream, status: number, headMs: number, bytesIn: number, bytesOut: number) => void;
  /** A request's forwarding ended, answered or not (for the access log). */
  onFinished?: (req: HttpRequest, res: HttpResponse, outcome: ForwardOutcome) => void;
  logger?: EventLogger;
  /** For tests. @default performance.now */
  clock?: Clock;
}

/** How a request's forwarding went, for the access log. */
export interface ForwardOutcome {
  /** The worker that answered (or was tried last); null when none was. */
  readonly worker: string | null;
  /** Attempts after the first. */
  readonly retries: number;
  /** From the request going to the worker to the end of its answer; null without an answer. */
  readonly upstreamMs: number | null;
  /** Request body bytes taken from the client. */
  readonly bytesIn: number;
  /** The status of the error the run ended with (the engine answers it next); undefined when it relayed an answer. */
  readonly errorStatus: number | undefined;
}

export const FORWARD_DEFAULTS = Object.freeze({ ...RETRY_DEFAULTS, upstreamTimeoutMs: 60_000, retryAfterSeconds: 1 });

/** What a request's run reads of its forwarder (settings, shared state, counters). */
export interface ForwarderCore {
  readonly upstreams: UpstreamSet;
  readonly policy: SelectionPolicy;
  readonly retry: Required<RetryOptions>;
  readonly timeoutMs: number;
  readonly retryAfter: string;
  readonly quick: QuickTargets;
  readonly counts: { attempts: number; retried: number; pipelined: number };
  readonly log: EventLogger;
  readonly onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly onAnswered: (upstream: Upstream, status: number, headMs: number, bytesIn: number, bytesOut: number) => void;
  readonly onFinished: ((req: HttpRequest, res: HttpResponse, outcome: ForwardOutcome) => void) | undefined;
  takeBody(req: HttpRequest): Promise<ProxyBody>;
  newBudget(): RetryBudget;
}

export class Forwarder implements ForwarderCore {
  readonly upstreams: UpstreamSet;
  readonly policy: SelectionPolicy;
  readonly retry: Required<RetryOptions>;
  readonly timeoutMs: number;
  readonly retryAfter: string;
  /** What the workers answer quickly (the requests that may be pipelined). */
  readonly quick = new QuickTargets();
  /** Attempts made, attempts that failed and were retried, attempts pipelined. */
  readonly counts = { attempts: 0, retried: 0, pipelined: 0 };
  readonly log: EventLogger;
  readonly onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly onAnswered: (upstream: Upstream, status: number, headMs: number, bytesIn: number, bytesOut: number) => void;
  readonly onFinished: ((req: HttpRequest, res: HttpResponse, outcome: ForwardOutcome) => void) | undefined;
  readonly #body: ProxyBodyOptions;
  readonly #clock: Clock | undefined;

  constructor(options: ForwarderOptions) {
    this.upstreams = options.upstreams;
    this.policy = options.policy;
    this.retry = Object.freeze({
      retries: options.retries ?? FORWARD_DEFAULTS.retries,
      tryDurationMs: options.tryDurationMs ?? FORWARD_DEFAULTS.tryDurationMs,
      tryIntervalMs: options.tryIntervalMs ?? FORWARD_DEFAULTS.tryIntervalMs,
    });
    this.timeoutMs = options.upstreamTimeoutMs ?? FORWARD_DEFAULTS.upstreamTimeoutMs;
    this.#body = { ...PROXY_BODY_DEFAULTS, ...options.body };
    this.retryAfter = String(options.retryAfterSeconds ?? FORWARD_DEFAULTS.retryAfterSeconds);
    this.onConnectFailure = options.onConnectFailure ?? markConnectFailure;
    this.onAnswered = options.onAnswered ?? (() => {});
    this.onFinished = options.onFinished;
    this.log = options.logger ?? NOOP_LOGGER;
    this.#clock = options.clock;
  }

  /**
   * Forwards `req` and streams the answer into `res`. Rejects with an HttpError (502, 504,
   * 503, or the client's own 4xx body error) while nothing was sent; if the worker fails
   * after the answer began, rejects with a 502 for the engine to log and cut the client's
   * connection. Resolves quietly when the client went away.
   */
  forward(req: HttpRequest, res: HttpResponse): Promise<void> {
    return new Promise<void>((resolve, reject) => new ForwardRun(this, req, res, resolve, reject).start());
  }

  takeBody(req: HttpRequest): Promise<ProxyBody> {
    return takeBody(req, this.#body);
  }

  newBudget(): RetryBudget {
    return new RetryBudget(this.retry, this.#clock);
  }
}

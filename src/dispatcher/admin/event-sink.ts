/**
 * The event sink between the forwarder, health checker and jobs and the real logger. It
 * counts the events that have a metric (so the forwarder needs no metrics dependency:
 * its log events are the single source of both) and turns per-request events of a state
 * into one line when the state begins and one when it ends:
 *
 * - hold: requests (or job chunks) waiting because no worker is available. The first one
 *   logs `hold_begin` (warn), each one is a debug line, and the first sampler tick with a
 *   worker available logs `hold_end` (info) with how many waited.
 * - overload: the dispatcher answering 503 (no worker in time, full queues). The first
 *   second with 503s logs `overload_begin` (warn), and `overload_end` (info) follows after
 *   OVERLOAD_QUIET_SECONDS without one.
 */
import type { EventLogger } from '../logger.js';
import type { JobBoard } from '../jobs/job-registry.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import type { SecondSummary } from './recent-stats.js';

/** Forwarding events counted from the log events. */
export interface ForwardCounts {
  retries: number;
  holds: number;
  noWorker: number;
  upstreamFailures: number;
}

/** Seconds without a 503 that end an overload. */
export const OVERLOAD_QUIET_SECONDS = 5;

export class EventSink {
  readonly counts: ForwardCounts = { retries: 0, holds: 0, noWorker: 0, upstreamFailures: 0 };
  readonly #jobs: JobBoard | undefined;
  readonly #upstreams: UpstreamSet;
  #inner: EventLogger | undefined;
  #hold: { since: number; waited: number } | undefined;
  #overload: { since: number; last: number; rejected: number; quiet: number } | undefined;

  constructor(upstreams: UpstreamSet, jobs?: JobBoard) {
    this.#upstreams = upstreams;
    this.#jobs = jobs;
  }

  /** The logger to hand to the forwarder, health checker and jobs: `inner` behind the counting. */
  wrap(inner: EventLogger): EventLogger {
    this.#inner = inner;
    const seen = (obj: object, level: 'debug' | 'info' | 'warn' | 'error', msg?: string): void => {
      const event = (obj as { event?: unknown }).event;
      switch (event) {
        case 'retry':
          this.counts.retries++;
          break;
        case 'no_worker':
          this.counts.noWorker++;
          break;
        case 'upstream_failed':
          this.counts.upstreamFailures++;
          break;
        case 'chunk_retry':
          this.#jobs?.chunkRetried(String((obj as { job?: unknown }).job));
          break;
        case 'hold':
        case 'chunk_hold':
          if (event === 'hold') this.counts.holds++;
          this.#held(inner, obj);
          inner.debug?.(obj, msg);
          return;
      }
      inner[level]?.(obj, msg);
    };
    return {
      debug: (obj, msg) => seen(obj, 'debug', msg),
      info: (obj, msg) => seen(obj, 'info', msg),
      warn: (obj, msg) => seen(obj, 'warn', msg),
      error: (obj, msg) => seen(obj, 'error', msg),
    };
  }

  /** Once a second (the history sampler): ends states that are over, notices an overload. */
  tick(second: SecondSummary): void {
    const log = this.#inner;
    if (log === undefined) return;
    if (this.#hold !== undefined && this.#upstreams.available().length > 0) {
      const { since, waited } = this.#hold;
      this.#hold = undefined;
      log.info({ event: 'hold_end', waited, duration_ms: second.t - since }, 'a worker is available again; hold over');
    }
    if (second.unavailable > 0) {
      if (this.#overload === undefined) {
        this.#overload = { since: second.t - second.seconds * 1000, last: second.t, rejected: 0, quiet: 0 };
        log.warn(
          { event: 'overload_begin', rejected_per_second: Math.round(second.unavailable / second.seconds) },
          'answering 503: no worker in time or queues full',
        );
      }
      this.#overload.rejected += second.unavailable;
      this.#overload.last = second.t;
      this.#overload.quiet = 0;
    } else if (this.#overload !== undefined && ++this.#overload.quiet >= OVERLOAD_QUIET_SECONDS) {
      const { since, last, rejected } = this.#overload;
      this.#overload = undefined;
      log.info({ event: 'overload_end', rejected, duration_ms: Math.round(last - since) }, 'no 503 for a while; overload over');
    }
  }

  #held(log: EventLogger, first: object): void {
    if (this.#hold === undefined) {
      this.#hold = { since: Date.now(), waited: 0 };
      const { request_id, job } = first as { request_id?: unknown; job?: unknown };
      log.warn({ event: 'hold_begin', request_id, job }, 'no worker available; holding requests until one is');
    }
    this.#hold.waited++;
  }
}

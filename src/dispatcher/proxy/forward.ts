/**
 * The reverse proxy: one client request → one worker, in phases (after Pingora's proxy
 * lifecycle): take the body (buffered up to --proxy-buffer, see request-body.ts), pick a
 * worker, relay the attempt's answer (relay-handler.ts), and on a failure ask the one retry
 * rule (retry.ts) with the request's one budget and set of tried workers - holding while
 * no worker is available. Requests without body for targets known to be quick are
 * pipelined with the others of their event-loop turn (quick-targets.ts, client/pool.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, httpError } from '../../common/errors.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import type { SelectionPolicy } from '../balance/selection.js';
import { markConnectFailure } from '../health/health.js';
import { type EventLogger, NOOP_LOGGER } from '../logger.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { upstreamHead } from './forward-headers.js';
import { QuickTargets } from './quick-targets.js';
import { AttemptFailure, RelayHandler } from './relay-handler.js';
import { framingLine, outgoing, PROXY_BODY_DEFAULTS, type ProxyBody, type ProxyBodyOptions, takeBody } from './request-body.js';
import {
  type AttemptState,
  type Clock,
  ClientSideError,
  classify,
  describeError,
  type FailureKind,
  isRetryable,
  isWorkerFault,
  RETRY_DEFAULTS,
  RetryBudget,
  type RetryOptions,
  spendsBudget,
} from './retry.js';

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
  logger?: EventLogger;
  /** For tests. @default performance.now */
  clock?: Clock;
}

export const FORWARD_DEFAULTS = Object.freeze({ ...RETRY_DEFAULTS, upstreamTimeoutMs: 60_000, retryAfterSeconds: 1 });

interface Failure {
  err: unknown;
  kind: FailureKind;
  upstream: Upstream;
}

/** Backstop only: every pass holds (bounded by tryDuration), adds a tried worker, or spends budget. */
const MAX_PASSES = 10_000;

export class Forwarder {
  readonly #set: UpstreamSet;
  readonly #policy: SelectionPolicy;
  readonly #retry: Required<RetryOptions>;
  readonly #timeoutMs: number;
  readonly #body: ProxyBodyOptions;
  readonly #retryAfter: string;
  readonly #onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly #log: EventLogger;
  readonly #clock: Clock | undefined;
  readonly #onAnswered: NonNullable<ForwarderOptions['onAnswered']>;
  /** What the workers answer quickly (the requests that may be pipelined). */
  readonly quick = new QuickTargets();
  /** Attempts made, attempts that failed and were retried, attempts pipelined. */
  readonly counts = { attempts: 0, retried: 0, pipelined: 0 };

  constructor(options: ForwarderOptions) {
    this.#set = options.upstreams;
    this.#policy = options.policy;
    this.#retry = {
      retries: options.retries ?? FORWARD_DEFAULTS.retries,
      tryDurationMs: options.tryDurationMs ?? FORWARD_DEFAULTS.tryDurationMs,
      tryIntervalMs: options.tryIntervalMs ?? FORWARD_DEFAULTS.tryIntervalMs,
    };
    this.#timeoutMs = options.upstreamTimeoutMs ?? FORWARD_DEFAULTS.upstreamTimeoutMs;
    this.#body = { ...PROXY_BODY_DEFAULTS, ...options.body };
    this.#retryAfter = String(options.retryAfterSeconds ?? FORWARD_DEFAULTS.retryAfterSeconds);
    this.#onConnectFailure = options.onConnectFailure ?? markConnectFailure;
    this.#log = options.logger ?? NOOP_LOGGER;
    this.#clock = options.clock;
    this.#onAnswered = options.onAnswered ?? (() => {});
  }

  /**
   * Forwards `req` and streams the answer into `res`. Throws an HttpError (502, 504, 503,
   * or the client's own 4xx body error) while nothing was sent; if the worker fails after
   * the answer began, the client's connection is cut and a 502 is thrown for the engine
   * to log. Resolves quietly when the client went away.
   */
  async forward(req: HttpRequest, res: HttpResponse): Promise<void> {
    let body: ProxyBody;
    try {
      body = await takeBody(req, this.#body);
    } catch (err) {
      if (req.aborted) return;
      throw clientFailure(err);
    }
    const budget = new RetryBudget(this.#retry, this.#clock);
    const tried = new Set<Upstream>();
    let last: Failure | undefined;
    let held = false;
    let resetSeen = false;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (req.aborted) return;
      const upstream = this.#policy.pick(this.#set.list(), tried);
      if (upstream === undefined) {
        if (this.#set.available().length > 0) {
          // Every available worker already failed this request. After a reset that is most
          // often a worker that has just died and is not marked down yet: try again after one
          // try-interval, within the retry budget. A dead one then refuses the connection,
          // which marks it down (spending nothing) and leads to the hold below.
          if (!resetSeen) throw this.#failure(req, last);
          resetSeen = false;
          await sleep(this.#retry.tryIntervalMs, undefined, { signal: req.signal }).catch(() => {});
          tried.clear();
          continue;
        }
        if (!held) this.#log.warn({ event: 'hold', request_id: req.id }, 'no worker available; holding request');
        held = true;
        const available = await budget.hold(() => this.#set.available().length > 0, req.signal);
        if (req.aborted) return;
        if (!available) {
          this.#log.error(
            { event: 'no_worker', request_id: req.id, waited_ms: Math.round(budget.elapsedMs) },
            'no worker became available',
          );
          throw httpError('NO_WORKER', `no worker became available within ${this.#retry.tryDurationMs} ms`, {
            'Retry-After': this.#retryAfter,
          });
        }
        // Workers that failed, went down and came back are eligible again.
        tried.clear();
        continue;
      }

      const state: AttemptState = { method: req.method, responseStarted: false, bodySpent: false };
      try {
        await this.#attempt(upstream, req, res, body, state);
        return;
      } catch (err) {
        const kind = classify(err);
        if (req.aborted) return;
        if (kind === 'client') throw clientFailure(err);
        if (state.responseStarted) {
          // The engine cuts the client's connection: the answer cannot be completed.
          this.#log.error(
            { event: 'upstream_failed_mid_response', request_id: req.id, worker: upstream.id, error: describeError(err) },
            'worker failed mid-response',
          );
          throw httpError('BAD_GATEWAY', `worker ${upstream.id} failed mid-response: ${describeError(err)}`);
        }
        if (kind === 'connect') this.#onConnectFailure(upstream, err);
        last = { err, kind, upstream };
        if (kind === 'reset') resetSeen = true;
        tried.add(upstream);
        if (!isRetryable(err, state) || !budget.spend(spendsBudget(err))) throw this.#failure(req, last);
        this.counts.retried++;
        if (isWorkerFault(err)) {
          this.#log.warn(
            { event: 'retry', request_id: req.id, worker: upstream.id, kind, error: describeError(err), retries_used: budget.retriesUsed },
            'attempt failed; trying again',
          );
        }
      }
    }
    throw this.#failure(req, last);
  }

  /** One attempt on `upstream`; throws the failure's error, with `state` telling how far it got. */
  async #attempt(upstream: Upstream, req: HttpRequest, res: HttpResponse, body: ProxyBody, state: AttemptState): Promise<void> {
    const declared = req.contentLength;
    const pool = upstream.transport.pool;
    const head = `${upstreamHead(req, pool.authority)}${framingLine(body, declared)}\r\n`;
    const quick = body.kind === 'none' && req.httpMinor === 1 && this.quick.isQuick(req.method, req.target, upstream.probeMs);
    this.counts.attempts++;
    if (quick) this.counts.pipelined++;
    const relay = new RelayHandler(req, res);
    const t0 = performance.now();
    upstream.begin();
    try {
      await relay.run((handler) =>
        pool.dispatch({
          head,
          body: outgoing(body, declared),
          handler,
          opts: { method: req.method, headersTimeoutMs: this.#timeoutMs, bodyTimeoutMs: this.#timeoutMs },
          pipelined: quick,
        }),
      );
    } catch (thrown) {
      const failure = thrown instanceof AttemptFailure ? thrown : new AttemptFailure(thrown, false);
      state.responseStarted = res.headersSent;
      state.upstreamResponded = failure.headSeen;
      state.bodySpent = body.kind === 'streamed' && body.spent;
      // Nothing was written when the connection could not be had.
      const kind = classify(failure.err);
      state.bodySent = body.kind !== 'none' && kind !== 'connect' && kind !== 'busy';
      // The client's failures, and requests handed back through no fault of the worker, are no verdict on it.
      if (req.aborted || !isWorkerFault(failure.err)) upstream.release();
      else upstream.end(false);
      throw failure.err;
    }
    if (body.kind === 'none') this.quick.record(req.method, req.target, performance.now() - t0);
    upstream.end(true, relay.ttfbMs);
    const bytesIn = body.kind === 'buffered' ? body.bytes.length : body.kind === 'streamed' ? body.sentBytes : 0;
    this.#onAnswered(upstream, res.status, relay.ttfbMs, bytesIn, res.bytesWritten);
  }

  #failure(req: HttpRequest, last: Failure | undefined): HttpError {
    let err: HttpError;
    if (last?.kind === 'timeout')
      err = httpError('GATEWAY_TIMEOUT', `worker ${last.upstream.id} did not answer within ${this.#timeoutMs} ms`);
    else if (last?.kind === 'busy') {
      err = httpError('UPSTREAM_BUSY', `every connection to the workers stayed busy: ${describeError(last.err)}`, {
        'Retry-After': this.#retryAfter,
      });
    } else
      err = httpError(
        'BAD_GATEWAY',
        last ? `worker ${last.upstream.id} failed: ${describeError(last.err)}` : 'no worker could take the request',
      );
    this.#log.error({ event: 'upstream_failed', request_id: req.id, worker: last?.upstream.id, error: err.message }, 'forwarding failed');
    return err;
  }
}

/** The client's own failure: its HttpError (413, 408, 400) when there is one. */
function clientFailure(err: unknown): unknown {
  const original = err instanceof ClientSideError ? err.original : err;
  return original instanceof HttpError ? original : err;
}

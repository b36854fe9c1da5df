/**
 * The reverse proxy: one client request → one worker, with the retry rule of retry.ts,
 * holding while no worker is available. Request and response bodies are streamed with
 * backpressure, never buffered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AbortLike } from '../../common/light-signal.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { HttpError, httpError } from '../../common/errors.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import type { SelectionPolicy } from '../balance/selection.js';
import { markConnectFailure } from '../health/health.js';
import { NOOP_LOGGER, type EventLogger } from '../logger.js';
import {
  ClientSideError,
  RETRY_DEFAULTS,
  RetryBudget,
  classify,
  describeError,
  isRetryable,
  type AttemptState,
  type Clock,
  type FailureKind,
  type RetryOptions,
} from './retry.js';
import { upstreamRequest, type UpstreamResponse } from './upstream-request.js';
import { copyResponseHeaders, originForm, upstreamRequestHeaders } from './forward-headers.js';

export { upstreamRequest } from './upstream-request.js';

export interface ForwarderOptions extends RetryOptions {
  /** The workers (their connection pools are configured on the set). */
  upstreams: UpstreamSet;
  policy: SelectionPolicy;
  /**
   * Max wait for a worker's response head, and max idle time between its body chunks.
   * @default 60000
   */
  upstreamTimeoutMs?: number;
  /** Passive health: called on a connect failure. @default markConnectFailure (marks it down) */
  onConnectFailure?: (upstream: Upstream, err: unknown) => void;
  /** Retry-After of the 503 sent when no worker became available. @default 1 */
  retryAfterSeconds?: number;
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

/**
 * The client's body, handed to at most one upstream attempt: it is streamed, not buffered,
 * so once its reading started it cannot be replayed.
 */
class BodySource {
  started = false;
  readonly #req: HttpRequest;

  constructor(req: HttpRequest) {
    this.#req = req;
  }

  /** A lazy iterable for one attempt (nothing is read until undici pulls). */
  forAttempt(): AsyncIterable<Uint8Array> | undefined {
    if (!this.#req.hasBody) return undefined;
    const body = this.#req.body;
    const mark = (): void => {
      this.started = true;
    };
    return (async function* () {
      mark();
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
      } catch (err) {
        throw new ClientSideError(err);
      }
    })();
  }
}

export class Forwarder {
  readonly #set: UpstreamSet;
  readonly #policy: SelectionPolicy;
  readonly #retry: Required<RetryOptions>;
  readonly #timeoutMs: number;
  readonly #retryAfter: string;
  readonly #onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly #log: EventLogger;
  readonly #clock: Clock | undefined;

  constructor(options: ForwarderOptions) {
    this.#set = options.upstreams;
    this.#policy = options.policy;
    this.#retry = {
      retries: options.retries ?? FORWARD_DEFAULTS.retries,
      tryDurationMs: options.tryDurationMs ?? FORWARD_DEFAULTS.tryDurationMs,
      tryIntervalMs: options.tryIntervalMs ?? FORWARD_DEFAULTS.tryIntervalMs,
    };
    this.#timeoutMs = options.upstreamTimeoutMs ?? FORWARD_DEFAULTS.upstreamTimeoutMs;
    this.#retryAfter = String(options.retryAfterSeconds ?? FORWARD_DEFAULTS.retryAfterSeconds);
    this.#onConnectFailure = options.onConnectFailure ?? markConnectFailure;
    this.#log = options.logger ?? NOOP_LOGGER;
    this.#clock = options.clock;
  }

  /**
   * Forwards `req` and streams the answer into `res`. Throws an HttpError (502, 504, 503
   * NO_WORKER, or the client's own 4xx body error) while nothing was sent; if the worker
   * dies after the response began, `res` is destroyed (when the engine offers `destroy`)
   * and a 502 is thrown for the engine to log - the client sees a cut connection.
   * Resolves quietly when the client went away.
   */
  async forward(req: HttpRequest, res: HttpResponse): Promise<void> {
    const budget = new RetryBudget(this.#retry, this.#clock);
    const body = new BodySource(req);
    const tried = new Set<Upstream>();
    let last: Failure | undefined;
    let held = false;
    let resetSeen = false;
    // Bounded: each pass either holds (bounded by tryDuration), adds an upstream to
    // `tried` (bounded by the set) or spends the retry budget; the cap is a backstop.
    const maxPasses = 10_000;
    for (let pass = 0; pass < maxPasses; pass++) {
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

      const state: AttemptState = { method: req.method, responseStarted: false, requestBodySent: false };
      try {
        await this.#attempt(upstream, req, res, body, state);
        return;
      } catch (err) {
        state.requestBodySent = body.started;
        const kind = classify(err);
        if (req.aborted) return;
        if (kind === 'client') throw clientFailure(err);
        if (state.responseStarted) {
          this.#log.error(
            { event: 'upstream_failed_mid_response', request_id: req.id, worker: upstream.id, error: describeError(err) },
            'worker failed mid-response',
          );
          (res as Partial<{ destroy(err?: Error): void }>).destroy?.(err instanceof Error ? err : undefined);
          throw httpError('BAD_GATEWAY', `worker ${upstream.id} failed mid-response: ${describeError(err)}`);
        }
        if (kind === 'connect') this.#onConnectFailure(upstream, err);
        last = { err, kind, upstream };
        if (kind === 'reset') resetSeen = true;
        tried.add(upstream);
        if (!isRetryable(err, state) || !budget.spend(kind)) throw this.#failure(req, last);
        this.#log.warn(
          { event: 'retry', request_id: req.id, worker: upstream.id, kind, error: describeError(err), retries_used: budget.retriesUsed },
          'retrying request on another worker',
        );
      }
    }
    throw this.#failure(req, last);
  }

  async #attempt(upstream: Upstream, req: HttpRequest, res: HttpResponse, body: BodySource, state: AttemptState): Promise<void> {
    const t0 = performance.now();
    upstream.begin();
    try {
      const response = await upstreamRequest(upstream, {
        method: req.method,
        path: originForm(req),
        headers: upstreamRequestHeaders(req),
        // The client's fields passed the engine's parser; the added ones are ours.
        headersValidated: true,
        body: body.forAttempt(),
        signal: req.lightSignal,
        timeoutMs: this.#timeoutMs,
      });
      state.upstreamResponded = true;
      const ttfb = performance.now() - t0;
      // A whole answer is written synchronously: no promise to wait for.
      const piping = pipeResponse(response, res, req.lightSignal, state);
      if (piping !== undefined) await piping;
      upstream.end(true, ttfb);
    } catch (err) {
      // The client's failures are no verdict on the worker.
      if (req.aborted || classify(err) === 'client') upstream.release();
      else upstream.end(false);
      throw err;
    }
  }

  #failure(req: HttpRequest, last: Failure | undefined): HttpError {
    const err =
      last?.kind === 'timeout'
        ? httpError('GATEWAY_TIMEOUT', `worker ${last.upstream.id} did not answer within ${this.#timeoutMs} ms`)
        : httpError(
            'BAD_GATEWAY',
            last ? `worker ${last.upstream.id} failed: ${describeError(last.err)}` : 'no worker could take the request',
          );
    this.#log.error({ event: 'upstream_failed', request_id: req.id, worker: last?.upstream.id, error: err.message }, 'forwarding failed');
    return err;
  }
}

/**
 * Streams the upstream response into `res`. The status and head are applied only with
 * the first body byte (or the end), so a worker dying before that can still be retried.
 */
function pipeResponse(up: UpstreamResponse, res: HttpResponse, signal: AbortLike, state: AttemptState): Promise<void> | undefined {
  if (up.complete !== undefined) {
    // Small answers arrive whole with their head: one write, no stream. Nothing counts as
    // started until the head is on `res`, so a failure there can still be retried or a 502.
    copyResponseHeaders(up.headers, res);
    state.responseStarted = true;
    res.status = up.statusCode;
    res.end(up.complete);
    return undefined;
  }
  return streamResponse(up, res, signal, state);
}

async function streamResponse(up: UpstreamResponse, res: HttpResponse, signal: AbortLike, state: AttemptState): Promise<void> {
  const start = (): void => {
    if (state.responseStarted) return;
    copyResponseHeaders(up.headers, res);
    state.responseStarted = true;
    res.status = up.statusCode;
  };
  for await (const chunk of up.body) {
    start();
    if (!res.write(chunk as Buffer)) await drainOrAbort(res, signal);
  }
  start();
  res.end();
}

function drainOrAbort(res: HttpResponse, signal: AbortLike): Promise<void> {
  if (signal.aborted) return Promise.reject(new ClientSideError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new ClientSideError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    res.drain().then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(new ClientSideError(err));
      },
    );
  });
}

/** The client's own failure: its HttpError (413, 408, 400) when there is one. */
function clientFailure(err: unknown): unknown {
  const original = err instanceof ClientSideError ? err.original : err;
  return original instanceof HttpError ? original : err;
}

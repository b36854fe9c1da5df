/**
 * One forwarded request's way to an answer: pick a worker, run an attempt (a relay handler
 * on the worker's pool), and on a failure ask the one retry rule with this request's one
 * budget and set of tried workers - holding while no worker is available. Driven by the
 * attempt's callbacks, so a request answered at the first try costs one promise and no
 * retry state at all (the budget and the tried set are made at the first setback).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, httpError } from '../../common/errors.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import type { Upstream } from '../upstreams/upstream.js';
import { upstreamHead } from './forward-headers.js';
import type { ForwarderCore } from './forward.js';
import { type AttemptOwner, RelayHandler } from './relay-handler.js';
import { framingLine, outgoing, type ProxyBody } from './request-body.js';
import {
  type AttemptState,
  ClientSideError,
  classify,
  describeError,
  type FailureKind,
  isRetryable,
  isWorkerFault,
  type RetryBudget,
  spendsBudget,
} from './retry.js';

interface Failure {
  err: unknown;
  kind: FailureKind;
  upstream: Upstream;
}

const NONE: ReadonlySet<Upstream> = new Set();

export class ForwardRun implements AttemptOwner {
  readonly #f: ForwarderCore;
  readonly #req: HttpRequest;
  readonly #res: HttpResponse;
  readonly #resolve: () => void;
  readonly #reject: (err: unknown) => void;
  #body: ProxyBody = { kind: 'none' };
  #upstream: Upstream | undefined;
  #quick = false;
  #budget: RetryBudget | undefined;
  #tried: Set<Upstream> | undefined;
  #last: Failure | undefined;
  #held = false;
  #resetSeen = false;
  #attempts = 0;
  #upstreamMs: number | null = null;

  constructor(core: ForwarderCore, req: HttpRequest, res: HttpResponse, resolve: () => void, reject: (err: unknown) => void) {
    this.#f = core;
    this.#req = req;
    this.#res = res;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Starts: takes the body first when there is one. */
  start(): void {
    if (!this.#req.hasBody) {
      this.#next();
      return;
    }
    this.#f.takeBody(this.#req).then(
      (body) => {
        this.#body = body;
        this.#next();
      },
      (err: unknown) => this.#finish(this.#req.aborted ? undefined : clientFailure(err)),
    );
  }

  /** Picks a worker and runs an attempt, or holds / fails when none can take it. */
  #next(): void {
    const req = this.#req;
    if (req.aborted) {
      this.#finish(undefined);
      return;
    }
    const upstream = this.#f.policy.pick(this.#f.upstreams.list(), this.#tried ?? NONE);
    if (upstream === undefined) {
      void this.#noWorker();
      return;
    }
    this.#upstream = upstream;
    const body = this.#body;
    const declared = req.contentLength;
    const pool = upstream.transport.pool;
    const head = `${upstreamHead(req, pool.authority)}${framingLine(body, declared)}\r\n`;
    const quick = body.kind === 'none' && req.httpMinor === 1 && this.#f.quick.isQuick(req.method, req.target, upstream.probeMs);
    this.#quick = quick;
    this.#f.counts.attempts++;
    this.#attempts++;
    if (quick) this.#f.counts.pipelined++;
    const relay = new RelayHandler(req, this.#res, this);
    upstream.begin();
    const timeout = this.#f.timeoutMs;
    relay.bind(
      pool.dispatch({
        head,
        body: outgoing(body, declared),
        handler: relay,
        opts: { method: req.method, headersTimeoutMs: timeout, bodyTimeoutMs: timeout },
        pipelined: quick,
      }),
    );
  }

  attemptDone(relay: RelayHandler): void {
    const upstream = this.#upstream as Upstream;
    const req = this.#req;
    const body = this.#body;
    if (body.kind === 'none') this.#f.quick.record(req.method, req.target, performance.now() - relay.startedAt);
    upstream.end(true, relay.ttfbMs);
    this.#upstreamMs = performance.now() - relay.startedAt;
    this.#f.onAnswered(upstream, this.#res.status, relay.ttfbMs, this.#bytesIn(), this.#res.bytesWritten);
    this.#finish(undefined);
  }

  attemptFailed(_relay: RelayHandler, err: unknown, headSeen: boolean): void {
    const upstream = this.#upstream as Upstream;
    const req = this.#req;
    const body = this.#body;
    const kind = classify(err);
    // The client's failures, and requests handed back through no fault of the worker, are no verdict on it.
    if (req.aborted || !isWorkerFault(err)) upstream.release();
    else upstream.end(false);
    if (req.aborted) {
      this.#finish(undefined);
      return;
    }
    if (kind === 'client') {
      this.#finish(clientFailure(err));
      return;
    }
    const state: AttemptState = {
      method: req.method,
      responseStarted: this.#res.headersSent,
      upstreamResponded: headSeen,
      bodySpent: body.kind === 'streamed' && body.spent,
      // Nothing was written when the connection could not be had.
      bodySent: body.kind !== 'none' && kind !== 'connect' && kind !== 'busy',
    };
    const log = this.#f.log;
    if (state.responseStarted) {
      // The engine cuts the client's connection: the answer cannot be completed.
      log.error(
        { event: 'upstream_failed_mid_response', request_id: req.id, worker: upstream.id, error: describeError(err) },
        'worker failed mid-response',
      );
      this.#finish(httpError('BAD_GATEWAY', `worker ${upstream.id} failed mid-response: ${describeError(err)}`));
      return;
    }
    if (kind === 'connect') this.#f.onConnectFailure(upstream, err);
    this.#last = { err, kind, upstream };
    if (kind === 'reset') this.#resetSeen = true;
    (this.#tried ??= new Set()).add(upstream);
    const budget = (this.#budget ??= this.#f.newBudget());
    if (!isRetryable(err, state) || !budget.spend(spendsBudget(err))) {
      this.#finish(this.#failure());
      return;
    }
    this.#f.counts.retried++;
    if (isWorkerFault(err)) {
      log.warn(
        {
          event: 'retry',
          request_id: req.id,
          worker: upstream.id,
          kind,
          error: describeError(err),
          retries_used: budget.retriesUsed,
          quick: this.#quick,
        },
        'attempt failed; trying again',
      );
    }
    this.#next();
  }

  /** No worker can take the request now: another round after a reset, or the hold. */
  async #noWorker(): Promise<void> {
    const req = this.#req;
    const f = this.#f;
    if (f.upstreams.available().length > 0) {
      // Every available worker already failed this request. After a reset that is most
      // often a worker that has just died and is not marked down yet: try again after one
      // try-interval, within the retry budget. A dead one then refuses the connection,
      // which marks it down (spending nothing) and leads to the hold below.
      if (!this.#resetSeen) {
        this.#finish(this.#failure());
        return;
      }
      this.#resetSeen = false;
      await sleep(f.retry.tryIntervalMs, undefined, { signal: req.signal }).catch(() => {});
      this.#tried?.clear();
      this.#next();
      return;
    }
    if (!this.#held) f.log.warn({ event: 'hold', request_id: req.id }, 'no worker available; holding request');
    this.#held = true;
    const budget = (this.#budget ??= f.newBudget());
    const available = await budget.hold(() => f.upstreams.available().length > 0, req.signal);
    if (req.aborted) {
      this.#finish(undefined);
      return;
    }
    if (!available) {
      f.log.error({ event: 'no_worker', request_id: req.id, waited_ms: Math.round(budget.elapsedMs) }, 'no worker became available');
      this.#finish(
        httpError('NO_WORKER', `no worker became available within ${f.retry.tryDurationMs} ms`, { 'Retry-After': f.retryAfter }),
      );
      return;
    }
    // Workers that failed, went down and came back are eligible again.
    this.#tried?.clear();
    this.#next();
  }

  #failure(): HttpError {
    const last = this.#last;
    const f = this.#f;
    let err: HttpError;
    if (last?.kind === 'timeout') err = httpError('GATEWAY_TIMEOUT', `worker ${last.upstream.id} did not answer within ${f.timeoutMs} ms`);
    else if (last?.kind === 'busy') {
      err = httpError('UPSTREAM_BUSY', `every connection to the workers stayed busy: ${describeError(last.err)}`, {
        'Retry-After': f.retryAfter,
      });
    } else
      err = httpError(
        'BAD_GATEWAY',
        last ? `worker ${last.upstream.id} failed: ${describeError(last.err)}` : 'no worker could take the request',
      );
    f.log.error({ event: 'upstream_failed', request_id: this.#req.id, worker: last?.upstream.id, error: err.message }, 'forwarding failed');
    return err;
  }

  #bytesIn(): number {
    const body = this.#body;
    return body.kind === 'buffered' ? body.bytes.length : body.kind === 'streamed' ? body.sentBytes : 0;
  }

  #finish(err: unknown): void {
    this.#f.onFinished?.(this.#req, this.#res, {
      worker: this.#upstream?.id ?? null,
      retries: Math.max(0, this.#attempts - 1),
      upstreamMs: this.#upstreamMs,
      bytesIn: this.#bytesIn(),
      errorStatus: err === undefined ? undefined : err instanceof HttpError ? err.status : 502,
    });
    if (err === undefined) this.#resolve();
    else this.#reject(err);
  }
}

/** The client's own failure: its HttpError (413, 408, 400) when there is one. */
function clientFailure(err: unknown): unknown {
  const original = err instanceof ClientSideError ? err.original : err;
  return original instanceof HttpError ? original : err;
}

/**
 * One chunk's way to a result: pick a worker with the balancing policy, run one attempt,
 * and on failure try another worker under the retry rule of retry.ts (a RetryBudget per
 * chunk). Only the attempt that is still wanted can deliver a result: an attempt that
 * timed out or was cancelled loses its race, so its late answer goes nowhere.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpError, type HttpError } from '../../common/errors.js';
import type { EventLogger } from '../logger.js';
import { RetryBudget, classify, spendsBudget, type Clock, type RetryOptions } from '../proxy/retry.js';
import type { SelectionPolicy } from '../balance/selection.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { WorkerAnswerError, chunkVerdict, describeChunkError, isTimeout } from './chunk-errors.js';
import type { ChunkExecutor, JobChunk } from './job-types.js';

export interface ChunkDispatchEnv {
  readonly jobId: string;
  readonly upstreams: UpstreamSet;
  readonly policy: SelectionPolicy;
  readonly retry: Required<RetryOptions>;
  /** Deadline of one whole attempt (send, compute, answer); 0 = none. */
  readonly attemptTimeoutMs: number;
  /** The job's signal: aborts every attempt of every chunk. */
  readonly signal: AbortSignal;
  readonly log: EventLogger;
  /** Passive health on a connect failure (markConnectFailure in production). */
  readonly onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly clock?: Clock;
}

/** Waits after every worker said "busy" grow from tryInterval up to this. */
const MAX_BUSY_BACKOFF_MS = 200;
/** Backstop only: every pass holds, spends budget, or waits under tryDuration. */
const MAX_PASSES = 100_000;

export async function dispatchChunk<P, R>(
  chunk: JobChunk<P>,
  execute: ChunkExecutor<P, R>,
  env: ChunkDispatchEnv,
): Promise<{ result: R; upstream: Upstream }> {
  const { upstreams, policy, log, signal, retry } = env;
  const { index } = chunk;
  const failedOn = new Set<Upstream>();
  const busy = new Set<Upstream>();
  // Started at the first setback, so a long first attempt does not eat the retry time.
  let budget: RetryBudget | undefined;
  const budgetNow = (): RetryBudget => (budget ??= new RetryBudget(retry, env.clock));
  let busyRounds = 0;
  let held = false;
  let last: { err: unknown; upstream: Upstream } | undefined;

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    signal.throwIfAborted();
    const upstream = policy.pick(upstreams.list(), busy.size === 0 ? failedOn : new Set([...failedOn, ...busy]));
    if (upstream === undefined) {
      if (upstreams.available().length === 0) {
        // Per chunk, so debug: the hold itself is logged once by the dispatcher's event sink.
        if (!held) log.debug?.({ event: 'chunk_hold', job: env.jobId, chunk: index }, 'no worker available; holding chunk');
        held = true;
        const ok = await budgetNow().hold(() => upstreams.available().length > 0, signal);
        signal.throwIfAborted();
        if (!ok) {
          throw httpError('NO_WORKER', `no worker became available within ${retry.tryDurationMs} ms`, { 'Retry-After': '1' });
        }
      } else if (busy.size > 0) {
        // Some workers were only busy: wait for a free compute slot anywhere.
        if (budgetNow().elapsedMs >= retry.tryDurationMs) {
          throw httpError('QUEUE_FULL', `every worker stayed busy for ${retry.tryDurationMs} ms`, { 'Retry-After': '1' });
        }
        const wait = Math.min(MAX_BUSY_BACKOFF_MS, Math.max(1, retry.tryIntervalMs) * 2 ** Math.min(busyRounds++, 8));
        await sleep(wait, undefined, { signal });
      } else {
        // Every available worker failed this chunk; the budget (spent on each failure)
        // still allows another round, so the same workers get it again after a pause.
        await sleep(Math.max(1, retry.tryIntervalMs), undefined, { signal });
      }
      failedOn.clear();
      busy.clear();
      continue;
    }

    log.debug?.({ event: 'chunk_send', job: env.jobId, chunk: index, worker: upstream.id }, 'sending chunk');
    try {
      const result = await attempt(upstream, chunk, execute, env);
      return { result, upstream };
    } catch (err) {
      const verdict = chunkVerdict(err, signal.aborted);
      if (verdict === 'aborted') throw signal.reason ?? err;
      if (verdict === 'fatal') {
        // A worker's 413 is about the client's text (a word or a vocabulary over its limits): the client's error too.
        const tooLarge = err instanceof WorkerAnswerError && err.status === 413;
        throw httpError(
          tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_GATEWAY',
          `chunk ${index} was refused by worker ${upstream.id}: ${describeChunkError(err)}`,
        );
      }
      if (verdict === 'busy') {
        busy.add(upstream);
        log.debug?.(
          { event: 'chunk_busy', job: env.jobId, chunk: index, worker: upstream.id },
          'worker busy; chunk goes elsewhere or waits',
        );
        continue;
      }
      if (verdict === 'connect') env.onConnectFailure(upstream, err);
      failedOn.add(upstream);
      last = { err, upstream };
      if (!budgetNow().spend(spendsBudget(err))) throw exhausted(index, last, budgetNow());
      // The next attempt goes to a worker this chunk has not failed on while there is one,
      // else (after a pause) to the same ones again: the line says which worker failed, not where it goes.
      log.warn(
        {
          event: 'chunk_retry',
          job: env.jobId,
          chunk: index,
          worker: upstream.id,
          kind: err instanceof WorkerAnswerError ? 'answer' : classify(err),
          reason: describeChunkError(err),
          retries_used: budgetNow().retriesUsed,
        },
        'chunk failed on a worker; retrying',
      );
    }
  }
  throw exhausted(index, last, budgetNow());
}

/** One attempt, raced against the job signal and the attempt deadline. */
async function attempt<P, R>(upstream: Upstream, chunk: JobChunk<P>, execute: ChunkExecutor<P, R>, env: ChunkDispatchEnv): Promise<R> {
  const ac = new AbortController();
  const onJobAbort = (): void => ac.abort(env.signal.reason);
  env.signal.addEventListener('abort', onJobAbort, { once: true });
  const timer =
    env.attemptTimeoutMs > 0
      ? setTimeout(
          () => ac.abort(new DOMException(`chunk attempt exceeded ${env.attemptTimeoutMs} ms`, 'TimeoutError')),
          env.attemptTimeoutMs,
        )
      : undefined;
  const cancelled = new Promise<never>((_resolve, reject) => {
    ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
  });
  const t0 = performance.now();
  upstream.begin();
  try {
    const result = await Promise.race([execute(chunk, upstream, ac.signal), cancelled]);
    upstream.end(true, performance.now() - t0);
    return result;
  } catch (err) {
    // A cancelled job is no verdict on the worker; an answer (even a 5xx) means it is alive.
    if (env.signal.aborted) upstream.release();
    else upstream.end(err instanceof WorkerAnswerError);
    throw err;
  } finally {
    clearTimeout(timer);
    env.signal.removeEventListener('abort', onJobAbort);
    // Whatever the executor still has open for this attempt is no longer wanted.
    if (!ac.signal.aborted) ac.abort(new Error('attempt settled'));
  }
}

function exhausted(index: number, last: { err: unknown; upstream: Upstream } | undefined, budget: RetryBudget): HttpError {
  const tries = `after ${budget.retriesUsed} retries`;
  if (last === undefined) return httpError('BAD_GATEWAY', `chunk ${index} could not be placed on any worker`);
  const what = `chunk ${index} failed on worker ${last.upstream.id} ${tries}: ${describeChunkError(last.err)}`;
  return isTimeout(last.err) ? httpError('GATEWAY_TIMEOUT', what) : httpError('BAD_GATEWAY', what);
}

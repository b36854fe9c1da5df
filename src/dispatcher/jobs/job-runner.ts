/**
 * The parallel-job framework of the dispatcher (SPEC §4): a job is a source of chunks, an
 * executor that runs one chunk on one worker, and a merge. The runner pulls a chunk only
 * when an in-flight slot is free (about 2 per active worker), so a streamed input is read
 * no faster than workers take it and memory stays flat; each chunk is retried on its own
 * (chunk-dispatch.ts); results are merged as they arrive, each chunk exactly once.
 */
import { setMaxListeners } from 'node:events';
import type { EventLogger } from '../logger.js';
import { markConnectFailure } from '../health/health.js';
import { RETRY_DEFAULTS, type Clock, type RetryOptions } from '../proxy/retry.js';
import type { SelectionPolicy } from '../balance/selection.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { dispatchChunk } from './chunk-dispatch.js';
import { DoneSet } from './done-set.js';
import type { ChunkExecutor, JobChunk } from './job-types.js';

export type { ChunkExecutor, JobChunk } from './job-types.js';

export interface JobDefinition<P, R> {
  /** Chunks in index order 0, 1, 2…; pulled lazily, one per free slot. */
  readonly chunks: AsyncIterable<JobChunk<P>> | Iterable<JobChunk<P>>;
  readonly execute: ChunkExecutor<P, R>;
  /** Called once per chunk index with its first successful result. */
  readonly merge: (result: R, chunk: JobChunk<P>, upstream: Upstream) => void;
}

/** What the runner reports while it works (the job registry's progress record). */
export interface JobProgressSink {
  /** A chunk was taken from the source (its bytes are read). */
  chunkRead(chunk: { index: number; bytes: number }): void;
  /** The source is exhausted: the job has `chunks` chunks in all. */
  sourceDone(chunks: number): void;
  /** A chunk's result was merged, computed by `workerId`. */
  chunkDone(index: number, workerId: string, weight: number): void;
}

export interface JobRunOptions extends RetryOptions {
  readonly jobId: string;
  readonly upstreams: UpstreamSet;
  readonly policy: SelectionPolicy;
  /** Deadline of one chunk attempt; 0 = none. @default 60000 */
  readonly attemptTimeoutMs?: number;
  /** In-flight chunks per active worker (at least 1 in flight overall). @default 2 */
  readonly inFlightPerWorker?: number;
  /** Client gone: stops reading the source and cancels every in-flight attempt. */
  readonly signal?: AbortSignal;
  readonly logger: EventLogger;
  readonly progress?: JobProgressSink;
  /** @default markConnectFailure */
  readonly onConnectFailure?: (upstream: Upstream, err: unknown) => void;
  readonly clock?: Clock;
}

export const JOB_RUN_DEFAULTS = Object.freeze({ attemptTimeoutMs: 60_000, inFlightPerWorker: 2 });

export interface JobSummary {
  /** The job's chunks (units weighted by the chunks they carry). */
  readonly chunks: number;
  /** IDs of the workers whose results were merged. */
  readonly workers: ReadonlySet<string>;
}

/** Runs a job to the end. Rejects with the first fatal error (an HttpError, or the source's own). */
export async function runJob<P, R>(job: JobDefinition<P, R>, options: JobRunOptions): Promise<JobSummary> {
  const { upstreams, logger: log } = options;
  const perWorker = options.inFlightPerWorker ?? JOB_RUN_DEFAULTS.inFlightPerWorker;
  const ac = new AbortController();
  // One listener per in-flight attempt: bounded by the in-flight limit, not a leak.
  setMaxListeners(0, ac.signal);
  const onOuterAbort = (): void => ac.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const env = {
    jobId: options.jobId,
    upstreams,
    policy: options.policy,
    retry: {
      retries: options.retries ?? RETRY_DEFAULTS.retries,
      tryDurationMs: options.tryDurationMs ?? RETRY_DEFAULTS.tryDurationMs,
      tryIntervalMs: options.tryIntervalMs ?? RETRY_DEFAULTS.tryIntervalMs,
    },
    attemptTimeoutMs: options.attemptTimeoutMs ?? JOB_RUN_DEFAULTS.attemptTimeoutMs,
    signal: ac.signal,
    log,
    onConnectFailure: options.onConnectFailure ?? markConnectFailure,
    clock: options.clock,
  };
  const done = new DoneSet();
  const workers = new Set<string>();
  let failure: { err: unknown } | undefined;
  let inFlight = 0;
  let chunks = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  ac.signal.addEventListener('abort', notify, { once: true });
  const fail = (err: unknown): void => {
    failure ??= { err };
    if (!ac.signal.aborted) ac.abort(err);
  };
  // While no worker is active the limit is 1: that chunk holds (or fails) for the others.
  const limit = (): number => Math.max(1, perWorker * upstreams.available().length);

  const runOne = async (chunk: JobChunk<P>): Promise<void> => {
    const { result, upstream } = await dispatchChunk(chunk, job.execute, env);
    if (done.has(chunk.index)) {
      log.warn({ event: 'chunk_duplicate', job: options.jobId, chunk: chunk.index, worker: upstream.id }, 'dropped duplicate chunk answer');
      return;
    }
    done.add(chunk.index);
    job.merge(result, chunk, upstream);
    workers.add(upstream.id);
    options.progress?.chunkDone(chunk.index, upstream.id, chunk.weight ?? 1);
    log.debug?.({ event: 'chunk_done', job: options.jobId, chunk: chunk.index, worker: upstream.id }, 'received chunk');
  };

  const source = toAsyncIterator(job.chunks);
  try {
    for (;;) {
      while (inFlight >= limit() && failure === undefined && !ac.signal.aborted) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (failure !== undefined || ac.signal.aborted) break;
      const next = await raceAbort(source.next(), ac.signal);
      if (next === undefined) break;
      if (next.done === true) {
        options.progress?.sourceDone(chunks);
        break;
      }
      const chunk = next.value;
      chunks += chunk.weight ?? 1;
      options.progress?.chunkRead(chunk);
      inFlight++;
      runOne(chunk).then(
        () => {
          inFlight--;
          notify();
        },
        (err: unknown) => {
          inFlight--;
          fail(err);
          notify();
        },
      );
    }
  } catch (err) {
    fail(err); // the source failed (e.g. the client's body: 413, 408, a framing error)
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  options.signal?.removeEventListener('abort', onOuterAbort);
  if (failure !== undefined || ac.signal.aborted) {
    // Lets the source release what it holds (a file, a body); not awaited: it may be mid-read.
    source.return?.().catch(() => undefined);
    throw failure !== undefined ? failure.err : ac.signal.reason;
  }
  return { chunks, workers };
}

function toAsyncIterator<T>(it: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in it) return it[Symbol.asyncIterator]();
  const sync = it[Symbol.iterator]();
  return {
    next: () => Promise.resolve(sync.next()),
    return: () => Promise.resolve(sync.return?.() ?? { done: true as const, value: undefined }),
  };
}

/** `p`, or undefined as soon as `signal` aborts (p keeps running; its rejection is absorbed). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The shapes a job is made of, shared by the runner, the chunk dispatcher and the jobs. */
import type { Upstream } from '../upstreams/upstream.js';

/** One unit of work: its index is its identity (retries and duplicates are told apart by it). */
export interface JobChunk<P> {
  readonly index: number;
  readonly payload: P;
  /** Input bytes the chunk covers, for progress (0 when the input is not bytes). */
  readonly bytes: number;
  /**
   * The job's chunks this unit carries, for progress: a Monte Carlo unit is a run of
   * consecutive chunks sent as one worker request. @default 1
   */
  readonly weight?: number;
}

/**
 * Runs one chunk on one worker and resolves with its parsed result; throws on any failure
 * (a WorkerAnswerError for a non-2xx or malformed answer). Must honour `signal`: the
 * runner aborts it on the attempt deadline or when the job ends, and stops waiting anyway.
 */
export type ChunkExecutor<P, R> = (chunk: JobChunk<P>, upstream: Upstream, signal: AbortSignal) => Promise<R>;

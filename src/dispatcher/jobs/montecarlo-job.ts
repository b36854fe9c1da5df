/**
 * Monte Carlo π as a dispatcher job. Chunk k covers montecarloChunkPoints(N, size, k)
 * points and is computed by a worker's `GET /montecarlo?points=P&seed=S&chunk=k` with a
 * generator seeded from (S, k) alone, so the sum of inside counts - an exact integer -
 * does not depend on which worker ran which chunk, in what order, or how often.
 */
import { montecarloChunkCount, montecarloChunkPoints } from '../../jobs/montecarlo.js';
import { upstreamRequest } from '../proxy/upstream-request.js';
import type { Upstream } from '../upstreams/upstream.js';
import { WorkerAnswerError, answerError } from './chunk-errors.js';
import type { JobChunk, JobDefinition } from './job-runner.js';

/** Largest answer to a chunk request that is read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A run of consecutive chunks of equal size, sent as one worker request. */
export interface MontecarloChunkPayload {
  /** Points of each chunk in the run. */
  readonly points: number;
  /** Index of the run's first chunk. */
  readonly first: number;
  readonly count: number;
}

export interface MontecarloJob extends JobDefinition<MontecarloChunkPayload, number> {
  /** Chunks of the job (its K): boundaries depend on N and the chunk size only. */
  readonly chunkCount: number;
  /** Points inside the quarter circle, summed over the chunks merged so far. */
  readonly inside: () => number;
}

export interface MontecarloJobOptions {
  readonly points: number;
  readonly chunkSize: number;
  /** Normalised seed; an unseeded request gets a fresh random one, the same for all its chunks. */
  readonly seed: string;
  /** Deadline of one chunk request (undici head/body timeouts). */
  readonly timeoutMs: number;
  /** X-Request-Id prefix for the chunk requests (the client's request id). */
  readonly requestId?: string;
  /** Most consecutive chunks per worker request. @default 1 */
  readonly chunksPerRequest?: number;
}

/**
 * Chunks per request for a job: round trips cost dispatcher and worker CPU that competes
 * with the compute threads, so consecutive chunks travel together - up to 8, but never
 * so many that a worker gets fewer than ~16 requests (load balance and retry granularity).
 */
export function chunksPerRequest(chunkCount: number, workers: number): number {
  return Math.max(1, Math.min(8, Math.floor(chunkCount / (Math.max(1, workers) * 16))));
}

export function montecarloJob(o: MontecarloJobOptions): MontecarloJob {
  const chunkCount = montecarloChunkCount(o.points, o.chunkSize);
  let inside = 0;
  // Chunk boundaries and seeds are the chunks' own; only their grouping into requests varies.
  const perRequest = Math.max(1, o.chunksPerRequest ?? 1);
  const full = o.points % o.chunkSize === 0 ? chunkCount : chunkCount - 1;
  function* chunks(): Generator<JobChunk<MontecarloChunkPayload>> {
    let index = 0;
    for (let k = 0; k < full; k += perRequest) {
      const count = Math.min(perRequest, full - k);
      yield { index: index++, payload: { points: o.chunkSize, first: k, count }, bytes: 0, weight: count };
    }
    if (full < chunkCount)
      yield { index: index++, payload: { points: montecarloChunkPoints(o.points, o.chunkSize, full), first: full, count: 1 }, bytes: 0 };
  }
  return {
    chunkCount,
    inside: () => inside,
    chunks: chunks(),
    execute: (chunk, upstream, signal) => requestChunk(upstream, chunk.payload, signal, o),
    merge: (n) => {
      inside += n;
    },
  };
}

async function requestChunk(
  upstream: Upstream,
  run: MontecarloChunkPayload,
  signal: AbortSignal,
  o: MontecarloJobOptions,
): Promise<number> {
  const { points, first: k, count } = run;
  const query = new URLSearchParams({ points: String(points), seed: o.seed, chunk: String(k) });
  if (count > 1) query.set('chunks', String(count));
  const res = await upstreamRequest(upstream, {
    method: 'GET',
    path: `/montecarlo?${query.toString()}`,
    headers: o.requestId !== undefined ? { 'x-request-id': chunkRequestId(o.requestId, k) } : undefined,
    signal,
    timeoutMs: o.timeoutMs,
    // A chunk's answer is a line of JSON; anything bigger is a broken or hostile worker.
    maxBytes: MAX_ANSWER_BYTES,
  });
  if (res.statusCode !== 200) throw await answerError(res.statusCode, res.body, upstream.id);
  const body = (await res.body.json()) as { inside_count?: unknown; total_points?: unknown; chunk?: unknown; chunks?: unknown };
  const inside = body.inside_count;
  const total = points * count;
  // A worker that computed something else (another chunk, another size) must not be merged.
  if (
    typeof inside !== 'number' ||
    !Number.isSafeInteger(inside) ||
    inside < 0 ||
    inside > total ||
    body.total_points !== total ||
    (body.chunk !== undefined && body.chunk !== k) ||
    (count > 1 && body.chunks !== count)
  ) {
    throw new WorkerAnswerError(502, undefined, `worker ${upstream.id} answered chunk ${k} with an unexpected body`);
  }
  return inside;
}

/** `<client id>:<chunk>`, kept within the 128 characters a worker accepts as an id. */
export function chunkRequestId(requestId: string, k: number): string {
  const suffix = `:c${k}`;
  return requestId.slice(0, 128 - suffix.length) + suffix;
}

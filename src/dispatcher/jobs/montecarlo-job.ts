/**
 * Monte Carlo π as a dispatcher job. Chunk k covers montecarloChunkPoints(N, size, k)
 * points and is computed by a worker's `GET /montecarlo?points=P&seed=S&chunk=k` with a
 * generator seeded from (S, k) alone, so the sum of inside counts - an exact integer -
 * does not depend on which worker ran which chunk, in what order, or how often.
 */
import { montecarloChunkCount, montecarloChunkPoints } from '../../worker/tasks/montecarlo.js';
import { upstreamRequest } from '../upstream-request.js';
import type { Upstream } from '../upstream.js';
import { WorkerAnswerError, answerError } from './chunk-errors.js';
import type { JobChunk, JobDefinition } from './job-runner.js';

export interface MontecarloChunkPayload {
  readonly points: number;
}

export interface MontecarloJob extends JobDefinition<MontecarloChunkPayload, number> {
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
}

export function montecarloJob(o: MontecarloJobOptions): MontecarloJob {
  const chunkCount = montecarloChunkCount(o.points, o.chunkSize);
  let inside = 0;
  function* chunks(): Generator<JobChunk<MontecarloChunkPayload>> {
    for (let k = 0; k < chunkCount; k++) yield { index: k, payload: { points: montecarloChunkPoints(o.points, o.chunkSize, k) }, bytes: 0 };
  }
  return {
    chunkCount,
    inside: () => inside,
    chunks: chunks(),
    execute: (chunk, upstream, signal) => requestChunk(upstream, chunk.payload.points, chunk.index, signal, o),
    merge: (n) => {
      inside += n;
    },
  };
}

async function requestChunk(upstream: Upstream, points: number, k: number, signal: AbortSignal, o: MontecarloJobOptions): Promise<number> {
  const query = new URLSearchParams({ points: String(points), seed: o.seed, chunk: String(k) });
  const res = await upstreamRequest(upstream, {
    method: 'GET',
    path: `/montecarlo?${query.toString()}`,
    headers: o.requestId !== undefined ? { 'x-request-id': chunkRequestId(o.requestId, k) } : undefined,
    signal,
    timeoutMs: o.timeoutMs,
  });
  if (res.statusCode !== 200) throw await answerError(res.statusCode, res.body, upstream.id);
  const body = (await res.body.json()) as { inside_count?: unknown; total_points?: unknown; chunk?: unknown };
  const inside = body.inside_count;
  // A worker that computed something else (another chunk, another size) must not be merged.
  if (typeof inside !== 'number' || !Number.isSafeInteger(inside) || inside < 0 || inside > points ||
      body.total_points !== points || (body.chunk !== undefined && body.chunk !== k)) {
    throw new WorkerAnswerError(502, undefined, `worker ${upstream.id} answered chunk ${k} with an unexpected body`);
  }
  return inside;
}

/** `<client id>:<chunk>`, kept within the 128 characters a worker accepts as an id. */
export function chunkRequestId(requestId: string, k: number): string {
  const suffix = `:c${k}`;
  return requestId.slice(0, 128 - suffix.length) + suffix;
}

/**
 * The dispatcher's job endpoints (SPEC §4): GET /montecarlo, POST /countwords and
 * GET /countwords?file=NAME. They validate, build a job, run it under the job registry
 * (progress on /status and the dashboard) and answer with the merged result.
 */
import type { Router } from '../../server/router.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { JSON_TYPE } from '../../server/response.js';
import { HttpError, httpError } from '../../common/errors.js';
import { countsToJsonBytes, topK } from '../../jobs/words.js';
import { openDataFile, validateFileName } from '../../data-files/index.js';
import { intParam, seedParam, textParam } from '../../jobs/params.js';
import { randomSeed } from '../../jobs/seeded-random.js';
import type { DispatcherContext } from '../context.js';
import type { JobTracker } from './job-registry.js';
import { countwordsJob } from './countwords-job.js';
import { runJob, type JobDefinition, type JobSummary } from './job-runner.js';
import { chunksPerRequest, montecarloJob } from './montecarlo-job.js';
import { montecarloChunkCount } from '../../jobs/montecarlo.js';

/** What the job routes use of the dispatcher (the whole DispatcherContext fits). */
export type JobContext = Pick<DispatcherContext, 'config' | 'upstreams' | 'policy' | 'jobs' | 'logger'>;

/** The same ranges as a worker's own /montecarlo and /countwords (SPEC §4). */
export const MONTECARLO_POINTS = Object.freeze({ min: 1, max: 1e10 });
export const TOP_K = Object.freeze({ min: 1, max: 100_000 });
/** Far beyond any useful job (1e10 points in 1e6-point chunks is 1e4), and it keeps the done-set small. */
export const MAX_MONTECARLO_CHUNKS = 10_000_000;

export function registerJobRoutes(router: Router, ctx: JobContext): void {
  router.get('/montecarlo', (req, res) => montecarlo(ctx, req, res));
  router.post('/countwords', (req, res) => countwordsBody(ctx, req, res), { maxBody: ctx.config.maxCountwordsBytes });
  router.get('/countwords', (req, res) => countwordsFile(ctx, req, res));
}

async function montecarlo(ctx: JobContext, req: HttpRequest, res: HttpResponse): Promise<void> {
  const points = intParam(req, 'points', MONTECARLO_POINTS);
  const seed = seedParam(req) ?? randomSeed();
  const chunkSize = ctx.config.montecarloChunk;
  if (Math.ceil(points / chunkSize) > MAX_MONTECARLO_CHUNKS) {
    throw httpError(
      'INVALID_PARAM',
      `points must be at most ${chunkSize * MAX_MONTECARLO_CHUNKS} with --montecarlo-chunk ${chunkSize} (${MAX_MONTECARLO_CHUNKS} chunks)`,
    );
  }
  const started = performance.now();
  const job = montecarloJob({
    points,
    seed,
    chunkSize,
    timeoutMs: ctx.config.upstreamTimeout,
    requestId: req.id,
    chunksPerRequest: chunksPerRequest(montecarloChunkCount(points, chunkSize), ctx.upstreams.available().length),
  });
  // Progress counts the job's chunks (K of the answer), not the worker requests they travel in.
  const summary = await runTracked(ctx, req, 'montecarlo', job.chunkCount, job);
  if (summary === undefined) return;
  const inside = job.inside();
  const pi = (4 * inside) / points;
  try {
    res.json(200, {
      pi,
      total_points: points,
      inside_count: inside,
      workers: summary.workers.size,
      chunks: job.chunkCount,
      duration_ms: Math.round(performance.now() - started),
    });
  } finally {
    summary.tracker.finish('done', { pi, total_points: points });
  }
}

async function countwordsBody(ctx: JobContext, req: HttpRequest, res: HttpResponse): Promise<void> {
  // Checked before reading: a bad ?top must not cost a 4 GiB upload.
  const top = topParam(req);
  await countwords(ctx, req, res, req.body, top);
}

async function countwordsFile(ctx: JobContext, req: HttpRequest, res: HttpResponse): Promise<void> {
  const name = validateFileName(textParam(req, 'file', { describe: 'the name of a file in the data dir' }));
  const top = topParam(req);
  const stream = await openDataFile(ctx.config.dataDir, name);
  try {
    await countwords(ctx, req, res, stream, top);
  } finally {
    stream.destroy();
  }
}

async function countwords(
  ctx: JobContext,
  req: HttpRequest,
  res: HttpResponse,
  input: AsyncIterable<Uint8Array>,
  top: number | undefined,
): Promise<void> {
  const job = countwordsJob({
    input,
    chunkBytes: ctx.config.countwordsChunk,
    maxWordBytes: ctx.config.maxWordBytes,
    maxDistinctWords: ctx.config.maxDistinctWords,
    timeoutMs: ctx.config.upstreamTimeout,
    requestId: req.id,
  });
  const summary = await runTracked(ctx, req, 'countwords', null, job);
  if (summary === undefined) return;
  try {
    if (top === undefined) res.send(200, countsToJsonBytes(job.counts), JSON_TYPE);
    else res.json(200, topK(job.counts, top));
  } finally {
    let total = 0;
    for (const n of job.counts.values()) total += n;
    summary.tracker.finish('done', { total_words: total, unique_words: job.counts.size });
  }
}

/**
 * Runs `job` registered on the job board; resolves undefined when the client went away
 * (nobody to answer). The caller marks the job done once its response is out.
 */
async function runTracked<P, R>(
  ctx: JobContext,
  req: HttpRequest,
  kind: string,
  total: number | null,
  job: JobDefinition<P, R>,
): Promise<(JobSummary & { tracker: JobTracker }) | undefined> {
  const tracker = ctx.jobs.begin(kind, total);
  const { config, logger } = ctx;
  const started = performance.now();
  logger.info({ event: 'job_start', job: tracker.id, kind, request_id: req.id, chunks_total: total }, 'job started');
  try {
    const summary = await runJob(job, {
      jobId: tracker.id,
      upstreams: ctx.upstreams,
      policy: ctx.policy,
      retries: config.retries,
      tryDurationMs: config.tryDuration,
      tryIntervalMs: config.tryInterval,
      attemptTimeoutMs: config.upstreamTimeout,
      signal: req.signal,
      logger,
      progress: tracker,
    });
    tracker.setState('merging');
    logger.info(
      {
        event: 'job_done',
        job: tracker.id,
        kind,
        chunks: summary.chunks,
        workers: [...summary.workers],
        duration_ms: Math.round(performance.now() - started),
      },
      'job finished',
    );
    return { ...summary, tracker };
  } catch (err) {
    tracker.finish(req.signal.aborted ? 'cancelled' : 'failed');
    if (req.signal.aborted) {
      logger.info({ event: 'job_cancelled', job: tracker.id, kind, request_id: req.id }, 'client went away; job cancelled');
      return undefined;
    }
    const fields = {
      event: 'job_failed',
      job: tracker.id,
      kind,
      request_id: req.id,
      error: err instanceof Error ? err.message : String(err),
    };
    // A 4xx is the client's doing (its body was cut, too large, too slow): worth a warning, not an error.
    if (err instanceof HttpError && err.status < 500) logger.warn(fields, 'job failed');
    else logger.error(fields, 'job failed');
    throw err;
  }
}

function topParam(req: HttpRequest): number | undefined {
  return req.query.has('top') ? intParam(req, 'top', TOP_K) : undefined;
}

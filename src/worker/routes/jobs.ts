/**
 * The worker side of the parallel jobs (SPEC §4): /montecarlo (a whole job spread over
 * the pool's threads, or one chunk of a dispatcher's job) and /countwords (a streamed
 * body or a data file, counted in the pool batch by batch).
 */
import type { Readable } from 'node:stream';
import { topK } from '../../jobs/words.js';
import { JSON_TYPE } from '../../server/response.js';
import { countWordsTable } from '../count-words-stream.js';
import { WORD_LINES_TYPE } from '../../jobs/word-lines.js';
import { openDataFile } from '../../data-files/index.js';
import { intParam, rangeText, seedParam, textParam } from '../../jobs/params.js';
import { runBounded } from '../run-bounded.js';
import { montecarloChunkCount, montecarloChunkPoints } from '../../jobs/montecarlo.js';
import { randomSeed, SEED_RULE } from '../../jobs/seeded-random.js';
import type { RouteDef, RouteGroup, WorkerContext } from '../context.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';

export const MONTECARLO_POINTS = Object.freeze({ min: 1, max: 1e10 });
export const MONTECARLO_CHUNK_INDEX = Object.freeze({ min: 0, max: Number.MAX_SAFE_INTEGER });
export const TOP_K = Object.freeze({ min: 1, max: 100_000 });
/** Consecutive chunks one `chunk=k` request may ask for (the dispatcher batches them). */
export const MONTECARLO_CHUNK_RUN = Object.freeze({ min: 1, max: 1000 });

async function montecarlo(ctx: WorkerContext, req: HttpRequest, res: HttpResponse): Promise<void> {
  const points = intParam(req, 'points', MONTECARLO_POINTS);
  const seed = seedParam(req);
  const started = performance.now();
  if (req.query.has('chunk')) {
    const chunk = intParam(req, 'chunk', MONTECARLO_CHUNK_INDEX);
    const count = req.query.has('chunks') ? intParam(req, 'chunks', MONTECARLO_CHUNK_RUN) : 1;
    const inside = await ctx.pool.run('montecarloChunk', { points, chunkIndex: chunk, seed, count }, { signal: req.signal });
    const total = points * count;
    res.json(200, { pi: (4 * inside) / total, total_points: total, inside_count: inside, workers: 1, chunk, chunks: count });
    return;
  }
  // The same chunks as the dispatcher would cut, so the same seed gives the same bits.
  const size = ctx.config.montecarloChunk;
  const chunks = montecarloChunkCount(points, size);
  const jobSeed = seed ?? randomSeed();
  let inside = 0;
  await runBounded(
    chunks,
    ctx.pool.stats().threads,
    async (k, signal) => {
      const n = await ctx.pool.run(
        'montecarloChunk',
        { points: montecarloChunkPoints(points, size, k), chunkIndex: k, seed: jobSeed },
        { signal },
      );
      // Added after the await: `inside += await …` would read `inside` before it and lose updates.
      inside += n;
    },
    req.signal,
  );
  res.json(200, {
    pi: (4 * inside) / points,
    total_points: points,
    inside_count: inside,
    workers: 1,
    chunks,
    duration_ms: Math.round(performance.now() - started),
  });
}

async function countwords(ctx: WorkerContext, req: HttpRequest, res: HttpResponse, source: Readable): Promise<void> {
  const top = req.query.has('top') ? intParam(req, 'top', TOP_K) : undefined;
  const { maxWordBytes, maxDistinctWords } = ctx.config;
  const table = await countWordsTable(source, ctx.pool, { signal: req.signal, maxWordBytes, maxDistinctWords });
  // The dispatcher asks for lines (jobs/word-lines.ts): no JSON, sorting or string per word.
  if (top === undefined && acceptsWordLines(req)) await ctx.compression.send(req, res, 200, table.lines(), WORD_LINES_TYPE);
  else if (top === undefined) await ctx.compression.send(req, res, 200, table.json(), JSON_TYPE);
  else await ctx.compression.json(req, res, 200, topK(table.toMap(), top));
}

function acceptsWordLines(req: HttpRequest): boolean {
  return req.headers.get('accept')?.toLowerCase().includes(WORD_LINES_TYPE) === true;
}

const TOP_DOC = `optional integer in ${rangeText(TOP_K)}: the K most frequent words instead of the whole map`;

export const jobRoutes: RouteGroup = (ctx): RouteDef[] => [
  {
    methods: ['GET'],
    path: '/montecarlo',
    handler: (req, res) => montecarlo(ctx, req, res),
    doc: {
      summary: 'Estimates π from `points` random points, split into --montecarlo-chunk chunks run in parallel on the pool.',
      params: {
        points: `integer in ${rangeText(MONTECARLO_POINTS)} (required)`,
        seed: `optional; ${SEED_RULE}; the same seed gives the same result`,
        chunk: 'optional integer ≥ 0: compute only chunk k (of `points` points) of the seeded job, as the dispatcher asks',
        chunks: 'with chunk: compute chunks k … k+chunks-1 (each of `points` points) in one request, integer in [1, 1000]; default 1',
      },
    },
  },
  {
    methods: ['POST'],
    path: '/countwords',
    maxBody: ctx.config.maxCountwordsBytes,
    handler: async (req, res) => {
      // Validate before reading: a bad ?top must not cost a 4 GiB upload.
      if (req.query.has('top')) intParam(req, 'top', TOP_K);
      await countwords(ctx, req, res, req.body);
    },
    doc: {
      summary:
        'Counts the words of the body (streamed; any size up to --max-countwords-bytes, words up to --max-word-bytes, at most --max-distinct-words distinct). With Accept: application/vnd.dhttp.word-counts (as the dispatcher asks for its chunks), `word count` lines instead of JSON.',
      params: { top: TOP_DOC },
      body: 'UTF-8 text, Content-Length or chunked',
    },
  },
  {
    methods: ['GET'],
    path: '/countwords',
    handler: async (req, res) => {
      const name = textParam(req, 'file', { describe: 'the name of a file in the data dir' });
      if (req.query.has('top')) intParam(req, 'top', TOP_K);
      const stream = await openDataFile(ctx.config.dataDir, name);
      try {
        await countwords(ctx, req, res, stream);
      } finally {
        stream.destroy();
      }
    },
    doc: { summary: 'Counts the words of a data-dir file.', params: { file: 'data file name (required)', top: TOP_DOC } },
  },
];

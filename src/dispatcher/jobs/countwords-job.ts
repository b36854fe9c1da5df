/**
 * Word count as a dispatcher job. The input (a request body or a data file) is read as a
 * stream and cut by a Chunker at word boundaries only, so each chunk's counts add up to
 * the whole text's; each chunk is POSTed to a worker's /countwords as soon as it is full.
 * The runner pulls the next chunk only when a slot is free, and the stream is read only as
 * chunks are pulled: a fast client is slowed by TCP backpressure, not buffered.
 */
import { WordChunker, type Chunker } from '../../jobs/word-chunker.js';
import { addWordLines, parseWordLines, WORD_LINES_TYPE, type WordLines } from '../../jobs/word-lines.js';
import { tooManyWords, type WordCounts } from '../../jobs/words.js';
import { WordTable } from '../../jobs/words-table.js';
import { upstreamRequest } from '../proxy/upstream-request.js';
import type { Upstream } from '../upstreams/upstream.js';
import { WorkerAnswerError, answerError } from './chunk-errors.js';
import type { JobDefinition } from './job-runner.js';
import type { JobChunk } from './job-types.js';
import { chunkRequestId } from './montecarlo-job.js';

/**
 * The largest honest answer to a chunk of `n` bytes: every word at most 2 bytes plus its
 * separator, each written as `"w":1,` (≤ 12 bytes with escaping of a 2-byte word), plus
 * slack. A worker that sends more is broken or hostile: its answer is cut off there.
 */
function maxAnswerBytes(n: number): number {
  return 4 * n + 64 * 1024;
}

/** A worker's answer for one chunk, already checked. */
type ChunkCounts = WordLines;

export interface CountwordsJob extends JobDefinition<Buffer, ChunkCounts> {
  /** The merged counts; read once the runner resolved (the first read makes the map). */
  readonly counts: WordCounts;
}

export interface CountwordsJobOptions {
  /** The text, read lazily (a request body, a file stream). */
  readonly input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Preferred chunk size; a chunk holding one long word is as long as that word. */
  readonly chunkBytes: number;
  /** A longer word fails the job with 413 before its chunk grows further. @default Infinity */
  readonly maxWordBytes?: number;
  /** More distinct words in the merged counts fail the job with 413. @default Infinity */
  readonly maxDistinctWords?: number;
  /** Deadline of one chunk request (undici head/body timeouts). */
  readonly timeoutMs: number;
  readonly requestId?: string;
  /** @default a WordChunker of `chunkBytes` and `maxWordBytes` */
  readonly chunker?: Chunker;
}

export function countwordsJob(o: CountwordsJobOptions): CountwordsJob {
  // Added up by their bytes, as a worker adds up its threads' counts: a string per word only
  // once, for the answer.
  const table = new WordTable();
  let counts: WordCounts | undefined;
  return {
    get counts(): WordCounts {
      counts ??= table.toMap();
      return counts;
    },
    chunks: byteChunks(o.input, o.chunker ?? new WordChunker({ targetBytes: o.chunkBytes, maxWordBytes: o.maxWordBytes })),
    execute: (chunk, upstream, signal) => countChunk(upstream, chunk, signal, o),
    merge: (result) => {
      addWordLines(table, result);
      // Keys that lower-case alike (CAFÉ, café) may still be apart here: size can only overcount.
      if (o.maxDistinctWords !== undefined && table.size > o.maxDistinctWords) throw tooManyWords(o.maxDistinctWords);
    },
  };
}

/** The input cut into numbered chunks; nothing is read until a chunk is asked for. */
export async function* byteChunks(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  chunker: Chunker,
): AsyncGenerator<JobChunk<Buffer>> {
  let index = 0;
  for await (const piece of input) {
    for (const c of chunker.push(piece)) yield { index: index++, payload: c, bytes: c.length };
  }
  const last = chunker.end();
  if (last !== null) yield { index: index++, payload: last, bytes: last.length };
}

async function countChunk(upstream: Upstream, chunk: JobChunk<Buffer>, signal: AbortSignal, o: CountwordsJobOptions): Promise<ChunkCounts> {
  // Lines (jobs/word-lines.ts) from workers that know them, JSON from any other.
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    accept: `${WORD_LINES_TYPE}, application/json;q=0.5`,
  };
  if (o.requestId !== undefined) headers['x-request-id'] = chunkRequestId(o.requestId, chunk.index);
  const res = await upstreamRequest(upstream, {
    method: 'POST',
    path: '/countwords',
    headers,
    body: chunk.payload,
    signal,
    timeoutMs: o.timeoutMs,
    maxBytes: maxAnswerBytes(chunk.payload.length),
  });
  if (res.statusCode !== 200) throw await answerError(res.statusCode, res.body, upstream.id);
  const type = res.headers['content-type'];
  const bytes = await res.body.bytes();
  const counts =
    typeof type === 'string' && type.toLowerCase().startsWith(WORD_LINES_TYPE)
      ? parseWordLines(bytes)
      : parseCounts(bytes.toString('utf8'));
  if (counts === undefined) {
    throw new WorkerAnswerError(
      502,
      undefined,
      `worker ${upstream.id} answered chunk ${chunk.index} with something other than word counts`,
    );
  }
  return counts;
}

/**
 * A JSON word → count object as checked lines, or undefined when the text is anything else
 * (a key holding a space or a control character is no word). Checked before merging, so a
 * bad answer is retried instead of half-merged.
 */
export function parseCounts(text: string): ChunkCounts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  const lines: string[] = [];
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return undefined;
    lines.push(`${key} ${v}\n`);
  }
  return parseWordLines(Buffer.from(lines.join('')));
}

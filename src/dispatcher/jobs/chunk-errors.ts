/**
 * How a chunk attempt can fail, beyond the transport errors retry.ts classifies: the
 * worker answered, but not with a usable result. The verdict decides what the chunk
 * dispatcher does next (see chunk-dispatch.ts).
 */
import { classify, describeError } from '../proxy/retry.js';

/**
 * - `busy`: the worker is overloaded (503 QUEUE_FULL, 429): nothing is wrong with it, so the
 *   chunk waits a little and goes to whichever worker is free; no retry is spent.
 * - `connect`: nothing reached the worker; it is marked down, no retry is spent.
 * - `failed`: the worker broke on this chunk (reset, timeout, 5xx, an unreadable answer):
 *   try another worker, spending one retry.
 * - `fatal`: the worker refused the chunk as bad (4xx): every worker would, so the job fails.
 * - `aborted`: the job itself was cancelled (client gone, another chunk failed).
 */
export type ChunkVerdict = 'busy' | 'connect' | 'failed' | 'fatal' | 'aborted';

/** A worker's non-2xx answer, or a 2xx answer that is not the promised result. */
export class WorkerAnswerError extends Error {
  constructor(
    readonly status: number,
    /** The SPEC §2 error code from the answer's body, when it had one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerAnswerError';
  }
}

const BUSY_CODES = new Set(['QUEUE_FULL', 'RATE_LIMITED']);

export function chunkVerdict(err: unknown, jobAborted: boolean): ChunkVerdict {
  if (jobAborted) return 'aborted';
  if (err instanceof WorkerAnswerError) {
    if (err.status === 429 || (err.status === 503 && err.code !== undefined && BUSY_CODES.has(err.code))) return 'busy';
    if (err.status >= 400 && err.status < 500) return 'fatal';
    return 'failed';
  }
  const kind = classify(err);
  if (kind === 'connect') return 'connect';
  if (kind === 'busy') return 'busy';
  // A chunk is a pure function of bytes the dispatcher still holds, so unlike a forwarded
  // request every other failure can be replayed, whatever the method.
  return 'failed';
}

/** Whether a failure was the worker being slow (turns a final 502 into a 504). */
export function isTimeout(err: unknown): boolean {
  return !(err instanceof WorkerAnswerError) && classify(err) === 'timeout';
}

/** Reads a non-2xx answer into a WorkerAnswerError (the body is consumed). */
export async function answerError(status: number, body: { text(): Promise<string> }, workerId: string): Promise<WorkerAnswerError> {
  const text = await body.text().catch(() => '');
  let code: string | undefined;
  let message = text.slice(0, 200);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // Not the SPEC §2 JSON: keep the raw text.
  }
  return new WorkerAnswerError(status, code, `worker ${workerId} answered ${status}${code ? ` ${code}` : ''}: ${message}`);
}

export function describeChunkError(err: unknown): string {
  return err instanceof WorkerAnswerError ? err.message : describeError(err);
}

/**
 * The raw client's failures, coded like undici's so `classify` in retry.ts needs no
 * second vocabulary: whichever client is selected, a failure means the same thing.
 * Errors from the socket itself (ECONNREFUSED, ECONNRESET, EPIPE…) are passed on as Node
 * gives them.
 */
import type { AbortLike } from '../common/light-signal.js';

export type RawErrorCode =
  | 'UND_ERR_CONNECT_TIMEOUT'
  | 'UND_ERR_HEADERS_TIMEOUT'
  | 'UND_ERR_BODY_TIMEOUT'
  | 'UND_ERR_SOCKET'
  | 'UND_ERR_CLOSED'
  | 'UND_ERR_DESTROYED'
  | 'UND_ERR_ABORTED'
  | 'UND_ERR_INVALID_ARG'
  | 'HPE_INVALID_RESPONSE';

export class RawClientError extends Error {
  readonly code: RawErrorCode;

  constructor(code: RawErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code === 'UND_ERR_ABORTED' ? 'AbortError' : 'RawClientError';
    this.code = code;
  }
}

/**
 * A pipelined request handed back unanswered (RawConnection.passMany): its connection ended,
 * or was given up, before its turn. `workerFailed`: the connection failed (a reset, the worker
 * died); otherwise nothing went wrong on the worker's side - it closed in order after an
 * earlier answer (`Connection: close`, so it never read this request), or the relaying side
 * gave the connection up.
 */
export class UnansweredError extends RawClientError {
  readonly workerFailed: boolean;

  constructor(message: string, workerFailed: boolean, cause?: unknown) {
    super('UND_ERR_SOCKET', message, cause === undefined ? undefined : { cause });
    this.workerFailed = workerFailed;
  }
}

export function rawError(code: RawErrorCode, message: string, cause?: unknown): RawClientError {
  return new RawClientError(code, message, cause === undefined ? undefined : { cause });
}

/** What an aborted request rejects with: the signal's reason, as undici does. */
export function abortReason(signal: AbortLike): unknown {
  return signal.reason ?? rawError('UND_ERR_ABORTED', 'Request aborted');
}

const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/**
 * A failure on a connection before any response byte arrived. On a reused (idle) one the
 * worker most likely closed it as we wrote: whatever Node reports, it is a reset, which
 * the forwarder retries.
 */
export function beforeResponseError(err: unknown, reused: boolean): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RESET_CODES.has(code)) return err;
  if (!reused && err !== undefined) return err;
  return rawError('UND_ERR_SOCKET', reused ? 'reused connection closed before the response' : 'other side closed', err);
}

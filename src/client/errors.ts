/**
 * The upstream client's failures, each with a stable code. Errors of the socket itself
 * (ECONNREFUSED, ECONNRESET, EPIPE…) are passed on as Node gives them; the retry rule
 * (src/dispatcher/proxy/retry.ts) classes both vocabularies.
 */
import type { AbortLike } from '../common/light-signal.js';

export type ClientErrorCode =
  /** TCP (or TLS) connect did not finish in time. */
  | 'CONNECT_TIMEOUT'
  /** No response head within the headers timeout after the request was written. */
  | 'HEADERS_TIMEOUT'
  /** No body bytes for the body timeout (while the consumer was not the one pausing). */
  | 'BODY_TIMEOUT'
  /** The whole exchange exceeded its deadline. */
  | 'DEADLINE'
  /** The connection closed or reset under the exchange. */
  | 'SOCKET'
  /** The pool is closed. */
  | 'CLOSED'
  /**
   * The pool's owner cut its connections (the dispatcher's health check found the worker
   * unreachable): the exchange may or may not have reached it, like a reset, but the
   * request itself did nothing to the worker.
   */
  | 'CUT'
  /** The caller gave up. */
  | 'ABORTED'
  /** The answer breaks HTTP/1.1 framing (or comes when nothing was asked). */
  | 'BAD_RESPONSE'
  /** The answer's body is larger than the caller allows. */
  | 'TOO_LARGE'
  /** Every connection stayed busy for the queue timeout. */
  | 'QUEUE_TIMEOUT'
  /** A pipelined request handed back before it was answered (see UnansweredError). */
  | 'UNANSWERED';

export class ClientError extends Error {
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code === 'ABORTED' ? 'AbortError' : 'ClientError';
    this.code = code;
  }
}

/**
 * A pipelined request handed back unanswered: its connection ended, or was given up,
 * before its turn. `workerFailed`: the connection failed (a reset, the worker died);
 * otherwise nothing went wrong on the worker's side - it closed in order after an earlier
 * answer (`Connection: close`, so it never read this request), an earlier answer had no
 * body (a pipeline ends there), or the relaying side gave the connection up.
 */
export class UnansweredError extends ClientError {
  readonly workerFailed: boolean;

  constructor(message: string, workerFailed: boolean, cause?: unknown) {
    super('UNANSWERED', message, cause === undefined ? undefined : { cause });
    this.workerFailed = workerFailed;
  }
}

export function clientError(code: ClientErrorCode, message: string, cause?: unknown): ClientError {
  return new ClientError(code, message, cause === undefined ? undefined : { cause });
}

/** What an aborted request fails with: the signal's reason, or an ABORTED error. */
export function abortReason(signal: AbortLike): unknown {
  return signal.reason ?? clientError('ABORTED', 'request aborted');
}

const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'SOCKET', 'CUT']);

/**
 * A failure on a connection before any response byte arrived. On a reused (idle) one the
 * worker most likely closed it as we wrote: whatever Node reports, it is a reset, which
 * the retry rule retries.
 */
export function beforeResponseError(err: unknown, reused: boolean): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RESET_CODES.has(code)) return err;
  if (!reused && err !== undefined) return err;
  return clientError('SOCKET', reused ? 'reused connection closed before the response' : 'other side closed', err);
}

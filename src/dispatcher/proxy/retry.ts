/**
 * The one retry rule of the dispatcher (STYLE habit 5): what is retryable, how often,
 * for how long. Every forwarded request (whatever its method or body) and every job chunk
 * asks it, with one budget and one set of tried workers per request.
 *
 * What:
 *  - nothing is retried once response bytes reached the client;
 *  - a *connect* failure (refused, unreachable, connect timeout) is always retried on
 *    another upstream: nothing reached the worker; so is *busy* (no connection of that
 *    worker came free within the queue timeout: nothing was sent) and a pipelined request
 *    handed back unanswered;
 *  - a *reset* (ECONNRESET, EPIPE, socket closed) before any byte of the upstream's
 *    response is retried for every method (SPEC §5) when the request had no body; a
 *    request whose body reached the worker may have been acted on, so it is retried only
 *    if its method is idempotent and its body can be sent again (buffered, not streamed);
 *  - anything else (response timeout, a malformed answer, a reset after the answer began,
 *    …) is retried only for idempotent methods, with the same condition on the body;
 *  - failures caused by the client (its body errored, it went away) are never retried.
 * How often / how long: `retries` bounds retries after failures that reached a worker;
 * connect and busy failures, and requests handed back through no fault of the worker, do
 * not spend it (each failed upstream is excluded, so they are bounded by the number of
 * upstreams); nor do attempts cut because the health check found their worker
 * unreachable (CUT: the worker is marked down and excluded; when every worker is, the
 * request is held like one that arrived then). A dispatcher whose own link flaps sees
 * every in-flight attempt cut once per flap, which would otherwise spend the budget of a
 * request that did nothing wrong. (A request that itself stalled its worker's event loop
 * would be bounded by `tryDurationMs` alone; workers keep CPU work in their compute pool,
 * off that loop, so a worker that stops answering is the network or its host far more
 * often than one request.) Everything is bounded by `tryDurationMs`, which is also
 * how long a request is held while no upstream is available, re-checking every
 * `tryIntervalMs`.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

export type FailureKind = 'connect' | 'busy' | 'reset' | 'timeout' | 'bad_response' | 'client' | 'other';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'SOCKET', 'CLOSED', 'CUT', 'UNANSWERED']);
const TIMEOUT_CODES = new Set(['HEADERS_TIMEOUT', 'BODY_TIMEOUT', 'DEADLINE']);
const BAD_RESPONSE_CODES = new Set(['BAD_RESPONSE', 'TOO_LARGE']);

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Marks an error as the client's doing (its body failed, it went away): never retried. */
export class ClientSideError extends Error {
  constructor(readonly original: unknown) {
    super('client side failure', { cause: original });
    this.name = 'ClientSideError';
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function classify(err: unknown): FailureKind {
  if (err instanceof ClientSideError) return 'client';
  // Happy Eyeballs (autoSelectFamily) reports every failed address in an AggregateError.
  if (err instanceof AggregateError && err.errors.length > 0 && err.errors.every((e) => classify(e) === 'connect')) {
    return 'connect';
  }
  const code = errorCode(err);
  if (code !== undefined) {
    if (CONNECT_CODES.has(code)) return 'connect';
    if (RESET_CODES.has(code)) return 'reset';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (BAD_RESPONSE_CODES.has(code)) return 'bad_response';
    if (code === 'QUEUE_TIMEOUT') return 'busy';
  }
  if (err instanceof Error && err.name === 'TimeoutError') return 'timeout';
  return 'other';
}

export interface AttemptState {
  method: string;
  /** Bytes of the response (even just its head) were sent to the client. */
  responseStarted: boolean;
  /** Body bytes were written to the worker in this attempt. */
  bodySent?: boolean;
  /** The request body cannot be sent again: a streamed body whose sending began. */
  bodySpent: boolean;
  /** The upstream's response head had arrived when the failure happened. */
  upstreamResponded?: boolean;
}

/** The rule (see the file comment). */
export function isRetryable(err: unknown, state: AttemptState): boolean {
  if (state.responseStarted) return false;
  const kind = classify(err);
  if (kind === 'client') return false;
  if (kind === 'connect' || kind === 'busy') return true;
  if (state.bodySpent) return false;
  const idempotent = IDEMPOTENT_METHODS.has(state.method.toUpperCase());
  if (kind === 'reset' && !(state.upstreamResponded ?? false) && !(state.bodySent ?? false)) return true;
  return idempotent;
}

/**
 * Whether the failure is the worker's: counted on it (and logged). Not the client's doing,
 * not a saturated pool (busy), not a pipelined request handed back in order.
 */
export function isWorkerFault(err: unknown): boolean {
  const kind = classify(err);
  if (kind === 'client' || kind === 'busy') return false;
  return !(
    err instanceof Error &&
    (err as { code?: unknown }).code === 'UNANSWERED' &&
    (err as { workerFailed?: boolean }).workerFailed === false
  );
}

/** Whether the attempt (or the one a pipelined request waited behind) was cut on a health verdict. */
function wasCut(err: unknown): boolean {
  const code = errorCode(err);
  if (code === 'CUT') return true;
  return code === 'UNANSWERED' && err instanceof Error && errorCode(err.cause) === 'CUT';
}

/**
 * Whether retrying after this failure spends the budget: a worker's fault that reached it
 * (not a refused connect, not a connection cut on a health verdict).
 */
export function spendsBudget(err: unknown): boolean {
  return isWorkerFault(err) && classify(err) !== 'connect' && !wasCut(err);
}

export interface RetryOptions {
  /** Retries after failures that reached a worker. @default 2 */
  retries?: number;
  /** Upper bound on all retrying and holding, per request; 0 = no holding. @default 30000 */
  tryDurationMs?: number;
  /** How often a held request re-checks for an available upstream. @default 10 */
  tryIntervalMs?: number;
}

export const RETRY_DEFAULTS = Object.freeze({ retries: 2, tryDurationMs: 30_000, tryIntervalMs: 10 } satisfies Required<RetryOptions>);

export type Clock = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

const defaultSleep: Sleep = (ms, signal) => sleepFor(ms, undefined, { signal });

/** The retry budget of one request. */
export class RetryBudget {
  readonly #opts: Required<RetryOptions>;
  readonly #clock: Clock;
  readonly #startedAt: number;
  #retriesUsed = 0;

  constructor(options: RetryOptions = {}, clock: Clock = () => performance.now()) {
    this.#opts = {
      retries: options.retries ?? RETRY_DEFAULTS.retries,
      tryDurationMs: options.tryDurationMs ?? RETRY_DEFAULTS.tryDurationMs,
      tryIntervalMs: options.tryIntervalMs ?? RETRY_DEFAULTS.tryIntervalMs,
    };
    this.#clock = clock;
    this.#startedAt = clock();
  }

  get elapsedMs(): number {
    return this.#clock() - this.#startedAt;
  }

  get retriesUsed(): number {
    return this.#retriesUsed;
  }

  /**
   * Records a retryable failure; `charged`: it spends a retry (see spendsBudget). True if
   * another attempt may follow. With `tryDurationMs` 0, only the count bounds retries.
   */
  spend(charged: boolean): boolean {
    if (charged) this.#retriesUsed++;
    if (this.#retriesUsed > this.#opts.retries) return false;
    return this.#opts.tryDurationMs === 0 || this.elapsedMs < this.#opts.tryDurationMs;
  }

  /**
   * Holds while `isAvailable()` is false, re-checking every `tryIntervalMs`. Resolves true
   * once available, false when `tryDurationMs` is spent or `signal` aborts.
   */
  async hold(isAvailable: () => boolean, signal?: AbortSignal, sleep: Sleep = defaultSleep): Promise<boolean> {
    const { tryDurationMs, tryIntervalMs } = this.#opts;
    const interval = Math.max(1, tryIntervalMs);
    // Bounded even under a fake clock that never advances.
    const maxRounds = Math.ceil(tryDurationMs / interval) + 1;
    for (let round = 0; round <= maxRounds; round++) {
      if (isAvailable()) return true;
      if (signal?.aborted || this.elapsedMs + interval > tryDurationMs) return false;
      try {
        await sleep(interval, signal);
      } catch {
        return false; // aborted
      }
    }
    return isAvailable();
  }
}

/** A short `CODE: message` for logs and error messages. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = errorCode(err);
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * The one interface between the client's connections and whoever consumes an answer
 * (after undici's dispatcher handler: headers, data, complete, error). The promise API
 * (request.ts) is one handler; the dispatcher's relay another; pipelining is a queue of
 * handlers on one connection.
 */
import type { ResponseHead } from '../codec/response-head.js';

export interface ResponseHandler {
  /**
   * Deliver the body as the worker framed it (a relay) rather than its payload. Fixed for
   * the exchange, read when it starts.
   */
  readonly raw: boolean;
  /**
   * The final head. `body`: in raw mode, the body bytes that came with it (a view of a
   * reused buffer: use it at once). `complete`: nothing more follows. Return false to
   * pause reading until `control.resume()`.
   */
  onHead(head: ResponseHead, body: Buffer | undefined, complete: boolean): boolean;
  /** Body bytes (a view of a reused buffer: copy to keep). `complete`: the last. False pauses. */
  onData(data: Buffer, complete: boolean): boolean;
  /**
   * The exchange failed; `headSeen`: onHead was called already. Called at most once, and
   * never after the last onData.
   */
  onError(err: unknown, headSeen: boolean): void;
}

/** The consumer's handle on its exchange; bound to it (calls after it ended do nothing). */
export interface ExchangeControl {
  /** Reads on after onHead/onData asked to pause. */
  resume(): void;
  /** Gives up: an exchange being answered closes its connection; a queued one is dropped. */
  abort(): void;
}

/** What one exchange asks of a connection. */
export interface ExchangeOptions {
  readonly method: string;
  /** Longest wait from the request being written to its head; 0: none. */
  readonly headersTimeoutMs: number;
  /** Longest silence between body bytes (not counting pauses the consumer asked for); 0: none. */
  readonly bodyTimeoutMs: number;
  /** The request asks to switch protocols (a 101 is then its final answer). */
  readonly upgrade?: boolean;
}

/**
 * Every error dhttp answers with, in one place (STYLE habit 1). Handlers throw
 * `httpError(code, message)`; the HTTP server turns it into the JSON of SPEC §2.
 * docs/errors.md is checked against this table by test/common/errors-doc.test.ts.
 */
import { ProtocolError } from '../codec/errors.js';

export interface ErrorDef {
  readonly status: number;
  /** What the code means, for docs/errors.md. */
  readonly meaning: string;
}

export const ERRORS = Object.freeze({
  BAD_REQUEST: { status: 400, meaning: 'Malformed request line, headers or body framing.' },
  INVALID_PARAM: { status: 400, meaning: 'A parameter is out of range or malformed; the message gives the allowed range.' },
  MISSING_PARAM: { status: 400, meaning: 'A required parameter is absent.' },
  INVALID_BODY: { status: 400, meaning: 'The request body is not what the endpoint accepts (e.g. bad JSON).' },
  INVALID_NAME: { status: 400, meaning: 'A file name is not allowed (contains /, \\, .., NUL or starts with a dot).' },
  UNAUTHORIZED: {
    status: 401,
    meaning:
      'Dispatcher: registration needs the cluster token (`Authorization: Bearer <token>`); it was missing or wrong. Has `WWW-Authenticate: Bearer`.',
  },
  FORBIDDEN: { status: 403, meaning: 'The path resolves outside the served root.' },
  REGISTRATION_DISABLED: { status: 403, meaning: 'Dispatcher: no --cluster-token is configured, so it accepts no registration.' },
  OWN_ADDRESS: { status: 403, meaning: "Dispatcher: the registered address is the dispatcher's own; forwarding there would loop." },
  NOT_FOUND: { status: 404, meaning: 'No route or file at this path.' },
  FILE_NOT_FOUND: { status: 404, meaning: 'The named data file does not exist.' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The path exists but not for this method; see the Allow header.' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'The client was too slow sending the request head or body.' },
  LENGTH_REQUIRED: { status: 411, meaning: 'The endpoint needs a body with Content-Length or chunked framing.' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning:
      'The body is larger than the configured limit, or a /countwords text has a word longer than --max-word-bytes or more than --max-distinct-words distinct words.',
  },
  URI_TOO_LONG: { status: 414, meaning: 'The request-target is longer than --max-uri.' },
  RANGE_NOT_SATISFIABLE: { status: 416, meaning: 'The Range header selects no byte of the file.' },
  NOT_REGISTERED: {
    status: 409,
    meaning:
      'Dispatcher: that address or worker was not added by registration (it is fixed, discovered or embedded); a registration cannot take it over or remove it.',
  },
  EXPECTATION_FAILED: { status: 417, meaning: 'The Expect header holds something other than 100-continue.' },
  UPGRADE_REQUIRED: {
    status: 426,
    meaning: 'The endpoint speaks WebSocket only (GET with Upgrade: websocket, Sec-WebSocket-Version: 13).',
  },
  RATE_LIMITED: { status: 429, meaning: 'The client exceeded its token-bucket rate limit; see Retry-After.' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'The header section exceeds --max-header-bytes or --max-headers.' },
  INTERNAL: { status: 500, meaning: 'An unexpected server error; logged with the request id.' },
  NOT_IMPLEMENTED: { status: 501, meaning: 'Unknown Transfer-Encoding or method.' },
  BAD_GATEWAY: { status: 502, meaning: 'Dispatcher: every eligible worker failed, after retries.' },
  QUEUE_FULL: { status: 503, meaning: 'The compute queue is full; see Retry-After.' },
  UPSTREAM_BUSY: {
    status: 503,
    meaning: 'Dispatcher: every connection to the chosen workers stayed busy for --upstream-queue-timeout; see Retry-After.',
  },
  NO_WORKER: { status: 503, meaning: 'Dispatcher: no worker became available within --try-duration; see Retry-After.' },
  REGISTRY_FULL: { status: 503, meaning: 'Dispatcher: --max-registered workers are registered already; see Retry-After.' },
  SHUTTING_DOWN: { status: 503, meaning: 'The server is draining for shutdown.' },
  GATEWAY_TIMEOUT: { status: 504, meaning: 'Dispatcher: the worker did not answer in time, after retries.' },
  TASK_TIMEOUT: { status: 504, meaning: 'A compute task exceeded its time limit; its thread was recycled.' },
  VERSION_NOT_SUPPORTED: { status: 505, meaning: 'HTTP major version other than 1.' },
  LOOP_DETECTED: {
    status: 508,
    meaning:
      "Dispatcher: the request already passed through this dispatcher (its Via field holds the dispatcher's mark); forwarding it again would loop.",
  },
} satisfies Record<string, ErrorDef>);

export type ErrorCode = keyof typeof ERRORS;

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers, e.g. Allow or Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = headers;
  }
}

export function httpError(code: ErrorCode, message: string, headers?: Record<string, string>): HttpError {
  return new HttpError(code, message, headers);
}

/** The SPEC §2 body. */
export function errorBody(code: string, message: string, requestId: string): string {
  return JSON.stringify({ error: { code, message }, request_id: requestId });
}

/**
 * The HttpError to answer `err` with: itself, or a codec ProtocolError under its code (a
 * peer's broken answer is the dispatcher's 502); undefined for anything else.
 */
export function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof ProtocolError) return new HttpError(err.code === 'BAD_RESPONSE' ? 'BAD_GATEWAY' : err.code, err.message);
  return undefined;
}

/**
 * What the codec throws when bytes break HTTP/1.1. The codes name what the server answers
 * (the same names as src/common/errors.ts, which turns them into SPEC §2 responses);
 * `BAD_RESPONSE` is a peer's answer that breaks framing (a 502 for a proxy).
 */
export type ProtocolErrorCode =
  | 'BAD_REQUEST'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_IMPLEMENTED'
  | 'EXPECTATION_FAILED'
  | 'VERSION_NOT_SUPPORTED'
  | 'BAD_RESPONSE';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function protocolError(code: ProtocolErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

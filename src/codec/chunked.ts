/**
 * Decoder of the chunked transfer coding (RFC 9112 §7.1), fed with whatever bytes have
 * arrived. Strict on purpose: bare LF/CR, whitespace before an extension, missing CRLF
 * after data and oversized sizes are all errors, because lenient chunk parsing is where
 * request smuggling lives. Trailer fields are validated and discarded.
 */
import { protocolError } from './errors.js';
import { CR, FIELD_VALUE, LF, TOKEN } from './chars.js';

const enum State {
  Size,
  Data,
  DataEnd,
  Trailers,
  Done,
}

const SEMI = 0x3b;
const COLON = 0x3a;
/** 13 hex digits = 2^52: beyond any body we accept, and still an exact JS number. */
const MAX_SIZE_DIGITS = 13;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export interface ChunkedLimits {
  maxChunkLineBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
}

export class ChunkedDecoder {
  #state = State.Size;
  #remaining = 0;
  #trailerBytes = 0;
  #trailerCount = 0;
  readonly #limits: ChunkedLimits;

  constructor(limits: ChunkedLimits) {
    this.#limits = limits;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Consumes bytes from buf[start..]; calls onData with each piece of body data (a view
   * into buf). Returns the offset up to which bytes were consumed; the caller keeps the
   * rest and calls again with more. Throws a ProtocolError on a framing violation.
   */
  feed(buf: Buffer, start: number, onData: (data: Buffer) => void): number {
    let pos = start;
    const len = buf.length;
    while (pos < len) {
      switch (this.#state) {
        case State.Size: {
          const lf = buf.indexOf(LF, pos);
          if (lf === -1) {
            if (len - pos > this.#limits.maxChunkLineBytes) throw protocolError('BAD_REQUEST', 'chunk-size line too long');
            return pos;
          }
          if (lf - pos > this.#limits.maxChunkLineBytes) throw protocolError('BAD_REQUEST', 'chunk-size line too long');
          if (lf === pos || buf[lf - 1] !== CR) throw protocolError('BAD_REQUEST', 'chunk-size line must end with CRLF');
          const end = lf - 1;
          let size = 0;
          let d = pos;
          while (d < end) {
            const h = hexValue(buf[d]);
            if (h < 0) break;
            size = size * 16 + h;
            d++;
          }
          if (d === pos) throw protocolError('BAD_REQUEST', 'invalid chunk size');
          if (d - pos > MAX_SIZE_DIGITS) throw protocolError('BAD_REQUEST', 'chunk size too large');
          if (d < end) {
            if (buf[d] !== SEMI) throw protocolError('BAD_REQUEST', 'invalid chunk size');
            for (let k = d + 1; k < end; k++) {
              if (FIELD_VALUE[buf[k]] !== 1) throw protocolError('BAD_REQUEST', 'invalid chunk extension');
            }
          }
          pos = lf + 1;
          if (size === 0) {
            this.#state = State.Trailers;
          } else {
            this.#remaining = size;
            this.#state = State.Data;
          }
          break;
        }
        case State.Data: {
          const n = Math.min(this.#remaining, len - pos);
          onData(buf.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = State.DataEnd;
          break;
        }
        case State.DataEnd: {
          if (buf[pos] !== CR) throw protocolError('BAD_REQUEST', 'chunk data must be followed by CRLF');
          if (pos + 1 >= len) return pos;
          if (buf[pos + 1] !== LF) throw protocolError('BAD_REQUEST', 'chunk data must be followed by CRLF');
          pos += 2;
          this.#state = State.Size;
          break;
        }
        case State.Trailers: {
          const lf = buf.indexOf(LF, pos);
          const lineBytes = lf === -1 ? len - pos : lf + 1 - pos;
          if (this.#trailerBytes + lineBytes > this.#limits.maxHeaderBytes) {
            throw protocolError('HEADERS_TOO_LARGE', `trailer section exceeds ${this.#limits.maxHeaderBytes} bytes`);
          }
          if (lf === -1) return pos;
          if (lf === pos || buf[lf - 1] !== CR) throw protocolError('BAD_REQUEST', 'trailer line must end with CRLF');
          if (lf - 1 === pos) {
            this.#state = State.Done;
            return lf + 1;
          }
          validateTrailerLine(buf, pos, lf - 1);
          if (++this.#trailerCount > this.#limits.maxHeaders) {
            throw protocolError('HEADERS_TOO_LARGE', `more than ${this.#limits.maxHeaders} trailer fields`);
          }
          this.#trailerBytes += lineBytes;
          pos = lf + 1;
          break;
        }
        case State.Done:
          return pos;
      }
    }
    return pos;
  }
}

function validateTrailerLine(buf: Buffer, start: number, end: number): void {
  let q = start;
  while (q < end && TOKEN[buf[q]] === 1) q++;
  if (q === start || buf[q] !== COLON) throw protocolError('BAD_REQUEST', 'malformed trailer field');
  for (let k = q + 1; k < end; k++) {
    if (FIELD_VALUE[buf[k]] !== 1) throw protocolError('BAD_REQUEST', 'invalid character in trailer field');
  }
}

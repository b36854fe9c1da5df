/**
 * The one body-framing state machine (RFC 9112 §6–§7) for requests and responses: a body
 * delimited by Content-Length, by the chunked coding (with trailers), by the connection's
 * close, or absent. It is fed whatever bytes arrived and keeps nothing of them but a
 * partial chunk line (bounded), so callers never concatenate reads: work is linear in the
 * input. Two sinks read it: a decoding one passes `onData` and gets the payload; a relay
 * passes none and forwards the consumed bytes as they came (chunked stays chunked, checked
 * chunk by chunk so its end and any violation are seen).
 *
 * Strict on purpose: bare LF or CR, whitespace before an extension, a missing CRLF after
 * chunk data, oversized sizes and malformed trailers are errors, because lenient chunk
 * parsing is where request smuggling lives. Trailer fields are validated and dropped.
 */
import { CR, FIELD_VALUE, LF, TOKEN } from './chars.js';
import { type ProtocolErrorCode, protocolError } from './errors.js';
import type { BodyKind } from './framing.js';

export interface BodyLimits {
  /** Longest chunk-size line (size and extensions). */
  readonly maxChunkLineBytes: number;
  /** Largest trailer section. */
  readonly maxHeaderBytes: number;
  /** Most trailer fields. */
  readonly maxHeaders: number;
}

export interface BodyErrorCodes {
  /** Broken framing: BAD_REQUEST for requests, BAD_RESPONSE for responses. */
  readonly bad: ProtocolErrorCode;
  /** A trailer section over the limits. */
  readonly tooLarge: ProtocolErrorCode;
}

export const REQUEST_BODY_CODES: BodyErrorCodes = Object.freeze({ bad: 'BAD_REQUEST', tooLarge: 'HEADERS_TOO_LARGE' });
export const RESPONSE_BODY_CODES: BodyErrorCodes = Object.freeze({ bad: 'BAD_RESPONSE', tooLarge: 'BAD_RESPONSE' });

const enum State {
  Length,
  Close,
  Size,
  Data,
  DataCr,
  DataLf,
  Trailers,
  Done,
}

const SEMI = 0x3b;
const COLON = 0x3a;
/** 13 hex digits = 2^52: beyond any body accepted, and still an exact JS number. */
const MAX_SIZE_DIGITS = 13;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class BodyDecoder {
  readonly #limits: BodyLimits;
  readonly #codes: BodyErrorCodes;
  #state: State;
  #remaining: number;
  /** A chunk-size or trailer line received in part (latin1). */
  #partial = '';
  #trailerBytes = 0;
  #trailerCount = 0;
  /** Payload bytes seen (decoded). */
  #payload = 0;

  constructor(kind: BodyKind, length: number, limits: BodyLimits, codes: BodyErrorCodes) {
    this.#limits = limits;
    this.#codes = codes;
    this.#remaining = length;
    this.#state = State.Done;
    this.reset(kind, length);
  }

  /** Starts over for another body (the same limits and codes): no new object per message. */
  reset(kind: BodyKind, length: number): void {
    this.#remaining = length;
    this.#partial = '';
    this.#trailerBytes = 0;
    this.#trailerCount = 0;
    this.#payload = 0;
    switch (kind) {
      case 'none':
        this.#state = State.Done;
        break;
      case 'length':
        this.#state = length > 0 ? State.Length : State.Done;
        break;
      case 'chunked':
        this.#state = State.Size;
        break;
      default:
        this.#state = State.Close;
    }
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /** The body ends when the connection closes. */
  get untilClose(): boolean {
    return this.#state === State.Close;
  }

  /** Declared bytes still to come of a Content-Length body (-1 for the other kinds). */
  get remaining(): number {
    return this.#state === State.Length ? this.#remaining : this.#state === State.Done ? 0 : -1;
  }

  /** Payload bytes decoded so far. */
  get payloadBytes(): number {
    return this.#payload;
  }

  /**
   * The bytes (latin1) of a chunk-size or trailer line that has not ended yet: consumed but
   * not checked. A relay passing the body on as it came holds them back until they are.
   */
  get heldLine(): string {
    return this.#partial;
  }

  /**
   * Consumes buf[start..] up to the end of the body; calls `onData` with each piece of
   * payload (a view into buf: copy it to keep it). Returns the offset just past what was
   * consumed: buf.length, or less when the body ended inside buf (the rest belongs to the
   * next message). Throws a ProtocolError on a framing violation.
   */
  feed(buf: Buffer, start: number, onData?: (data: Buffer) => void): number {
    let pos = start;
    const len = buf.length;
    while (pos < len) {
      switch (this.#state) {
        case State.Length: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          this.#payload += n;
          if (this.#remaining === 0) this.#state = State.Done;
          onData?.(buf.subarray(pos, pos + n));
          pos += n;
          break;
        }
        case State.Close:
          this.#payload += len - pos;
          onData?.(pos === 0 ? buf : buf.subarray(pos));
          return len;
        case State.Data: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          this.#payload += n;
          if (this.#remaining === 0) this.#state = State.DataCr;
          onData?.(buf.subarray(pos, pos + n));
          pos += n;
          break;
        }
        case State.DataCr:
          if (buf[pos++] !== CR) throw this.#bad('chunk data must be followed by CRLF');
          this.#state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[pos++] !== LF) throw this.#bad('chunk data must be followed by CRLF');
          this.#state = State.Size;
          break;
        case State.Size:
        case State.Trailers: {
          const line = this.#line(buf, pos);
          if (line === undefined) return len;
          pos = line.next;
          if (this.#state === State.Size) this.#sizeLine(line.text);
          else this.#trailerLine(line.text, line.bytes);
          break;
        }
        case State.Done:
          return pos;
      }
    }
    return pos;
  }

  /** The connection reached EOF: completes a close-delimited body; false if it was cut short. */
  end(): boolean {
    if (this.#state === State.Close) this.#state = State.Done;
    return this.#state === State.Done;
  }

  /**
   * The next CRLF-ended line from buf[pos..] joined to what came before it, without its
   * CRLF; undefined (bytes kept) while the line is incomplete. Bounded by the line limits.
   */
  #line(buf: Buffer, pos: number): { text: string; bytes: number; next: number } | undefined {
    const max = this.#state === State.Size ? this.#limits.maxChunkLineBytes + 2 : this.#limits.maxHeaderBytes - this.#trailerBytes;
    const lf = buf.indexOf(LF, pos);
    const end = lf === -1 ? buf.length : lf + 1;
    if (this.#partial.length + (end - pos) > max) throw this.#tooLong();
    const piece = buf.toString('latin1', pos, end);
    if (lf === -1) {
      this.#partial += piece;
      return undefined;
    }
    const whole = this.#partial === '' ? piece : this.#partial + piece;
    this.#partial = '';
    if (whole.length < 2 || whole.charCodeAt(whole.length - 2) !== CR) {
      throw this.#bad(this.#state === State.Size ? 'chunk-size line must end with CRLF' : 'trailer line must end with CRLF');
    }
    return { text: whole.slice(0, -2), bytes: whole.length, next: end };
  }

  #sizeLine(line: string): void {
    let size = 0;
    let d = 0;
    for (; d < line.length; d++) {
      const h = hexValue(line.charCodeAt(d));
      if (h < 0) break;
      size = size * 16 + h;
    }
    if (d === 0) throw this.#bad('invalid chunk size');
    if (d > MAX_SIZE_DIGITS) throw this.#bad('chunk size too large');
    if (d < line.length) {
      if (line.charCodeAt(d) !== SEMI) throw this.#bad('invalid chunk size');
      for (let k = d + 1; k < line.length; k++) {
        if (FIELD_VALUE[line.charCodeAt(k)] !== 1) throw this.#bad('invalid chunk extension');
      }
    }
    if (size === 0) {
      this.#state = State.Trailers;
    } else {
      this.#remaining = size;
      this.#state = State.Data;
    }
  }

  #trailerLine(line: string, bytes: number): void {
    if (line.length === 0) {
      this.#state = State.Done;
      return;
    }
    let q = 0;
    while (q < line.length && TOKEN[line.charCodeAt(q)] === 1) q++;
    if (q === 0 || line.charCodeAt(q) !== COLON) throw this.#bad('malformed trailer field');
    for (let k = q + 1; k < line.length; k++) {
      if (FIELD_VALUE[line.charCodeAt(k)] !== 1) throw this.#bad('invalid character in trailer field');
    }
    if (++this.#trailerCount > this.#limits.maxHeaders) {
      throw protocolError(this.#codes.tooLarge, `more than ${this.#limits.maxHeaders} trailer fields`);
    }
    this.#trailerBytes += bytes;
  }

  #tooLong() {
    if (this.#state === State.Size) return this.#bad('chunk-size line too long');
    return protocolError(this.#codes.tooLarge, `trailer section exceeds ${this.#limits.maxHeaderBytes} bytes`);
  }

  #bad(message: string) {
    return protocolError(this.#codes.bad, message);
  }
}

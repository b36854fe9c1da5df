/**
 * Reads one response off a byte stream: its head (interim 1xx heads skipped), then its body
 * through the BodyDecoder. Every reader of responses uses it - the upstream client in its
 * decoding and its relaying mode, and `dhttp bench` - so they agree on where an answer
 * ends by construction. A head split across reads is gathered without rescanning what was
 * searched before; bytes that cannot start a status line fail at once.
 */
import { BodyDecoder, type BodyLimits, RESPONSE_BODY_CODES } from './body-decoder.js';
import { CR, LF } from './chars.js';
import { protocolError } from './errors.js';
import { parseResponseHead, RESPONSE_HEAD_LIMITS, type ResponseHead, type ResponseHeadLimits } from './response-head.js';

export interface ResponseEvents {
  /**
   * The final head. In raw mode `body` is the body's bytes that came in the same read (a
   * view: use it at once), so a relay can pass head and body on in one write; in decoding
   * mode it is undefined and the payload follows through onData. `complete`: the response
   * ends here (no body, or all of it came along).
   */
  onHead(head: ResponseHead, body: Buffer | undefined, complete: boolean): void;
  /**
   * Payload (decoding) or the bytes as sent (raw); a view into the fed buffer: use it at
   * once. `complete`: the response ends with these bytes (which may be none).
   */
  onData(data: Buffer, complete: boolean): void;
}

export interface ResponseDecoderOptions {
  /** The request asked to switch protocols: a 101 is its final answer (no body; what follows is the new protocol). */
  readonly upgrade?: boolean;
  /** Deliver the body as sent (framing included) rather than its payload. @default false */
  readonly raw?: boolean;
  /**
   * Decoding mode: deliver the payload through onData. False: bodies are only framed and
   * counted (bodyBytes) and onData hears of the end alone - no view is made per piece.
   * @default true
   */
  readonly payload?: boolean;
  readonly headLimits?: ResponseHeadLimits;
  readonly bodyLimits?: BodyLimits;
}

export const RESPONSE_BODY_LIMITS: BodyLimits = Object.freeze({ maxChunkLineBytes: 4096, maxHeaderBytes: 16 * 1024, maxHeaders: 100 });

const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
const PREFIX = 'HTTP/1.';
/** Bytes decoded up front when looking for the end of a head. */
const SEARCH_WINDOW = 2048;

export class ResponseDecoder {
  #method: string;
  readonly #events: ResponseEvents;
  #upgrade: boolean;
  readonly #headLimits: ResponseHeadLimits;
  readonly #bodyLimits: BodyLimits;
  /** The head so far when it spans reads (latin1 pieces), and its length. */
  #pieces: string[] = [];
  #pieceBytes = 0;
  #head: ResponseHead | undefined;
  #body: BodyDecoder | undefined;
  /** The body decoder of an earlier response, reused for the next. */
  #spare: BodyDecoder | undefined;
  #done = false;
  #raw: boolean;
  /** Whether the end was reported with the last event. */
  #reported = false;
  readonly #onData: ((data: Buffer) => void) | undefined;

  constructor(method: string, events: ResponseEvents, options: ResponseDecoderOptions = {}) {
    this.#method = method;
    this.#events = events;
    this.#upgrade = options.upgrade === true;
    this.#raw = options.raw === true;
    this.#headLimits = options.headLimits ?? RESPONSE_HEAD_LIMITS;
    this.#bodyLimits = options.bodyLimits ?? RESPONSE_BODY_LIMITS;
    this.#onData =
      options.payload === false
        ? undefined
        : (data) => {
            const complete = this.#body?.done === true;
            if (complete) this.#reported = true;
            events.onData(data, complete);
          };
  }

  /**
   * Starts over for the next response on the same stream (a keep-alive connection), with
   * that request's method and mode: no new decoder per response.
   */
  reset(method: string, options: { upgrade?: boolean; raw?: boolean } = {}): void {
    this.#method = method;
    this.#upgrade = options.upgrade === true;
    this.#raw = options.raw === true;
    if (this.#pieces.length > 0) this.#pieces = [];
    this.#pieceBytes = 0;
    this.#head = undefined;
    if (this.#body !== undefined) this.#spare = this.#body;
    this.#body = undefined;
    this.#done = false;
    this.#reported = false;
  }

  /** The final head, once parsed. */
  get head(): ResponseHead | undefined {
    return this.#head;
  }

  get headSeen(): boolean {
    return this.#head !== undefined;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether the body ends when the connection does (the caller then calls end() on EOF). */
  get untilClose(): boolean {
    return this.#body?.untilClose === true;
  }

  /** Payload bytes of the body so far. */
  get bodyBytes(): number {
    return this.#body?.payloadBytes ?? 0;
  }

  /**
   * Consumes buf[start..] up to the end of this response. Returns the offset just past what
   * belongs to it: buf.length, or less once the response is complete (the rest is the next
   * one's, or for an upgrade the new protocol's). Throws a ProtocolError (BAD_RESPONSE).
   */
  feed(buf: Buffer, start = 0): number {
    let pos = start;
    while (pos < buf.length && !this.#done) {
      const body = this.#body;
      if (body === undefined) {
        pos = this.#feedHead(buf, pos);
        continue;
      }
      if (this.#raw) pos = this.#relay(body, buf, pos);
      else {
        pos = body.feed(buf, pos, this.#onData);
      }
      if (body.done) this.#complete();
    }
    return pos;
  }

  /**
   * Raw mode: feeds the body decoder and passes on what it has checked. The bytes of a line
   * it is still gathering (a chunk size, a trailer field) go out only once the line has
   * ended and passed, so a malformed line never reaches a client even in part.
   */
  #relay(body: BodyDecoder, buf: Buffer, from: number): number {
    const held = body.heldLine;
    const pos = body.feed(buf, from);
    const through = pos - body.heldLine.length;
    // Still inside the line held before: nothing is checked yet.
    if (through < from) return pos;
    if (held !== '') this.#events.onData(Buffer.from(held, 'latin1'), false);
    if (through > from || body.done) {
      this.#reported = body.done;
      this.#events.onData(buf.subarray(from, through), body.done);
    }
    return pos;
  }

  /** The connection reached EOF: completes a close-delimited body; false if the response was cut short. */
  end(): boolean {
    if (this.#done) return true;
    if (this.#body?.end() === true) {
      this.#complete();
      return true;
    }
    return false;
  }

  /** Marks the response complete, reporting the end if the last event did not. */
  #complete(): void {
    this.#done = true;
    if (!this.#reported) {
      this.#reported = true;
      this.#events.onData(EMPTY, true);
    }
  }

  /** Gathers head bytes; parses a complete head. Returns the offset after what it used. */
  #feedHead(buf: Buffer, pos: number): number {
    const before = this.#pieceBytes;
    if (before < PREFIX.length) this.#checkPrefix(buf, pos, before);
    // A CRLFCRLF may straddle the previous read: search from up to 3 bytes back. `blank`
    // is where it starts, relative to buf (negative when it starts in an earlier read).
    let blank = Number.NaN;
    if (before > 0) {
      const tail = this.#tail(3) + buf.toString('latin1', pos, Math.min(buf.length, pos + 3));
      const at = tail.indexOf('\r\n\r\n');
      if (at !== -1) blank = pos + at - Math.min(3, before);
    }
    // buf[pos, pos + window.length) decoded: one decode and a string search cost less than
    // a Buffer search and a decode, and almost every head fits.
    let window = '';
    if (Number.isNaN(blank)) {
      const windowEnd = Math.min(buf.length, pos + SEARCH_WINDOW);
      window = buf.toString('latin1', pos, windowEnd);
      const at = window.indexOf('\r\n\r\n');
      if (at !== -1) blank = pos + at;
      else if (windowEnd < buf.length) {
        const later = buf.indexOf(END_OF_HEAD, windowEnd - 3);
        if (later !== -1) blank = later;
      }
    }
    if (Number.isNaN(blank)) {
      if (before + buf.length - pos > this.#headLimits.maxHeadBytes) throw tooLarge(this.#headLimits);
      this.#checkLineEnds(buf, pos);
      this.#pieces.push(pos + window.length === buf.length ? window : buf.toString('latin1', pos));
      this.#pieceBytes += buf.length - pos;
      return buf.length;
    }
    // The head ends at blank (possibly before pos, when the CRLFCRLF straddled reads).
    let text: string;
    if (before === 0) text = blank + 2 - pos <= window.length ? window.slice(0, blank + 2 - pos) : buf.toString('latin1', pos, blank + 2);
    else {
      const joined = this.#pieces.join('') + (blank + 2 > pos ? buf.toString('latin1', pos, blank + 2) : '');
      text = blank + 2 >= pos ? joined : joined.slice(0, joined.length - (pos - blank - 2));
    }
    if (before > 0) this.#pieces = [];
    this.#pieceBytes = 0;
    if (text.length > this.#headLimits.maxHeadBytes) throw tooLarge(this.#headLimits);
    const head = parseResponseHead(
      text,
      this.#method,
      this.#upgrade,
      this.#headLimits,
      before === 0 ? buf : undefined,
      before === 0 ? pos : 0,
    );
    const next = blank + 4;
    if (head.status < 200 && head.status !== 101) return next; // interim: the final head follows
    this.#head = head;
    let body = this.#spare;
    if (body === undefined) body = new BodyDecoder(head.framing.kind, head.framing.length, this.#bodyLimits, RESPONSE_BODY_CODES);
    else {
      this.#spare = undefined;
      body.reset(head.framing.kind, head.framing.length);
    }
    this.#body = body;
    if (!this.#raw) {
      this.#reported = body.done;
      this.#events.onHead(head, undefined, body.done);
      if (body.done) this.#complete();
      return next;
    }
    const end = body.done ? next : body.feed(buf, next);
    // A line the body decoder is still gathering is held back (see #relay).
    const through = end - body.heldLine.length;
    this.#reported = body.done;
    this.#events.onHead(head, through > next ? buf.subarray(next, through) : undefined, body.done);
    if (body.done) this.#complete();
    return end;
  }

  /** The last `n` characters gathered so far. */
  #tail(n: number): string {
    let out = '';
    for (let i = this.#pieces.length - 1; i >= 0 && out.length < n; i--) out = this.#pieces[i] + out;
    return out.slice(-n);
  }

  /**
   * An incomplete head with a bare LF or CR can never end in CRLFCRLF: it fails now rather
   * than keeping the exchange waiting for its timeout.
   */
  #checkLineEnds(buf: Buffer, pos: number): void {
    for (let lf = buf.indexOf(LF, pos); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
      const prev = lf > pos ? buf[lf - 1] : this.#tail(1).charCodeAt(0);
      if (prev !== CR) throw protocolError('BAD_RESPONSE', 'a line of the response head does not end with CRLF');
    }
    for (let cr = buf.indexOf(CR, pos); cr !== -1 && cr + 1 < buf.length; cr = buf.indexOf(CR, cr + 1)) {
      if (buf[cr + 1] !== LF) throw protocolError('BAD_RESPONSE', 'bare CR in the response head');
    }
    if (pos < buf.length && buf[pos] !== LF && this.#tail(1) === '\r') throw protocolError('BAD_RESPONSE', 'bare CR in the response head');
  }

  /** A response starts with "HTTP/1.": anything else fails now, not after a head's worth of bytes. */
  #checkPrefix(buf: Buffer, pos: number, before: number): void {
    const n = Math.min(PREFIX.length - before, buf.length - pos);
    for (let i = 0; i < n; i++) {
      if (buf[pos + i] !== PREFIX.charCodeAt(before + i))
        throw protocolError('BAD_RESPONSE', 'the answer does not start with a status line');
    }
  }
}

function tooLarge(limits: ResponseHeadLimits) {
  return protocolError('BAD_RESPONSE', `response head exceeds ${limits.maxHeadBytes} bytes`);
}

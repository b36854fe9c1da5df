/**
 * Reads one response from a worker and hands it on as bytes, for the dispatcher's
 * pass-through path (src/dispatcher/pass-through.ts). As strict as ResponseParser about
 * what it accepts, but it builds no header object: the head is scanned once, hop-by-hop
 * fields (RFC 9110 §7.6.1) and the fields the client side writes itself (Date,
 * X-Request-Id) are cut out of its text, and the body is passed on with its framing as
 * the worker sent it - a chunked body stays chunked, checked chunk by chunk on the way so
 * its end (and any violation) is seen.
 */
import { ChunkedDecoder } from '../codec/chunked.js';
import { rawError } from './errors.js';
import { CHUNK_LIMITS, STRAY_BYTES, contentLength, headEnd, statusCodeOf } from './response-parser.js';

export interface RelayEvents {
  /**
   * The final head: `lines` is the status line and the forwarded fields, each ending in
   * CRLF, without the blank line (the receiver adds its own fields first). `body` is what
   * came with it (a view: use it at once); `complete` says it is all of it.
   * `closeDelimited`: the body ends when the worker closes. Returns false to pause.
   */
  onHead(status: number, lines: string, body: Buffer | undefined, complete: boolean, closeDelimited: boolean): boolean;
  /** More body bytes as sent (a view: use it at once). Returns false to pause. */
  onData(data: Buffer, complete: boolean): boolean;
}

const enum State {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

const NOOP = (): void => {};

/** Fields dropped from a forwarded response: hop-by-hop ones, and what the receiver writes. */
const DROPPED: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'date',
  'x-request-id',
]);
/** DROPPED and the framing fields by first letter (lower-cased) → their lengths. */
const CANDIDATES = new Map<number, number[]>();
for (const n of [...DROPPED, 'content-length', 'transfer-encoding']) {
  const c = n.charCodeAt(0);
  const lengths = CANDIDATES.get(c) ?? [];
  if (!lengths.includes(n.length)) lengths.push(n.length);
  CANDIDATES.set(c, lengths);
}

const enum Kind {
  Other,
  Dropped,
  Length,
  Encoding,
}

/** What the field name text[p, colon) is to the relay (case-insensitive). */
function fieldKind(text: string, p: number, colon: number): Kind {
  const lengths = CANDIDATES.get(text.charCodeAt(p) | 0x20);
  if (lengths === undefined || !lengths.includes(colon - p)) return Kind.Other;
  const name = text.slice(p, colon).toLowerCase();
  if (DROPPED.has(name)) return Kind.Dropped;
  if (name === 'content-length') return Kind.Length;
  if (name === 'transfer-encoding') return Kind.Encoding;
  return Kind.Other;
}

export class ResponseRelay {
  readonly #noBody: boolean;
  readonly #events: RelayEvents;
  #state = State.Head;
  #pending: Buffer | undefined;
  #remaining = 0;
  #chunked: ChunkedDecoder | undefined;
  #keepAlive = false;
  #extra = 0;
  /** The worker's Keep-Alive field (its idle timeout), if it sent one. */
  keepAliveField: string | undefined;
  /** The last event asked to pause. */
  paused = false;

  constructor(method: string, events: RelayEvents) {
    this.#noBody = method === 'HEAD';
    this.#events = events;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  get headSeen(): boolean {
    return this.#state !== State.Head;
  }

  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** The connection may carry another request: the worker allows it and sent nothing more. */
  get reusable(): boolean {
    return this.#keepAlive && this.#extra === 0 && this.#state === State.Done;
  }

  /** The response is complete and the worker keeps the connection open (bytes after it aside). */
  get keepsAlive(): boolean {
    return this.#keepAlive && this.#state === State.Done;
  }

  /**
   * Feeds the bytes that arrived; throws a coded error on a malformed response. Returns
   * what came after the end of the response (a view, use it at once): on a pipelined
   * connection, the start of the next response; else nothing.
   */
  feed(chunk: Buffer): Buffer | undefined {
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let pos = 0;
    // Bounded: every pass consumes a head or body bytes, or returns.
    while (pos < buf.length) {
      switch (this.#state) {
        case State.Head: {
          const end = headEnd(buf, pos);
          if (end === -1) {
            this.#pending = Buffer.from(buf.subarray(pos));
            return undefined;
          }
          const head = this.#head(buf.toString('latin1', pos, end));
          pos = end + 4;
          if (head === undefined) break; // interim 1xx: the final head follows
          return this.#announce(head.status, head.lines, head.closeDelimited, buf, pos);
        }
        case State.Length: {
          const n = Math.min(this.#remaining, buf.length - pos);
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = State.Done;
          this.paused = !this.#events.onData(buf.subarray(pos, pos + n), this.#state === State.Done);
          pos += n;
          break;
        }
        case State.Chunked: {
          const next = this.#chunk(buf, pos);
          if (!this.done && next < buf.length) {
            // The decoder waits for the rest of a line: keep a copy (the socket may reuse its buffer).
            this.#pending = Buffer.from(buf.subarray(next));
            if (next > pos) this.paused = !this.#events.onData(buf.subarray(pos, next), false);
            return undefined;
          }
          this.paused = !this.#events.onData(buf.subarray(pos, next), this.done);
          pos = next;
          break;
        }
        case State.UntilClose:
          this.paused = !this.#events.onData(pos === 0 ? buf : buf.subarray(pos), false);
          return undefined;
        case State.Done:
          this.#extra += buf.length - pos;
          return buf.subarray(pos);
      }
    }
    return undefined;
  }

  /** The connection reached EOF: completes a close-delimited body; false if cut short. */
  end(): boolean {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.#events.onData(Buffer.alloc(0), true);
      return true;
    }
    return this.#state === State.Done;
  }

  /** Hands on the head with the body bytes of the same read that belong to it; returns what follows the response. */
  #announce(status: number, lines: string, closeDelimited: boolean, buf: Buffer, pos: number): Buffer | undefined {
    let body: Buffer | undefined;
    let next = buf.length;
    switch (this.#state as State) {
      case State.Done:
        next = pos;
        break;
      case State.Length: {
        const n = Math.min(this.#remaining, buf.length - pos);
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = State.Done;
        next = pos + n;
        break;
      }
      case State.Chunked:
        next = this.#chunk(buf, pos);
        break;
      default: // UntilClose: everything that follows
        break;
    }
    if (next > pos) body = buf.subarray(pos, next);
    const done = this.#state === State.Done;
    this.paused = !this.#events.onHead(status, lines, body, done, closeDelimited);
    if (next < buf.length) {
      if (!done) {
        this.#pending = Buffer.from(buf.subarray(next));
        return undefined;
      }
      this.#extra += buf.length - next;
      return buf.subarray(next);
    }
    return undefined;
  }

  /** Runs buf[pos..] through the chunk decoder; returns how far it got. */
  #chunk(buf: Buffer, pos: number): number {
    const decoder = this.#chunked as ChunkedDecoder;
    let next: number;
    try {
      next = decoder.feed(buf, pos, NOOP);
    } catch (err) {
      throw rawError('HPE_INVALID_RESPONSE', `bad chunked response body: ${(err as Error).message}`, err);
    }
    if (decoder.done) this.#state = State.Done;
    return next;
  }

  /** Checks a head and sets the body state; undefined for an interim (1xx) head. */
  #head(text: string): { status: number; lines: string; closeDelimited: boolean } | undefined {
    if (STRAY_BYTES.test(text)) throw rawError('HPE_INVALID_RESPONSE', 'CR, LF or NUL out of place in the response head');
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    const status = statusCodeOf(text, lineEnd);
    const http10 = text.charCodeAt(7) === 0x30;
    let lines = '';
    let from = 0;
    let connection: string | undefined;
    let te: string | undefined;
    let length: string | string[] | undefined;
    for (let p = lineEnd + 2; p < text.length; ) {
      let e = text.indexOf('\r\n', p);
      if (e === -1) e = text.length;
      const colon = text.indexOf(':', p);
      if (colon <= p || colon > e) throw rawError('HPE_INVALID_RESPONSE', 'invalid header line');
      // Most names are none of the few we act on: the first letter and length rule them
      // out without making a string (a Set lookup would hash a fresh slice per line).
      const kind = fieldKind(text, p, colon);
      if (kind !== Kind.Other) {
        const value = text.slice(colon + 1, e);
        if (kind === Kind.Dropped) {
          const name = text.slice(p, colon).toLowerCase();
          if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
          else if (name === 'keep-alive') this.keepAliveField = value;
          lines += text.slice(from, p);
          from = e + 2;
        } else if (kind === Kind.Length) {
          const v = value.trim();
          length = length === undefined ? v : Array.isArray(length) ? [...length, v] : [length, v];
        } else {
          te = te === undefined ? value : `${te},${value}`;
        }
      }
      p = e + 2;
    }
    if (status < 200) {
      if (status === 101) throw rawError('HPE_INVALID_RESPONSE', 'unexpected 101 Switching Protocols');
      return undefined;
    }
    lines += from < text.length ? `${text.slice(from)}\r\n` : '';
    let keepAlive = !http10;
    if (connection !== undefined) {
      const tokens = connection
        .toLowerCase()
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (tokens.includes('close')) keepAlive = false;
      const listed = tokens.filter((t) => t !== 'close' && t !== 'keep-alive');
      // Fields the worker named in Connection are hop-by-hop too (rare: a second pass).
      if (listed.length > 0) lines = withoutFields(lines, new Set(listed));
    }
    let closeDelimited = false;
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = State.Done;
    } else if (te !== undefined) {
      // Both would let the client and us disagree on where the body ends (RFC 9112 §6.1).
      if (length !== undefined) throw rawError('HPE_INVALID_RESPONSE', 'both Transfer-Encoding and Content-Length');
      if (/(?:^|,)\s*chunked\s*$/i.test(te)) {
        this.#chunked = new ChunkedDecoder(CHUNK_LIMITS);
        this.#state = State.Chunked;
      } else {
        this.#state = State.UntilClose;
        closeDelimited = true;
        keepAlive = false;
      }
    } else if (length !== undefined) {
      this.#remaining = contentLength(length);
      this.#state = this.#remaining === 0 ? State.Done : State.Length;
    } else {
      this.#state = State.UntilClose;
      closeDelimited = true;
      keepAlive = false;
    }
    this.#keepAlive = keepAlive;
    return { status, lines, closeDelimited };
  }
}

/** `lines` (status line first, each line CRLF-ended) without the fields named in `names`. */
function withoutFields(lines: string, names: ReadonlySet<string>): string {
  const out = lines.split('\r\n');
  out.pop(); // after the last CRLF
  const kept = [out[0]];
  for (let i = 1; i < out.length; i++) {
    const line = out[i];
    if (!names.has(line.slice(0, line.indexOf(':')).toLowerCase())) kept.push(line);
  }
  return `${kept.join('\r\n')}\r\n`;
}

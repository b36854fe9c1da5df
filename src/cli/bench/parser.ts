/**
 * Incremental HTTP/1.1 response framing for the load generator: just enough to know where
 * each response ends (Content-Length, chunked, or close-delimited) and whether the
 * connection may be reused. Bodies are skipped, never copied, so parsing stays cheap.
 */

export interface ParsedResponse {
  readonly status: number;
  /** False when the server asked to close or the body ran to end of stream. */
  readonly keepAlive: boolean;
  readonly bodyBytes: number;
}

export class ResponseParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;

export class ResponseParser {
  readonly #onResponse: (response: ParsedResponse) => void;
  #state: State = 'head';
  #head: Buffer | null = null;
  #line = '';
  #remaining = 0;
  #status = 0;
  #keepAlive = true;
  #bodyBytes = 0;
  /** The next response answers a HEAD request, so it has no body whatever its headers say. */
  noBody = false;

  constructor(onResponse: (response: ParsedResponse) => void) {
    this.#onResponse = onResponse;
  }

  /** True between responses with nothing buffered. */
  get idle(): boolean {
    return this.#state === 'head' && this.#head === null;
  }

  execute(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'head':
          pos = this.#readHead(chunk, pos);
          break;
        case 'length': {
          const take = Math.min(this.#remaining, chunk.length - pos);
          pos += take;
          this.#remaining -= take;
          this.#bodyBytes += take;
          if (this.#remaining === 0) this.#complete(this.#keepAlive);
          break;
        }
        case 'until-close':
          this.#bodyBytes += chunk.length - pos;
          pos = chunk.length;
          break;
        case 'chunk-data': {
          const take = Math.min(this.#remaining, chunk.length - pos);
          pos += take;
          this.#remaining -= take;
          this.#bodyBytes += take;
          if (this.#remaining === 0) this.#state = 'chunk-end';
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers': {
          const nl = chunk.indexOf(10, pos);
          const end = nl === -1 ? chunk.length : nl;
          this.#line += chunk.toString('latin1', pos, end);
          if (this.#line.length > MAX_LINE) throw new ResponseParseError('chunk line too long');
          pos = nl === -1 ? chunk.length : nl + 1;
          if (nl !== -1) this.#onLine(this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line);
          break;
        }
      }
    }
  }

  /** At end of stream: true when that completed a close-delimited response. */
  end(): boolean {
    if (this.#state !== 'until-close') return false;
    this.#complete(false);
    return true;
  }

  #readHead(chunk: Buffer, pos: number): number {
    const prev = this.#head;
    const buf = prev === null ? chunk.subarray(pos) : Buffer.concat([prev, chunk.subarray(pos)]);
    const searchFrom = prev === null ? 0 : Math.max(0, prev.length - 3);
    const at = buf.indexOf(CRLFCRLF, searchFrom);
    if (at === -1) {
      if (buf.length > MAX_HEAD) throw new ResponseParseError('response head too large');
      // Copy: the socket may reuse the chunk's memory.
      this.#head = Buffer.from(buf);
      return chunk.length;
    }
    this.#head = null;
    this.#parseHead(buf.toString('latin1', 0, at));
    // Bytes of this chunk consumed = head end minus what was carried over.
    return pos + at + 4 - (prev === null ? 0 : prev.length);
  }

  #parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]);
    if (m === null) throw new ResponseParseError(`bad status line ${JSON.stringify(lines[0].slice(0, 80))}`);
    const status = Number(m[2]);
    let length: number | undefined;
    let chunked = false;
    let close = m[1] === '0';
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) throw new ResponseParseError('bad header line');
      const name = lines[i].slice(0, colon).toLowerCase();
      const value = lines[i]
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw new ResponseParseError('bad content-length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = value.split(',').at(-1)?.trim() === 'chunked';
      } else if (name === 'connection') {
        const tokens = value.split(',').map((t) => t.trim());
        if (tokens.includes('close')) close = true;
        else if (tokens.includes('keep-alive')) close = false;
      }
    }
    if (status >= 100 && status < 200 && status !== 101) return; // interim; the real one follows
    this.#status = status;
    this.#keepAlive = !close;
    this.#bodyBytes = 0;
    if (this.noBody || status === 204 || status === 304) this.#complete(this.#keepAlive);
    else if (chunked) this.#state = 'chunk-size';
    else if (length !== undefined) {
      this.#remaining = length;
      this.#state = 'length';
      if (length === 0) this.#complete(this.#keepAlive);
    } else this.#state = 'until-close';
  }

  #onLine(line: string): void {
    this.#line = '';
    if (this.#state === 'chunk-end') {
      if (line !== '') throw new ResponseParseError('missing CRLF after chunk');
      this.#state = 'chunk-size';
    } else if (this.#state === 'chunk-size') {
      const hex = line.split(';')[0].trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseParseError('bad chunk size');
      this.#remaining = parseInt(hex, 16);
      this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
    } else if (line === '') {
      this.#complete(this.#keepAlive); // end of trailers
    }
  }

  #complete(keepAlive: boolean): void {
    this.#state = 'head';
    this.#line = '';
    this.noBody = false;
    this.#onResponse({ status: this.#status, keepAlive, bodyBytes: this.#bodyBytes });
  }
}

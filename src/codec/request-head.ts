/**
 * Parser of a request head (request line + field lines, RFC 9112 §2–§5).
 *
 * Called with everything buffered so far; returns the parsed head, null ("need more
 * bytes"), or throws a ProtocolError (the connection answers it and closes). A complete
 * head is found with one search for CRLFCRLF and decoded once (latin1), then parsed as a
 * string: that is what makes the common case cheap. While a head is incomplete, `scan`
 * remembers how far the bytes were searched and checked, so a head trickled in byte by
 * byte costs work linear in its size; and whatever arrived is checked for what must fail
 * early (a bad request line, bare CR or LF, sizes, empty lines beyond the header limit),
 * so a client can never make the server wait on input that is already invalid.
 */
import { CR, LF, SP, TARGET, TOKEN } from './chars.js';
import { protocolError } from './errors.js';
import { lowerName, scanFields } from './fields.js';

export interface HeadLimits {
  maxUriBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
}

export interface ParsedHead {
  method: string;
  target: string;
  httpMinor: 0 | 1;
  /** Flat list: lower-cased name, value (OWS trimmed), name, value… */
  fields: string[];
  /** Offset just past the blank line that ends the head. */
  end: number;
  /** Offset of the request line (after any empty lines before it). */
  start: number;
  /** The head as latin1 text from its request line to its last field line's CRLF. */
  text: string;
}

/**
 * A connection's progress through its heads: how far an incomplete head was checked (reset
 * for each new head), and the text of the last window decoded, which outlives reset().
 * Pipelined requests that came in one read are parsed from one decode: the next head,
 * inside that window, is a slice of its text. That holds because the bytes parseHead is
 * given with one HeadScan are never rewritten - a socket hands out a fresh Buffer per read,
 * and InputBuffer only appends past what it holds - so text decoded from a range of an
 * ArrayBuffer stays that range's text.
 */
export class HeadScan {
  /** Bytes searched for the end of the head and checked so far. */
  scanned = 0;
  /** Offset of the LF that ends the request line once it was found and checked, else -1. */
  lineEnd = -1;
  #text = '';
  #buffer: ArrayBufferLike | null = null;
  /** Where #text starts in #buffer. */
  #start = 0;

  /** Ready for the next head. */
  reset(): void {
    this.scanned = 0;
    this.lineEnd = -1;
  }

  /**
   * Lets the last window go: a connection that has parsed all it read calls this, so an
   * idle connection holds neither the text nor the read it came from (up to 64 KiB each).
   */
  forget(): void {
    this.#text = '';
    this.#buffer = null;
  }

  /** buf[from, to) as latin1 text: a slice of the last window when it lies inside it, else decoded. */
  decode(buf: Buffer, from: number, to: number): string {
    const a = buf.byteOffset + from;
    const b = buf.byteOffset + to;
    if (buf.buffer === this.#buffer && a >= this.#start && b <= this.#start + this.#text.length) {
      return this.#text.slice(a - this.#start, b - this.#start);
    }
    const text = buf.toString('latin1', from, to);
    this.#text = text;
    this.#buffer = buf.buffer;
    this.#start = a;
    return text;
  }
}

const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');
/** Room for method, two spaces and the version around a maximal target. */
const REQUEST_LINE_SLACK = 64;
/** Bytes decoded up front when looking for the end of a head. */
const SEARCH_WINDOW = 2048;
const FIELD_RULES_CACHE = new WeakMap<HeadLimits, { maxHeaders: number; bad: 'BAD_REQUEST'; tooMany: 'HEADERS_TOO_LARGE' }>();

export function parseHead(buf: Buffer, limits: HeadLimits, scan?: HeadScan): ParsedHead | null {
  const len = buf.length;
  let pos = 0;
  // RFC 9112 §2.2: ignore at least one empty line before the request-line; they count
  // against the header limit, so a stream of them cannot grow the buffer without bound.
  while (pos + 1 < len && buf[pos] === CR && buf[pos + 1] === LF) pos += 2;
  if (pos > limits.maxHeaderBytes) throw protocolError('HEADERS_TOO_LARGE', 'empty lines before the request line exceed the header limit');
  if (pos >= len || (pos + 1 === len && buf[pos] === CR)) return null;
  // Reject garbage at once instead of waiting for a line end that may never come.
  if (TOKEN[buf[pos]] !== 1) throw protocolError('BAD_REQUEST', 'malformed request line');

  let s: string;
  let blank: number;
  if (scan === undefined || scan.scanned === 0) {
    // Decode once and search the string: cheaper than a Buffer search plus a decode.
    // Almost every head fits the window; a longer one is found in the Buffer.
    const windowEnd = Math.min(len, pos + SEARCH_WINDOW);
    s = scan === undefined ? buf.toString('latin1', pos, windowEnd) : scan.decode(buf, pos, windowEnd);
    blank = s.indexOf('\r\n\r\n');
    if (blank === -1 && windowEnd < len) blank = bufferSearch(buf, pos, windowEnd - 3);
    if (blank !== -1 && blank + 4 > s.length) s = buf.toString('latin1', pos, pos + blank + 4);
  } else {
    // Resumed: only the bytes after the last search (and 3 before, for a split CRLFCRLF).
    blank = bufferSearch(buf, pos, Math.max(pos, scan.scanned - 3));
    s = blank === -1 ? '' : buf.toString('latin1', pos, pos + blank + 4);
  }
  if (blank === -1) {
    checkPartial(buf, pos, limits, scan);
    return null;
  }
  // s[0, blank + 2) is the head: request line and field lines, each ending in CRLF.
  const lineEnd = s.indexOf('\r\n');
  const rl = parseRequestLine(s, lineEnd, limits);
  if (blank + 2 - (lineEnd + 2) > limits.maxHeaderBytes) throw headersTooLarge(limits);
  // s[i] is buf[pos + i]: the fields are checked in the bytes.
  const offsets = scanFields(buf, pos + lineEnd + 2, pos + blank + 2, fieldRules(limits), pos);
  const fields: string[] = new Array(offsets.length / 2);
  for (let i = 0, j = 0; i < offsets.length; i += 4, j += 2) {
    fields[j] = lowerName(s.slice(offsets[i], offsets[i + 1]));
    fields[j + 1] = s.slice(offsets[i + 2], offsets[i + 3]);
  }
  return {
    method: rl.method,
    target: rl.target,
    httpMinor: rl.httpMinor,
    fields,
    start: pos,
    end: pos + blank + 4,
    text: s.slice(0, blank + 2),
  };
}

/** Offset of CRLFCRLF at or after `from`, relative to `pos`; -1 if none. */
function bufferSearch(buf: Buffer, pos: number, from: number): number {
  const at = buf.indexOf(END_OF_HEAD, from);
  return at === -1 ? -1 : at - pos;
}

let lastLimits: unknown;
let lastRules: { maxHeaders: number; bad: 'BAD_REQUEST'; tooMany: 'HEADERS_TOO_LARGE' } | undefined;

function fieldRules(limits: HeadLimits): { maxHeaders: number; bad: 'BAD_REQUEST'; tooMany: 'HEADERS_TOO_LARGE' } {
  // A process has one or two limit objects: the last one answers without a WeakMap lookup.
  if (limits === lastLimits && lastRules !== undefined) return lastRules;
  lastLimits = limits;
  let rules = FIELD_RULES_CACHE.get(limits);
  if (rules === undefined) {
    rules = { maxHeaders: limits.maxHeaders, bad: 'BAD_REQUEST', tooMany: 'HEADERS_TOO_LARGE' };
    FIELD_RULES_CACHE.set(limits, rules);
  }
  lastRules = rules;
  return rules;
}

interface RequestLine {
  method: string;
  target: string;
  httpMinor: 0 | 1;
}

/** Validates "METHOD SP target SP HTTP/x.y" in s[0, end). */
function parseRequestLine(s: string, end: number, limits: HeadLimits): RequestLine {
  let i = 0;
  while (i < end && TOKEN[s.charCodeAt(i)] === 1) i++;
  if (i === 0 || s.charCodeAt(i) !== SP) throw protocolError('BAD_REQUEST', 'malformed request line');
  const ts = i + 1;
  let j = ts;
  while (j < end && TARGET[s.charCodeAt(j)] === 1) j++;
  if (j - ts > limits.maxUriBytes) throw protocolError('URI_TOO_LONG', `request-target exceeds ${limits.maxUriBytes} bytes`);
  if (j === ts || j >= end || s.charCodeAt(j) !== SP) throw protocolError('BAD_REQUEST', 'malformed request line');
  return { method: methodName(s, i), target: s.slice(ts, j), httpMinor: parseVersion(s, j + 1, end) };
}

/** "HTTP/" DIGIT "." DIGIT exactly; a major other than 1 is 505, a higher 1.x minor is 1.1. */
function parseVersion(s: string, v: number, end: number): 0 | 1 {
  if (end - v === 8 && s.startsWith('HTTP/1.1', v)) return 1; // nearly every request
  const ok =
    end - v === 8 &&
    s.startsWith('HTTP/', v) &&
    isDigit(s.charCodeAt(v + 5)) &&
    s.charCodeAt(v + 6) === 0x2e &&
    isDigit(s.charCodeAt(v + 7));
  if (!ok) throw protocolError('BAD_REQUEST', 'malformed HTTP version');
  const major = s.charCodeAt(v + 5);
  if (major !== 0x31) throw protocolError('VERSION_NOT_SUPPORTED', `HTTP/${s.slice(v + 5, end)} is not supported; use HTTP/1.1`);
  return s.charCodeAt(v + 7) === 0x30 ? 0 : 1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Common methods as constants: comparing and hashing them later (routing) is cheaper. */
const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function methodName(s: string, len: number): string {
  for (const m of COMMON_METHODS) if (m.length === len && s.startsWith(m)) return m;
  return s.slice(0, len);
}

/**
 * The head is not complete yet: fail now if what arrived is already invalid or too big
 * (a request line without a version, bare CR or LF, an over-long line or section). With a
 * `scan`, only bytes not checked before are looked at.
 */
function checkPartial(buf: Buffer, pos: number, limits: HeadLimits, scan: HeadScan | undefined): void {
  const len = buf.length;
  const from = Math.max(pos, (scan?.scanned ?? 0) - 1);
  if (scan !== undefined) scan.scanned = len;
  let lineEnd = scan?.lineEnd ?? -1;
  if (lineEnd === -1) {
    lineEnd = buf.indexOf(LF, from);
    if (lineEnd === -1) {
      if (len - pos > limits.maxUriBytes + REQUEST_LINE_SLACK) throw tooLongLine(buf, pos, limits);
      checkBareCr(buf, from, len);
      return;
    }
    if (lineEnd === pos || buf[lineEnd - 1] !== CR) throw protocolError('BAD_REQUEST', 'request line must end with CRLF');
    parseRequestLine(buf.toString('latin1', pos, lineEnd - 1), lineEnd - 1 - pos, limits);
    if (scan !== undefined) scan.lineEnd = lineEnd;
  }
  if (len - (lineEnd + 1) > limits.maxHeaderBytes) throw headersTooLarge(limits);
  // Every LF in the field lines must follow a CR, and no CR may stand alone.
  for (let lf = buf.indexOf(LF, Math.max(lineEnd + 1, from)); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
    if (buf[lf - 1] !== CR) throw protocolError('BAD_REQUEST', 'header line must end with CRLF');
  }
  checkBareCr(buf, Math.max(lineEnd + 1, from), len);
}

function checkBareCr(buf: Buffer, from: number, len: number): void {
  for (let cr = buf.indexOf(CR, from); cr !== -1 && cr + 1 < len; cr = buf.indexOf(CR, cr + 1)) {
    if (buf[cr + 1] !== LF) throw protocolError('BAD_REQUEST', 'bare CR in request head');
  }
}

function headersTooLarge(limits: HeadLimits) {
  return protocolError('HEADERS_TOO_LARGE', `header section exceeds ${limits.maxHeaderBytes} bytes`);
}

/** A request line with no end in sight: 414 if it looks like "METHOD target…", else 400. */
function tooLongLine(buf: Buffer, pos: number, limits: HeadLimits) {
  const sp = buf.indexOf(SP, pos);
  if (sp !== -1 && sp - pos < REQUEST_LINE_SLACK) {
    return protocolError('URI_TOO_LONG', `request-target exceeds ${limits.maxUriBytes} bytes`);
  }
  return protocolError('BAD_REQUEST', 'malformed request line');
}

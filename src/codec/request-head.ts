/**
 * Parser of a request head (request line + field lines, RFC 9112 §2–§5).
 *
 * Called with everything buffered so far; returns the parsed head, null ("need more
 * bytes"), or throws a ProtocolError (the connection answers it and closes). A complete
 * head is found with one native search for CRLFCRLF and decoded once (latin1), then
 * parsed as a string: that is what makes the common case cheap. An incomplete head is
 * only checked for what must fail early (a bad request line, bare CR/LF, sizes), so a
 * client can never make the server wait on input that is already invalid.
 */
import { protocolError } from './errors.js';
import { CR, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN } from './chars.js';

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
  /** The head as latin1 text from its request line to its last field line's CRLF (a slice: no copy). */
  text: string;
}

const COLON = 0x3a;
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');
/** Room for method, two spaces and the version around a maximal target. */
const REQUEST_LINE_SLACK = 64;
/** Bytes decoded up front when looking for the end of a head. */
const SEARCH_WINDOW = 2048;

export function parseHead(buf: Buffer, limits: HeadLimits): ParsedHead | null {
  const len = buf.length;
  let pos = 0;
  // RFC 9112 §2.2: ignore at least one empty line before the request-line.
  while (pos + 1 < len && buf[pos] === CR && buf[pos + 1] === LF) pos += 2;
  if (pos >= len || (pos + 1 === len && buf[pos] === CR)) return null;
  // Reject garbage at once instead of waiting for a line end that may never come.
  if (TOKEN[buf[pos]] !== 1) throw protocolError('BAD_REQUEST', 'malformed request line');

  // Decode once and search the string: cheaper than a Buffer search plus a decode. Almost
  // every head fits the window; a longer one (or a body behind it) is found in the Buffer.
  const windowEnd = Math.min(len, pos + SEARCH_WINDOW);
  let s = buf.toString('latin1', pos, windowEnd);
  let blank = s.indexOf('\r\n\r\n');
  if (blank === -1 && windowEnd < len) {
    blank = buf.indexOf(END_OF_HEAD, pos);
    if (blank !== -1) {
      blank -= pos;
      s = buf.toString('latin1', pos, pos + blank + 4);
    }
  }
  if (blank === -1) {
    checkPartial(buf, pos, limits);
    return null;
  }
  // s[0, blank + 2) is the head: request line and field lines, each ending in CRLF.
  const lineEnd = s.indexOf('\r\n');
  const rl = parseRequestLine(s, lineEnd, limits);
  const fields = parseFields(s, lineEnd + 2, blank + 2, limits);
  return { method: rl.method, target: rl.target, httpMinor: rl.httpMinor, fields, end: pos + blank + 4, text: s.slice(0, blank + 2) };
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

/** Field lines in s[start, end), which ends with the CRLF of the last line. */
function parseFields(s: string, start: number, end: number, limits: HeadLimits): string[] {
  const fields: string[] = [];
  if (end - start > limits.maxHeaderBytes) throw headersTooLarge(limits);
  let p = start;
  let count = 0;
  while (p < end) {
    const le = s.indexOf('\r\n', p);
    if (++count > limits.maxHeaders) throw protocolError('HEADERS_TOO_LARGE', `more than ${limits.maxHeaders} header fields`);
    const c = s.charCodeAt(p);
    if (c === SP || c === HTAB) throw protocolError('BAD_REQUEST', 'obsolete line folding or whitespace before a field is not allowed');
    let q = p;
    while (TOKEN[s.charCodeAt(q)] === 1) q++;
    if (q === p || s.charCodeAt(q) !== COLON) throw protocolError('BAD_REQUEST', 'malformed header field name');
    let vs = q + 1;
    let ve = le;
    while (vs < ve && isOwsCode(s.charCodeAt(vs))) vs++;
    while (ve > vs && isOwsCode(s.charCodeAt(ve - 1))) ve--;
    for (let k = vs; k < ve; k++) {
      if (FIELD_VALUE[s.charCodeAt(k)] !== 1) throw protocolError('BAD_REQUEST', 'invalid character in header field value');
    }
    fields.push(lowerName(s.slice(p, q)), s.slice(vs, ve));
    p = le + 2;
  }
  return fields;
}

function isOwsCode(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Common methods as constants: comparing and hashing them later (routing) is cheaper. */
const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function methodName(s: string, len: number): string {
  for (const m of COMMON_METHODS) if (m.length === len && s.startsWith(m)) return m;
  return s.slice(0, len);
}

/** Common field names as clients send them, to their lower-cased constants. */
const COMMON_NAMES = new Map<string, string>();
for (const n of [
  // Requests
  'Host',
  'User-Agent',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Connection',
  'Content-Length',
  'Content-Type',
  'Transfer-Encoding',
  'Expect',
  'X-Request-Id',
  'X-Request-ID',
  'Authorization',
  'Cookie',
  'Cache-Control',
  'Referer',
  'Origin',
  'If-None-Match',
  'If-Modified-Since',
  'Range',
  // Responses (the dispatcher's upstream client parses them with the same helper)
  'Date',
  'Server',
  'Content-Encoding',
  'ETag',
  'Last-Modified',
  'Location',
  'Vary',
  'Retry-After',
  'X-Worker-Id',
  'Keep-Alive',
  'Allow',
  'Accept-Ranges',
  'Content-Range',
]) {
  COMMON_NAMES.set(n, n.toLowerCase());
}

/** Most clients send canonical names; lower-casing only when needed saves an allocation. */
export function lowerName(n: string): string {
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return COMMON_NAMES.get(n) ?? n.toLowerCase();
  }
  return n;
}

/**
 * The head is not complete yet: fail now if what arrived is already invalid or too big
 * (a request line without a version, bare CR or LF, an over-long line or section).
 */
function checkPartial(buf: Buffer, pos: number, limits: HeadLimits): void {
  const len = buf.length;
  const lineEnd = buf.indexOf(LF, pos);
  if (lineEnd === -1) {
    if (len - pos > limits.maxUriBytes + REQUEST_LINE_SLACK) throw tooLongLine(buf, pos, limits);
    checkBareCr(buf, pos, len);
    return;
  }
  if (lineEnd === pos || buf[lineEnd - 1] !== CR) throw protocolError('BAD_REQUEST', 'request line must end with CRLF');
  parseRequestLine(buf.toString('latin1', pos, lineEnd - 1), lineEnd - 1 - pos, limits);
  if (len - (lineEnd + 1) > limits.maxHeaderBytes) throw headersTooLarge(limits);
  // Every LF in the field lines must follow a CR, and no CR may stand alone.
  for (let lf = buf.indexOf(LF, lineEnd + 1); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
    if (buf[lf - 1] !== CR) throw protocolError('BAD_REQUEST', 'header line must end with CRLF');
  }
  checkBareCr(buf, lineEnd + 1, len);
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

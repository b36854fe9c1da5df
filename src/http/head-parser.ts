/**
 * Incremental parser of a request head (request line + field lines, RFC 9112 §2–§5).
 * It is called with everything buffered so far and either returns the parsed head,
 * returns null ("need more bytes"), or throws an HttpError (the connection then answers
 * it and closes). Re-scanning a partial head on the next call is cheap for heads of a
 * few hundred bytes and keeps the parser stateless, hence correct for any split.
 */
import { httpError } from '../shared/errors.js';
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
}

const COLON = 0x3a;
const VERSION_RE = /^HTTP\/(\d)\.(\d)$/;

/** Room for method, two spaces and the version around a maximal target. */
const REQUEST_LINE_SLACK = 64;

export function parseHead(buf: Buffer, limits: HeadLimits): ParsedHead | null {
  const len = buf.length;
  let pos = 0;
  // RFC 9112 §2.2: ignore at least one empty line before the request-line.
  while (pos + 1 < len && buf[pos] === CR && buf[pos + 1] === LF) pos += 2;
  if (pos >= len || (pos + 1 === len && buf[pos] === CR)) return null;
  // Reject garbage at once instead of waiting for a line end that may never come.
  if (TOKEN[buf[pos]] !== 1) throw httpError('BAD_REQUEST', 'malformed request line');

  const lineEnd = buf.indexOf(LF, pos);
  if (lineEnd === -1) {
    if (len - pos > limits.maxUriBytes + REQUEST_LINE_SLACK) throw tooLongLine(buf, pos, limits);
    return null;
  }
  const cr = lineEnd - 1;
  if (cr < pos || buf[cr] !== CR) throw httpError('BAD_REQUEST', 'request line must end with CRLF');

  let i = pos;
  while (TOKEN[buf[i]] === 1) i++;
  if (buf[i] !== SP) throw httpError('BAD_REQUEST', 'malformed request line');
  const method = buf.toString('latin1', pos, i);

  const targetStart = i + 1;
  let j = targetStart;
  while (TARGET[buf[j]] === 1) j++;
  if (j - targetStart > limits.maxUriBytes) {
    throw httpError('URI_TOO_LONG', `request-target exceeds ${limits.maxUriBytes} bytes`);
  }
  if (j === targetStart || buf[j] !== SP || j >= cr) {
    throw httpError('BAD_REQUEST', 'malformed request line');
  }
  const target = buf.toString('latin1', targetStart, j);

  const m = VERSION_RE.exec(buf.toString('latin1', j + 1, cr));
  if (m === null) throw httpError('BAD_REQUEST', 'malformed HTTP version');
  if (m[1] !== '1') throw httpError('VERSION_NOT_SUPPORTED', `HTTP/${m[1]}.${m[2]} is not supported; use HTTP/1.1`);
  // A higher 1.x minor is answered as 1.1 (RFC 9110 §6.2).
  const httpMinor: 0 | 1 = m[2] === '0' ? 0 : 1;

  const fields: string[] = [];
  const headerStart = lineEnd + 1;
  let p = headerStart;
  let count = 0;
  for (;;) {
    if (p >= len) return incomplete(len - headerStart, limits);
    const c = buf[p];
    if (c === CR) {
      if (p + 1 >= len) return incomplete(len - headerStart, limits);
      if (buf[p + 1] !== LF) throw httpError('BAD_REQUEST', 'bare CR in header section');
      return { method, target, httpMinor, fields, end: p + 2 };
    }
    if (c === LF) throw httpError('BAD_REQUEST', 'header line must end with CRLF');
    const le = buf.indexOf(LF, p);
    if (le === -1) return incomplete(len - headerStart, limits);
    if (le + 1 - headerStart > limits.maxHeaderBytes) throw headersTooLarge(limits);
    if (buf[le - 1] !== CR) throw httpError('BAD_REQUEST', 'header line must end with CRLF');
    if (++count > limits.maxHeaders) {
      throw httpError('HEADERS_TOO_LARGE', `more than ${limits.maxHeaders} header fields`);
    }
    if (c === SP || c === HTAB) throw httpError('BAD_REQUEST', 'obsolete line folding or whitespace before a field is not allowed');
    let q = p;
    while (TOKEN[buf[q]] === 1) q++;
    if (q === p || buf[q] !== COLON) throw httpError('BAD_REQUEST', 'malformed header field name');
    let vs = q + 1;
    let ve = le - 1;
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    for (let k = vs; k < ve; k++) {
      if (FIELD_VALUE[buf[k]] !== 1) throw httpError('BAD_REQUEST', 'invalid character in header field value');
    }
    fields.push(buf.toString('latin1', p, q).toLowerCase(), buf.toString('latin1', vs, ve));
    p = le + 1;
  }
}

function incomplete(headerBytes: number, limits: HeadLimits): null {
  if (headerBytes > limits.maxHeaderBytes) throw headersTooLarge(limits);
  return null;
}

function headersTooLarge(limits: HeadLimits) {
  return httpError('HEADERS_TOO_LARGE', `header section exceeds ${limits.maxHeaderBytes} bytes`);
}

/** A request line with no end in sight: 414 if it looks like "METHOD target…", else 400. */
function tooLongLine(buf: Buffer, pos: number, limits: HeadLimits) {
  const sp = buf.indexOf(SP, pos);
  if (sp !== -1 && sp - pos < REQUEST_LINE_SLACK) {
    return httpError('URI_TOO_LONG', `request-target exceeds ${limits.maxUriBytes} bytes`);
  }
  return httpError('BAD_REQUEST', 'malformed request line');
}

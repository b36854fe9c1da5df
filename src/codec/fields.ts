/**
 * Field lines (RFC 9112 §5), as strict for responses as for requests: a name is a token
 * followed at once by a colon (no whitespace before it), a line never starts with
 * whitespace (obs-fold), a value holds field-vchars, SP, HTAB and obs-text only (so no
 * bare CR, LF or NUL), and OWS around the value is not part of it. Lenient field parsing
 * is where request smuggling and response splitting live.
 */
import { CR, HTAB, LF, SP, TOKEN } from './chars.js';
import { type ProtocolErrorCode, protocolError } from './errors.js';

const COLON = 0x3a;

export interface FieldRules {
  readonly maxHeaders: number;
  /** The code of a malformed line: BAD_REQUEST for requests, BAD_RESPONSE for responses. */
  readonly bad: ProtocolErrorCode;
  /** The code of too many fields. */
  readonly tooMany: ProtocolErrorCode;
}

/**
 * Validates the field lines in bytes[start, end) - `end` just past the last line's CRLF -
 * and returns four offsets per field, relative to `base`: name start, colon, value start,
 * value end (OWS trimmed). It reads the bytes, not their latin1 text: on V8 a Uint8Array
 * load costs a fraction of String#charCodeAt, and every character of a head passes here
 * once (the line end is where the value's own scan stops).
 */
export function scanFields(bytes: Uint8Array, start: number, end: number, rules: FieldRules, base = 0): number[] {
  // Module bindings are read through their cell on every access: a local is read once.
  const token = TOKEN;
  const out: number[] = [];
  let p = start;
  let count = 0;
  while (p < end) {
    if (++count > rules.maxHeaders) throw protocolError(rules.tooMany, `more than ${rules.maxHeaders} header fields`);
    let q = p;
    while (token[bytes[q]] === 1) q++;
    if (q === p || bytes[q] !== COLON) {
      const c = bytes[p];
      if (c === SP || c === HTAB) throw protocolError(rules.bad, 'obsolete line folding or whitespace before a field is not allowed');
      throw protocolError(rules.bad, 'malformed header field name');
    }
    let k = q + 1;
    let c = bytes[k];
    while (c === SP || c === HTAB) c = bytes[++k];
    const vs = k;
    // Just past the last byte that is not OWS.
    let ve = k;
    // field-vchar and obs-text (0x21-0xFF but DEL), SP and HTAB, up to the line's CR.
    for (;;) {
      if (c >= 0x21 && c !== 0x7f) ve = ++k;
      else if (c === SP || c === HTAB) k++;
      else break;
      c = bytes[k];
    }
    if (c !== CR || bytes[k + 1] !== LF) throw protocolError(rules.bad, 'invalid character in header field value');
    out.push(p - base, q - base, vs - base, ve - base);
    p = k + 2;
  }
  return out;
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Common field names as peers send them, to their lower-cased constants. */
const COMMON_NAMES = new Map<string, string>();
for (const n of [
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

/** Most peers send canonical names; lower-casing only when needed saves an allocation. */
export function lowerName(n: string): string {
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return COMMON_NAMES.get(n) ?? n.toLowerCase();
  }
  return n;
}

/** Whether s[from, to) equals `lower` (a lower-case name) ignoring ASCII case; no string made. */
export function nameIs(s: string, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((s.charCodeAt(from + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether bytes[from, from + lower.length) equal `lower` (a lower-case name) ignoring ASCII case. */
export function bytesNameIs(bytes: Uint8Array, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[from + i] | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The comma-separated tokens of a list field (Connection, Transfer-Encoding), lower-cased, empties dropped. */
export function listTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    let a = 0;
    let b = part.length;
    while (a < b && isOws(part.charCodeAt(a))) a++;
    while (b > a && isOws(part.charCodeAt(b - 1))) b--;
    if (b > a) out.push(part.slice(a, b).toLowerCase());
  }
  return out;
}

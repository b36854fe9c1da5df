/**
 * What a head says about the message around it (RFC 9112 §6, §9): where the body ends and
 * whether the connection stays open, for requests and for responses, plus the request's
 * Host and Expect. Every anti-smuggling rule lives here, in one place, for both directions.
 */
import { trimOws } from './chars.js';
import { type ProtocolErrorCode, protocolError } from './errors.js';
import { bytesNameIs, listTokens } from './fields.js';
import type { ParsedHead } from './request-head.js';

/** How a message body is delimited. */
export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

export interface BodyFraming {
  readonly kind: BodyKind;
  /** The Content-Length when kind is 'length'. */
  readonly length: number;
  /** The connection may carry another message after this one. */
  readonly keepAlive: boolean;
  /** A response's Keep-Alive field value (the peer's idle timeout), if any. */
  readonly keepAliveField?: string;
}

export interface Framing {
  /** 'none' = no body; 'length' = Content-Length; 'chunked'. */
  readonly body: 'none' | 'length' | 'chunked';
  readonly contentLength: number;
  /** The client wants the connection kept open after this exchange. */
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  /** Host header value ('' when absent). */
  readonly host: string;
  readonly requestId: string | undefined;
  /** The request asks to switch protocols (Connection: upgrade and an Upgrade field). */
  readonly upgrade: string | undefined;
}

/** RFC 3986 reg-name / IPv4 characters (unreserved, sub-delims, '%'). */
const REG_NAME = new Uint8Array(256);
for (const c of "-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
/** Characters inside an IP-literal's brackets. */
const IP_LITERAL = new Uint8Array(256);
for (const c of ':.') IP_LITERAL[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) REG_NAME[c] = IP_LITERAL[c] = 1;
for (let c = 0x41; c <= 0x46; c++) IP_LITERAL[c] = IP_LITERAL[c + 0x20] = 1;
for (let c = 0x41; c <= 0x5a; c++) REG_NAME[c] = REG_NAME[c + 0x20] = 1;
const DIGITS_RE = /^[0-9]+$/;
/** Beyond 15 digits a length cannot be represented exactly; no body that big is accepted. */
const MAX_LENGTH_DIGITS = 15;

export function requestFraming(head: ParsedHead): Framing {
  const f = head.fields;
  let host: string | undefined;
  let hostCount = 0;
  let cl: string | undefined;
  let te: string | undefined;
  let connection: string | undefined;
  let expect: string | undefined;
  let requestId: string | undefined;
  let upgrade: string | undefined;

  for (let i = 0; i < f.length; i += 2) {
    const name = f[i];
    const value = f[i + 1];
    switch (name) {
      case 'host':
        hostCount++;
        host = value;
        break;
      case 'content-length':
        cl = mergeContentLength(cl, value, 'BAD_REQUEST');
        break;
      case 'transfer-encoding':
        te = te === undefined ? value : `${te},${value}`;
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection},${value}`;
        break;
      case 'expect':
        expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
      case 'x-request-id':
        requestId ??= value;
        break;
      case 'upgrade':
        upgrade = upgrade === undefined ? value : `${upgrade}, ${value}`;
        break;
    }
  }

  if (head.httpMinor === 1 && hostCount === 0) throw protocolError('BAD_REQUEST', 'missing Host header');
  if (hostCount > 1) throw protocolError('BAD_REQUEST', 'more than one Host header');
  if (host !== undefined && !isValidHost(host)) throw protocolError('BAD_REQUEST', 'invalid Host header');

  let body: Framing['body'] = 'none';
  let contentLength = 0;
  if (te !== undefined) {
    // TE in HTTP/1.0 or alongside Content-Length is faulty framing (RFC 9112 §6.1, §6.3).
    if (head.httpMinor === 0) throw protocolError('BAD_REQUEST', 'Transfer-Encoding is not allowed in HTTP/1.0');
    if (cl !== undefined) throw protocolError('BAD_REQUEST', 'both Transfer-Encoding and Content-Length');
    const codings = listTokens(te);
    const last = codings[codings.length - 1];
    if (codings.some((c) => c !== 'chunked')) {
      if (last !== 'chunked') throw protocolError('BAD_REQUEST', 'chunked must be the final transfer coding');
      throw protocolError('NOT_IMPLEMENTED', `unsupported transfer coding: ${codings.find((c) => c !== 'chunked')}`);
    }
    if (codings.length !== 1) throw protocolError('BAD_REQUEST', 'chunked applied more than once');
    body = 'chunked';
  } else if (cl !== undefined) {
    contentLength = Number(cl);
    body = contentLength > 0 ? 'length' : 'none';
  }

  let expectContinue = false;
  if (expect !== undefined) {
    const e = trimOws(expect).toLowerCase();
    if (e !== '100-continue') throw protocolError('EXPECTATION_FAILED', `unsupported expectation: ${expect}`);
    // HTTP/1.0 clients do not understand 100 Continue (RFC 9110 §10.1.1).
    expectContinue = head.httpMinor === 1 && body !== 'none';
  }

  const tokens = connection === undefined ? undefined : listTokens(connection);
  const close = tokens?.includes('close') === true;
  const keepAlive = head.httpMinor === 1 ? !close : tokens?.includes('keep-alive') === true && !close;
  // An Upgrade field counts only when Connection names it (RFC 9110 §7.8).
  const upgrades = upgrade !== undefined && head.httpMinor === 1 && tokens?.includes('upgrade') === true ? upgrade : undefined;
  return { body, contentLength, keepAlive, expectContinue, host: host ?? '', requestId, upgrade: upgrades };
}

/**
 * The framing of a response to `method` with this status and these fields (offsets into
 * `text`, as scanFields gives them), RFC 9112 §6.3. Refused (BAD_RESPONSE): both
 * Content-Length and Transfer-Encoding, Transfer-Encoding in HTTP/1.0, an invalid or
 * repeated Content-Length - answers a downstream client and we could disagree about.
 * `bytes` from `base` are the bytes `text` was decoded from (names are compared there).
 */
export function responseFraming(
  text: string,
  offsets: readonly number[],
  method: string,
  status: number,
  httpMinor: 0 | 1,
  bytes: Uint8Array,
  base: number,
): BodyFraming {
  let cl: string | undefined;
  let te: string | undefined;
  let connection: string | undefined;
  let keepAliveField: string | undefined;
  for (let i = 0; i < offsets.length; i += 4) {
    const ns = offsets[i];
    // Only four names matter here, told apart by length (and the first letter for the two of 10).
    const n = offsets[i + 1] - ns;
    const at = base + ns;
    if (n === 14) {
      if (!bytesNameIs(bytes, at, 'content-length')) continue;
      const value = text.slice(offsets[i + 2], offsets[i + 3]);
      // A relay passes the field on as it came, so it must be what downstream clients
      // (llhttp) accept: one line, one value - a repeat, even of the same value, is refused.
      if (cl !== undefined || value.includes(',')) throw protocolError('BAD_RESPONSE', 'Content-Length repeated');
      cl = mergeContentLength(undefined, value, 'BAD_RESPONSE');
    } else if (n === 17) {
      if (!bytesNameIs(bytes, at, 'transfer-encoding')) continue;
      const value = text.slice(offsets[i + 2], offsets[i + 3]);
      te = te === undefined ? value : `${te},${value}`;
    } else if (n === 10) {
      if (bytesNameIs(bytes, at, 'connection')) {
        const value = text.slice(offsets[i + 2], offsets[i + 3]);
        connection = connection === undefined ? value : `${connection},${value}`;
      } else if (bytesNameIs(bytes, at, 'keep-alive')) keepAliveField = text.slice(offsets[i + 2], offsets[i + 3]);
    }
  }
  // Refused even where no body follows (HEAD, 204, 304): the head goes on to a client as it came.
  if (te !== undefined && cl !== undefined) throw protocolError('BAD_RESPONSE', 'both Transfer-Encoding and Content-Length');
  const tokens = connection === undefined ? undefined : listTokens(connection);
  let keepAlive = httpMinor === 1 && tokens?.includes('close') !== true;
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') {
    // No body whatever the fields say (RFC 9112 §6.3 rules 1–2); a 101 hands the
    // connection to another protocol.
    if (status === 101) keepAlive = false;
    return { kind: 'none', length: 0, keepAlive, keepAliveField };
  }
  if (te !== undefined) {
    if (httpMinor === 0) throw protocolError('BAD_RESPONSE', 'Transfer-Encoding in an HTTP/1.0 response');
    const codings = listTokens(te);
    if (codings[codings.length - 1] === 'chunked') {
      if (codings.indexOf('chunked') !== codings.length - 1) throw protocolError('BAD_RESPONSE', 'chunked applied more than once');
      return { kind: 'chunked', length: 0, keepAlive, keepAliveField };
    }
    return { kind: 'close', length: 0, keepAlive: false, keepAliveField };
  }
  if (cl !== undefined) {
    const length = Number(cl);
    return { kind: length === 0 ? 'none' : 'length', length, keepAlive, keepAliveField };
  }
  return { kind: 'close', length: 0, keepAlive: false, keepAliveField };
}

/** Content-Length may repeat (as lines or a list) only with one value (RFC 9112 §6.3). */
function mergeContentLength(prev: string | undefined, value: string, bad: ProtocolErrorCode): string {
  // The common case - one value of digits without leading zeros - needs no split, trim or regex.
  if (prev === undefined && isPlainLength(value)) return value;
  let result = prev;
  for (const part of value.split(',')) {
    const v = trimOws(part);
    if (!DIGITS_RE.test(v)) throw protocolError(bad, 'invalid Content-Length');
    const norm = v.replace(/^0+(?=\d)/, '');
    if (norm.length > MAX_LENGTH_DIGITS)
      throw protocolError(bad === 'BAD_REQUEST' ? 'PAYLOAD_TOO_LARGE' : bad, 'Content-Length is too large');
    if (result !== undefined && result !== norm) throw protocolError(bad, 'conflicting Content-Length values');
    result = norm;
  }
  return result as string;
}

function isPlainLength(v: string): boolean {
  const n = v.length;
  if (n === 0 || n > MAX_LENGTH_DIGITS || (n > 1 && v.charCodeAt(0) === 0x30)) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * RFC 3986 host [":" port]: reg-name / IPv4 (possibly empty) or an IP-literal in brackets,
 * then an optional port of digits. A table-driven loop: cheaper than a regex per request.
 */
export function isValidHost(h: string): boolean {
  const n = h.length;
  let i = 0;
  if (n > 0 && h.charCodeAt(0) === 0x5b /* [ */) {
    i = 1;
    while (i < n && IP_LITERAL[h.charCodeAt(i)] === 1) i++;
    if (i === 1 || i === n || h.charCodeAt(i) !== 0x5d /* ] */) return false;
    i++;
  } else {
    while (i < n && REG_NAME[h.charCodeAt(i)] === 1) i++;
  }
  if (i === n) return true;
  if (h.charCodeAt(i) !== 0x3a /* : */) return false;
  for (i++; i < n; i++) {
    const c = h.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

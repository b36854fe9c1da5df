/**
 * What the head says about the message around it (RFC 9112 §6, §9): body framing,
 * persistence, Host and Expect. All the anti-smuggling rules live here, in one place.
 */
import { protocolError } from './errors.js';
import { trimOws } from './chars.js';
import type { ParsedHead } from './request-head.js';

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

export function analyzeHead(head: ParsedHead): Framing {
  const f = head.fields;
  let host: string | undefined;
  let hostCount = 0;
  let cl: string | undefined;
  let te: string[] | undefined;
  let connClose = false;
  let connKeepAlive = false;
  let expect: string | undefined;
  let requestId: string | undefined;

  for (let i = 0; i < f.length; i += 2) {
    const name = f[i];
    const value = f[i + 1];
    switch (name) {
      case 'host':
        hostCount++;
        host = value;
        break;
      case 'content-length':
        cl = mergeContentLength(cl, value);
        break;
      case 'transfer-encoding':
        (te ??= []).push(...value.split(','));
        break;
      case 'connection':
        for (const tok of value.split(',')) {
          const t = trimOws(tok).toLowerCase();
          if (t === 'close') connClose = true;
          else if (t === 'keep-alive') connKeepAlive = true;
        }
        break;
      case 'expect':
        expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
      case 'x-request-id':
        requestId ??= value;
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
    const codings = te.map((c) => trimOws(c).toLowerCase()).filter((c) => c !== '');
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

  const keepAlive = head.httpMinor === 1 ? !connClose : connKeepAlive && !connClose;
  return { body, contentLength, keepAlive, expectContinue, host: host ?? '', requestId };
}

/** Content-Length may repeat (as lines or a list) only with one value (RFC 9112 §6.3). */
function mergeContentLength(prev: string | undefined, value: string): string {
  let result = prev;
  for (const part of value.split(',')) {
    const v = trimOws(part);
    if (!DIGITS_RE.test(v)) throw protocolError('BAD_REQUEST', 'invalid Content-Length');
    const norm = v.replace(/^0+(?=\d)/, '');
    if (norm.length > MAX_LENGTH_DIGITS) throw protocolError('PAYLOAD_TOO_LARGE', 'Content-Length is too large');
    if (result !== undefined && result !== norm) throw protocolError('BAD_REQUEST', 'conflicting Content-Length values');
    result = norm;
  }
  return result as string;
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

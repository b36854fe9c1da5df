/**
 * Serialises a request head, and decides the body's framing, before a connection is
 * taken: a bad header then fails the request without touching a socket.
 */
import type { Readable } from 'node:stream';
import type { AbortLike } from '../common/light-signal.js';
import { rawError } from './errors.js';

export type RequestBody = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | null | undefined;

export interface RawRequestOptions {
  method: string;
  path: string;
  headers?: string[] | Record<string, string | string[]>;
  body?: RequestBody;
  /** An AbortSignal or the engine's lighter request signal. */
  signal?: AbortLike;
  /** Max wait for the head, and max idle time between body chunks; 0 disables. */
  timeoutMs: number;
  /**
   * The caller vouches that header names are lower-case tokens and values hold no CR, LF
   * or NUL - true of fields the engine's parser accepted - so they are not checked again.
   */
  headersValidated?: boolean;
}

export interface SerializedRequest {
  /** The head, CRLF CRLF included. */
  head: string;
  /** A streamed body goes with chunked coding unless the caller gave a Content-Length. */
  chunked: boolean;
}

/** Fields whose framing or connection meaning is the client's own business. */
const OWN_FIELDS: ReadonlySet<string> = new Set(['transfer-encoding', 'connection', 'keep-alive']);
/** Methods whose empty body undici announces with Content-Length: 0; so do we. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
const UNSAFE = /[\r\n\0]/;

export function serializeRequest(req: RawRequestOptions, host: string): SerializedRequest {
  if (UNSAFE.test(req.method) || UNSAFE.test(req.path) || req.path.includes(' ')) {
    throw rawError('UND_ERR_INVALID_ARG', 'invalid method or path');
  }
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  const validated = req.headersValidated === true;
  const add = (name: string, value: string): void => {
    if (!validated && (UNSAFE.test(name) || UNSAFE.test(value) || name.includes(':'))) {
      throw rawError('UND_ERR_INVALID_ARG', `invalid header ${JSON.stringify(name)}`);
    }
    const lower = validated ? name : name.toLowerCase();
    if (OWN_FIELDS.has(lower)) return;
    if (lower === 'host') hasHost = true;
    else if (lower === 'content-length') hasLength = true;
    head += `${name}: ${value}\r\n`;
  };
  const headers = req.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (headers !== undefined) {
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (Array.isArray(value)) for (const v of value) add(name, v);
      else add(name, value);
    }
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  const body = req.body;
  let chunked = false;
  if (body === null || body === undefined) {
    if (!hasLength && BODY_METHODS.has(req.method)) head += 'content-length: 0\r\n';
  } else if (typeof body === 'string') {
    if (!hasLength) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  } else if (body instanceof Uint8Array) {
    if (!hasLength) head += `content-length: ${body.byteLength}\r\n`;
  } else if (!hasLength) {
    head += 'transfer-encoding: chunked\r\n';
    chunked = true;
  }
  return { head: `${head}\r\n`, chunked };
}

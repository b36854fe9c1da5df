/**
 * Response compression (SPEC §6): gzip and brotli from node:zlib for answers of a
 * compressible type larger than a threshold, when Accept-Encoding allows. Handlers call
 * it instead of `res.json()` / `res.send()`; the static file handler uses its parts.
 *
 * Every answer whose coding depended on Accept-Encoding carries `Vary: Accept-Encoding`,
 * compressed or not, so a shared cache never hands a brotli body to a client that did
 * not ask for one. Compression runs on libuv's thread pool (zlib's async API): a large
 * JSON answer never blocks the event loop.
 */
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { negotiateEncoding, type ContentCoding } from './accept-encoding.js';
import { JSON_TYPE } from './response.js';
import type { HttpRequest, HttpResponse } from './types.js';

export type { ContentCoding } from './accept-encoding.js';

export interface CompressionOptions {
  /** Off: every answer goes out as it is, and none carries Vary. @default true */
  readonly enabled?: boolean;
  /** Bodies of at most this many bytes go out as they are. @default 1024 */
  readonly threshold?: number;
}

export const COMPRESSION_DEFAULTS = Object.freeze({ enabled: true, threshold: 1024 });

/**
 * How hard to work. `answer`: compressed for each answer, so fast (brotli 4 is faster
 * than gzip 6 and smaller on text). `kept`: compressed once and reused (cached small
 * files, fixed pages), so brotli 6; 9 and above cost 10–20× more time for a few percent.
 */
export type Effort = 'answer' | 'kept';

const BROTLI_QUALITY: Readonly<Record<Effort, number>> = Object.freeze({ answer: 4, kept: 6 });
const GZIP_LEVEL = 6;

// Text and the structured formats over it compress well; everything else is either
// compressed already (images but SVG and BMP, audio, video, archives, woff/woff2, PDF)
// or unknown (application/octet-stream), and gets no second pass.
const COMPRESSIBLE =
  /^(?:text\/[\w.+-]+|application\/(?:json|javascript|ecmascript|xml|wasm|x-ndjson|[\w.-]+\+(?:json|xml))|image\/(?:svg\+xml|bmp|vnd\.microsoft\.icon)|font\/(?:ttf|otf))$/;

/** Whether a Content-Type is worth compressing (its media type; parameters ignored). */
export function isCompressibleType(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  return COMPRESSIBLE.test((semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase());
}

function brotliParams(effort: Effort, sizeHint: number): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY[effort],
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint,
    },
  };
}

/** The whole body, compressed on the thread pool. */
export function compressBody(coding: ContentCoding, body: Buffer, effort: Effort): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer): void => (err === null ? resolve(out) : reject(err));
    if (coding === 'br') zlib.brotliCompress(body, brotliParams(effort, body.length), done);
    else zlib.gzip(body, { level: GZIP_LEVEL }, done);
  });
}

/** A streaming encoder, for bodies too large to hold (static files). */
export function createEncoder(coding: ContentCoding, sizeHint: number): Transform {
  return coding === 'br' ? zlib.createBrotliCompress(brotliParams('answer', sizeHint)) : zlib.createGzip({ level: GZIP_LEVEL });
}

/**
 * The entity tag of a compressed representation: `"abc"` → `W/"abc-br"`. Suffixed, so the
 * three representations never share a tag (If-None-Match compares weakly, ignoring W/);
 * weak, because an on-the-fly encoding and a precompressed file of the same content are
 * equivalent but not byte-identical (and so never satisfy If-Range).
 */
export function variantEtag(etag: string, coding: ContentCoding): string {
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return `W/${opaque.slice(0, -1)}-${coding}"`;
}

/** Adds a field name to Vary, once. */
export function addVary(res: HttpResponse, field: string): void {
  const current = res.getHeader('vary');
  if (current === undefined) {
    res.setHeader('Vary', field);
    return;
  }
  const text = String(current);
  const names = text.split(',').map((s) => s.trim().toLowerCase());
  if (!names.includes(field.toLowerCase()) && !names.includes('*')) res.setHeader('Vary', `${text}, ${field}`);
}

/** A body known at start (a page): each coding is computed once, on first demand. */
export class KeptBody {
  readonly body: Buffer;
  readonly contentType: string;
  readonly #variants = new Map<ContentCoding, Promise<Buffer>>();
  /** The variants already computed, so later answers need no promise. */
  readonly #ready = new Map<ContentCoding, Buffer>();

  constructor(body: Buffer | string, contentType: string) {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.contentType = contentType;
  }

  /** The compressed body if it is computed already. */
  ready(coding: ContentCoding): Buffer | undefined {
    return this.#ready.get(coding);
  }

  variant(coding: ContentCoding): Promise<Buffer> {
    let v = this.#variants.get(coding);
    if (v === undefined) {
      v = compressBody(coding, this.body, 'kept');
      v.then(
        (out) => this.#ready.set(coding, out),
        // A failure is not kept: the next request tries again.
        () => this.#variants.delete(coding),
      );
      this.#variants.set(coding, v);
    }
    return v;
  }
}

/** One server's compression policy (`--compress`, `--compress-threshold`). */
export class ResponseCompression {
  readonly enabled: boolean;
  readonly threshold: number;

  constructor(options: CompressionOptions = {}) {
    this.enabled = options.enabled ?? COMPRESSION_DEFAULTS.enabled;
    this.threshold = options.threshold ?? COMPRESSION_DEFAULTS.threshold;
    if (!Number.isSafeInteger(this.threshold) || this.threshold < 0) {
      throw new RangeError(`compression.threshold must be an integer ≥ 0, got ${String(options.threshold)}`);
    }
  }

  /** Whether an answer of this type and size depends on Accept-Encoding at all. */
  applies(contentType: string, size: number): boolean {
    return this.enabled && size > this.threshold && isCompressibleType(contentType);
  }

  /**
   * The coding for this answer, or null for identity; sets `Vary: Accept-Encoding` when
   * the answer depends on it. `identityOnly` (a Range request) still varies: the same
   * URL without Range would be compressed.
   */
  choose(req: HttpRequest, res: HttpResponse, contentType: string, size: number, identityOnly = false): ContentCoding | null {
    if (!this.applies(contentType, size)) return null;
    addVary(res, 'Accept-Encoding');
    return identityOnly ? null : negotiateEncoding(req.headers.get('accept-encoding'));
  }

  /** `res.send()`, compressed when it applies. A synchronous send when it does not. */
  send(req: HttpRequest, res: HttpResponse, status: number, body: Buffer | string, contentType: string): void | Promise<void> {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const coding = this.choose(req, res, contentType, size);
    if (coding === null) {
      res.send(status, body, contentType);
      return undefined;
    }
    return compressBody(coding, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, 'answer').then((out) =>
      sendEncoded(res, status, out, contentType, coding),
    );
  }

  /** `res.json()`, compressed when it applies. */
  json(req: HttpRequest, res: HttpResponse, status: number, value: unknown): void | Promise<void> {
    return this.send(req, res, status, JSON.stringify(value), JSON_TYPE);
  }

  /** A KeptBody: its compressed variants are computed once and reused. */
  sendKept(req: HttpRequest, res: HttpResponse, status: number, kept: KeptBody): void | Promise<void> {
    const coding = this.choose(req, res, kept.contentType, kept.body.length);
    if (coding === null) {
      res.send(status, kept.body, kept.contentType);
      return undefined;
    }
    const ready = kept.ready(coding);
    if (ready !== undefined) {
      sendEncoded(res, status, ready, kept.contentType, coding);
      return undefined;
    }
    return kept.variant(coding).then((out) => sendEncoded(res, status, out, kept.contentType, coding));
  }
}

function sendEncoded(res: HttpResponse, status: number, body: Buffer, contentType: string, coding: ContentCoding): void {
  // The client may have left while the thread pool worked; send() is then a no-op.
  res.setHeader('Content-Encoding', coding);
  const etag = res.getHeader('etag');
  if (typeof etag === 'string') res.setHeader('ETag', variantEtag(etag, coding));
  res.send(status, body, contentType);
}

/** The policy of a server process's `--compress` and `--compress-threshold`. */
export function compressionOf(config: { readonly compress: 'on' | 'off'; readonly compressThreshold: number }): ResponseCompression {
  return new ResponseCompression({ enabled: config.compress === 'on', threshold: config.compressThreshold });
}

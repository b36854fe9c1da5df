/**
 * GET/HEAD of static files from `--www` (SPEC §3, last row): safe resolution, virtual
 * hosts, index.html, MIME types, ETag/Last-Modified → 304, single Range → 206/416,
 * a small-file LRU and backpressured streaming for everything else; gzip/brotli
 * (encoded.ts) for compressible files when the client accepts them and asks for no Range.
 */
import { httpError } from '../../common/errors.js';
import { ResponseCompression, type CompressionOptions } from '../../server/compress.js';
import type { Handler, HttpRequest, HttpResponse } from '../../server/types.js';
import { isNotModified, ifRangeAllows, validatorsFor, type Validators } from './conditional.js';
import { EncodedFiles } from './encoded.js';
import { FileCache } from './file-cache.js';
import { openServed } from './file-source.js';
import { locate, realRoot, virtualHostRoot } from './locate.js';
import { contentTypeFor } from './mime.js';
import { parseRange } from './range.js';
import { parseRequestPath } from './safe-path.js';
import { streamRange } from './stream.js';

export interface StaticOptions {
  /** Directory served; `root/<host>/` serves virtual host `<host>` when it exists. */
  root: string;
  /**
   * Byte budget of the in-memory cache of small files; 0 disables it.
   * @default 33554432 (32 MiB)
   */
  cacheBytes?: number;
  /**
   * Files up to this size are read whole (and cached); larger ones are streamed.
   * @default 262144 (256 KiB)
   */
  maxCachedFileBytes?: number;
  /**
   * gzip/brotli of compressible files larger than the threshold (and their precompressed
   * `.br`/`.gz` siblings). Compressed small files share the cache budget.
   * @default { enabled: true, threshold: 1024 }
   */
  compression?: CompressionOptions;
}

export const STATIC_DEFAULTS = Object.freeze({
  cacheBytes: 32 * 1024 * 1024,
  maxCachedFileBytes: 256 * 1024,
});

// max-age=0 with validators: clients may store files but revalidate every time, which
// the cheap ETag makes a 304; operators wanting longer caching front us with a CDN.
const CACHE_CONTROL = 'public, max-age=0';

function checkSize(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`static.${field} must be an integer ≥ 0, got ${String(value)}`);
  }
  return value;
}

export function createStaticHandler(options: StaticOptions): Handler {
  if (typeof options.root !== 'string' || options.root === '') throw new RangeError('static.root must be a non-empty path');
  const root = options.root;
  const cacheBytes = checkSize('cacheBytes', options.cacheBytes, STATIC_DEFAULTS.cacheBytes);
  const maxCached = Math.min(cacheBytes, checkSize('maxCachedFileBytes', options.maxCachedFileBytes, STATIC_DEFAULTS.maxCachedFileBytes));
  const cache = new FileCache(cacheBytes);
  const compression = new ResponseCompression(options.compression);
  const encoded = new EncodedFiles(cache, maxCached, CACHE_CONTROL);

  return async function serveStatic(req: HttpRequest, res: HttpResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw httpError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on static files`, { Allow: 'GET, HEAD' });
    }
    const parsed = parseRequestPath(req.rawPath);
    if (!parsed.ok) throw httpError(parsed.code, parsed.reason);
    // realpath per request (one syscall) rather than once, so an atomic `www -> release-N`
    // symlink swap is picked up without a restart.
    const base = await virtualHostRoot(await realRoot(root), req.hostname);
    const found = await locate(base, parsed.segments, parsed.trailingSlash);
    if (found.kind === 'redirect') {
      const location = req.rawQuery === '' ? found.location : `${found.location}?${req.rawQuery}`;
      res.setHeader('Location', location);
      res.send(301, '', 'text/plain; charset=utf-8');
      return;
    }
    const type = contentTypeFor(found.name);
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // A Range request gets the identity bytes: ranges of a compressed stream would depend
    // on the encoder, and resuming clients expect the file's own bytes.
    const coding = compression.choose(req, res, type, found.stat.size, req.method === 'GET' && req.headers.has('range'));
    if (coding !== null) {
      await encoded.serve(req, res, { base, realPath: found.realPath, stat: found.stat }, coding);
      return;
    }

    // Validators from the stat we already have: a 304 or a cache hit costs no open().
    let v = setValidators(res, found.stat.size, found.stat.mtimeMs);
    if (isNotModified({ ifNoneMatch: req.headers.get('if-none-match'), ifModifiedSince: req.headers.get('if-modified-since') }, v)) {
      res.removeHeader('Content-Type');
      res.status = 304;
      res.end();
      return;
    }
    const cached = found.stat.size <= maxCached ? cache.get(found.realPath, found.stat) : undefined;
    if (cached !== undefined) {
      await sendBody(req, res, v, cached.length, (s, e) => Promise.resolve(cached.subarray(s, e + 1)));
      return;
    }

    const { fh, stat: st } = await openServed(found.realPath);
    try {
      if (st.size <= maxCached) {
        const body = await fh.readFile();
        // A body that does not match its stat is mid-write: serve it, but do not keep it.
        if (body.length === st.size) cache.set(found.realPath, st, body);
        v = setValidators(res, body.length, st.mtimeMs);
        await sendBody(req, res, v, body.length, (s, e) => Promise.resolve(body.subarray(s, e + 1)));
        return;
      }
      v = setValidators(res, st.size, st.mtimeMs);
      await sendBody(req, res, v, st.size, (s, e) => streamRange(fh, req, res, s, e));
    } finally {
      await fh.close();
    }
  };
}

function setValidators(res: HttpResponse, size: number, mtimeMs: number): Validators {
  const v = validatorsFor(size, mtimeMs);
  res.setHeader('ETag', v.etag);
  res.setHeader('Last-Modified', v.lastModified);
  res.setHeader('Cache-Control', CACHE_CONTROL);
  res.setHeader('Accept-Ranges', 'bytes');
  return v;
}

/**
 * Sets status, Content-Range and Content-Length, then asks `produce` for the selected
 * bytes: a Buffer to send whole, or undefined when it streamed them itself.
 */
async function sendBody(
  req: HttpRequest,
  res: HttpResponse,
  v: Validators,
  size: number,
  produce: (start: number, end: number) => Promise<Buffer | undefined>,
): Promise<void> {
  // Range is defined for GET only (RFC 9110 §14.2); HEAD reports the full representation.
  const range =
    req.method === 'GET' && ifRangeAllows(req.headers.get('if-range'), v)
      ? parseRange(req.headers.get('range'), size)
      : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    throw httpError('RANGE_NOT_SATISFIABLE', `the range selects no byte of this ${size}-byte file`, {
      'Content-Range': `bytes */${size}`,
    });
  }
  let start = 0;
  let end = size - 1;
  if (range.kind === 'partial') {
    ({ start, end } = range);
    res.status = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  } else {
    res.status = 200;
  }
  res.setHeader('Content-Length', end - start + 1);
  if (req.method === 'HEAD' || end < start) {
    res.end();
    return;
  }
  const body = await produce(start, end);
  if (body !== undefined) res.end(body);
}

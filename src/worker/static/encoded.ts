/**
 * The compressed representations of a static file: a precompressed `.br`/`.gz` sibling
 * when one is there and fresh, else the file compressed now — small files once (then
 * cached within the static cache budget), large ones streamed through the encoder.
 * Never for Range requests: the caller sends those the identity bytes.
 */
import type { Stats } from 'node:fs';
import { compressBody, createEncoder, variantEtag, type ContentCoding } from '../../server/compress.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { isNotModified, validatorsFor, type Validators } from './conditional.js';
import type { FileCache } from './file-cache.js';
import { openServed, readSmall } from './file-source.js';
import { freshSibling } from './locate.js';
import { streamEncoded, streamRange } from './stream.js';

export interface EncodedFile {
  /** The real path of the (virtual-host) root the file was found in. */
  readonly base: string;
  readonly realPath: string;
  readonly stat: Stats;
}

export class EncodedFiles {
  readonly #cache: FileCache;
  readonly #maxCached: number;
  readonly #cacheControl: string;

  constructor(cache: FileCache, maxCached: number, cacheControl: string) {
    this.#cache = cache;
    this.#maxCached = maxCached;
    this.#cacheControl = cacheControl;
  }

  async serve(req: HttpRequest, res: HttpResponse, file: EncodedFile, coding: ContentCoding): Promise<void> {
    const v = this.#validators(res, file.stat, coding);
    if (isNotModified({ ifNoneMatch: req.headers.get('if-none-match'), ifModifiedSince: req.headers.get('if-modified-since') }, v)) {
      res.removeHeader('Content-Type');
      res.status = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Encoding', coding);
    res.status = 200;
    const sibling = await freshSibling(file.base, file.realPath, coding, file.stat.mtimeMs);
    if (sibling !== null) {
      await this.#sendAsIs(req, res, sibling.realPath, sibling.stat);
      return;
    }
    if (file.stat.size <= this.#maxCached) {
      sendWhole(req, res, await this.#compressedSmall(res, file, coding));
      return;
    }
    const { fh, stat } = await openServed(file.realPath);
    try {
      if (stat.mtimeMs !== file.stat.mtimeMs || stat.size !== file.stat.size) this.#validators(res, stat, coding);
      if (req.method === 'HEAD') {
        // What a GET would get: a chunked body of a length nobody knows yet.
        res.write('');
        res.end();
        return;
      }
      await streamEncoded(fh, stat.size, createEncoder(coding, stat.size), req, res);
    } finally {
      await fh.close();
    }
  }

  /** ETag (weak, suffixed with the coding), Last-Modified of the file, Cache-Control. No Accept-Ranges. */
  #validators(res: HttpResponse, stat: Stats, coding: ContentCoding): Validators {
    const identity = validatorsFor(stat.size, stat.mtimeMs);
    const v = { ...identity, etag: variantEtag(identity.etag, coding) };
    res.setHeader('ETag', v.etag);
    res.setHeader('Last-Modified', v.lastModified);
    res.setHeader('Cache-Control', this.#cacheControl);
    return v;
  }

  /** A small file compressed once per version, kept in the cache beside its identity bytes. */
  async #compressedSmall(res: HttpResponse, file: EncodedFile, coding: ContentCoding): Promise<Buffer> {
    const key = `${file.realPath}\0${coding}`;
    const hit = this.#cache.get(key, file.stat);
    if (hit !== undefined) return hit;
    const { body, stat } = await readSmall(file.realPath, file.stat, this.#cache);
    if (stat !== file.stat) this.#validators(res, stat, coding);
    const out = await compressBody(coding, body, 'kept');
    if (body.length === stat.size) this.#cache.set(key, stat, out);
    return out;
  }

  /** A precompressed sibling, byte for byte, with its own length. */
  async #sendAsIs(req: HttpRequest, res: HttpResponse, realPath: string, stat: Stats): Promise<void> {
    if (stat.size <= this.#maxCached) {
      sendWhole(req, res, (await readSmall(realPath, stat, this.#cache)).body);
      return;
    }
    const opened = await openServed(realPath);
    try {
      res.setHeader('Content-Length', opened.stat.size);
      if (req.method === 'HEAD' || opened.stat.size === 0) {
        res.end();
        return;
      }
      await streamRange(opened.fh, req, res, 0, opened.stat.size - 1);
    } finally {
      await opened.fh.close();
    }
  }
}

function sendWhole(req: HttpRequest, res: HttpResponse, body: Buffer): void {
  res.setHeader('Content-Length', body.length);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

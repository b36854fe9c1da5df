/**
 * Content types by file extension. Text types carry `charset=utf-8` because the files we
 * serve are expected to be UTF-8 and browsers otherwise guess; unknown extensions are
 * `application/octet-stream`, which together with `nosniff` keeps browsers from
 * executing something we did not label.
 */
import path from 'node:path';

const UTF8 = '; charset=utf-8';

const TYPES: ReadonlyMap<string, string> = new Map([
  ['html', `text/html${UTF8}`],
  ['htm', `text/html${UTF8}`],
  ['css', `text/css${UTF8}`],
  ['js', `text/javascript${UTF8}`],
  ['mjs', `text/javascript${UTF8}`],
  ['cjs', `text/javascript${UTF8}`],
  ['json', `application/json${UTF8}`],
  ['map', `application/json${UTF8}`],
  ['webmanifest', `application/manifest+json${UTF8}`],
  ['txt', `text/plain${UTF8}`],
  ['md', `text/markdown${UTF8}`],
  ['csv', `text/csv${UTF8}`],
  ['xml', `application/xml${UTF8}`],
  ['svg', `image/svg+xml${UTF8}`],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['ico', 'image/vnd.microsoft.icon'],
  ['bmp', 'image/bmp'],
  ['wasm', 'application/wasm'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['tar', 'application/x-tar'],
  ['woff', 'font/woff'],
  ['woff2', 'font/woff2'],
  ['ttf', 'font/ttf'],
  ['otf', 'font/otf'],
  ['mp3', 'audio/mpeg'],
  ['ogg', 'audio/ogg'],
  ['wav', 'audio/wav'],
  ['mp4', 'video/mp4'],
  ['webm', 'video/webm'],
]);

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The Content-Type for a file name (case-insensitive extension). */
export function contentTypeFor(fileName: string): string {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  return TYPES.get(ext) ?? DEFAULT_CONTENT_TYPE;
}

/**
 * Turns a request path into segments that are safe to join under a served root.
 *
 * Pure: no file system access. The file system half (realpath containment, symlinks)
 * lives in locate.ts. We work on the still-encoded `rawPath` and decode each segment
 * exactly once ourselves, so that an encoded separator (`%2f`, `%5c`) can be told apart
 * from a real one and a double encoding (`%252e%252e`) stays the literal name `%2e%2e`.
 */
import path from 'node:path';

export type PathRejection = 'BAD_REQUEST' | 'FORBIDDEN' | 'NOT_FOUND';

export type ParsedPath =
  | { readonly ok: true; readonly segments: readonly string[]; readonly trailingSlash: boolean }
  | { readonly ok: false; readonly code: PathRejection; readonly reason: string };

// C0 controls and DEL never name a file we would publish; refusing them also keeps
// them out of Location headers and logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function reject(code: PathRejection, reason: string): ParsedPath {
  return { ok: false, code, reason };
}

/**
 * Splits and decodes a percent-encoded absolute path.
 * - empty segments (`//`) are merged, as nginx does;
 * - `.`/`..` (raw or encoded), encoded `/` or `\`, any `\`, NUL → FORBIDDEN;
 * - hidden names (leading dot) and control characters → NOT_FOUND (like nginx's usual
 *   `location ~ /\. { deny all; }`, but without revealing that the file exists);
 * - malformed percent-encoding or invalid UTF-8 → BAD_REQUEST.
 */
export function parseRequestPath(rawPath: string): ParsedPath {
  if (!rawPath.startsWith('/')) return reject('BAD_REQUEST', 'the path must start with "/"');
  if (rawPath.includes('\\')) return reject('FORBIDDEN', 'backslashes are not allowed in paths');
  if (rawPath.includes('\0')) return reject('FORBIDDEN', 'NUL is not allowed in paths');
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return reject('BAD_REQUEST', 'malformed percent-encoding in the path');
    }
    if (name === '.' || name === '..') return reject('FORBIDDEN', 'dot segments are not allowed');
    if (name.includes('/') || name.includes('\\')) return reject('FORBIDDEN', 'encoded path separators are not allowed');
    if (name.includes('\0')) return reject('FORBIDDEN', 'NUL is not allowed in paths');
    if (name.startsWith('.')) return reject('NOT_FOUND', 'hidden files are not served');
    if (CONTROL.test(name)) return reject('NOT_FOUND', 'control characters are not allowed in paths');
    segments.push(name);
  }
  const trailingSlash = segments.length === 0 || rawPath.endsWith('/');
  return { ok: true, segments, trailingSlash };
}

/** True when `child` is `parent` or below it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  if (rel === '') return true;
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** True when some segment of a relative path is hidden (leading dot). */
export function hasHiddenSegment(relative: string): boolean {
  return relative.split(path.sep).some((s) => s.startsWith('.'));
}

/**
 * The canonical URL path for decoded segments. Built from segments (never echoed from
 * the request) so a redirect can never become `//evil.example/` (an open redirect).
 */
export function toUrlPath(segments: readonly string[], trailingSlash: boolean): string {
  const joined = `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
  return trailingSlash && segments.length > 0 ? `${joined}/` : joined;
}

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** A Host that may name a virtual-host directory: `[a-z0-9.-]`, dot-separated labels, ≤ 253 chars. */
export function isSafeHostname(hostname: string): boolean {
  return hostname.length > 0 && hostname.length <= 253 && HOSTNAME.test(hostname);
}

/**
 * The file system half of safe resolution: picks the virtual-host root, resolves the
 * parsed segments, follows symlinks with realpath and insists the result is still inside
 * the real root. Everything that escapes is 403, everything absent or hidden is 404.
 */
import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { httpError } from '../../common/errors.js';
import { hasHiddenSegment, isInside, isSafeHostname, toUrlPath } from './safe-path.js';

export type Located =
  | { readonly kind: 'file'; readonly realPath: string; readonly name: string; readonly stat: Stats }
  | { readonly kind: 'redirect'; readonly location: string };

const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== undefined && NOT_THERE.has(code)) return null;
    if (code === 'ELOOP' || code === 'EACCES') throw httpError('FORBIDDEN', 'the path cannot be resolved safely');
    throw err;
  }
}

/** The real path of the served root; 404 for everything while it does not exist. */
export async function realRoot(root: string): Promise<string> {
  const real = await realpathOrNull(root);
  if (real === null) throw httpError('NOT_FOUND', 'no such file');
  return real;
}

/**
 * `root/<hostname>/` when it is a directory inside the root, else the root itself.
 * A vhost directory that is a symlink leaving the root is ignored, not followed.
 */
export async function virtualHostRoot(realRootPath: string, hostname: string): Promise<string> {
  if (!isSafeHostname(hostname)) return realRootPath;
  let real: string | null;
  try {
    real = await realpathOrNull(path.join(realRootPath, hostname));
  } catch {
    return realRootPath;
  }
  if (real === null || real === realRootPath || !isInside(realRootPath, real)) return realRootPath;
  const st = await fs.stat(real).catch(() => null);
  return st?.isDirectory() === true ? real : realRootPath;
}

async function checked(base: string, candidate: string): Promise<{ real: string; stat: Stats } | null> {
  if (!isInside(base, candidate)) throw httpError('FORBIDDEN', 'the path resolves outside the root');
  const real = await realpathOrNull(candidate);
  if (real === null) return null;
  if (!isInside(base, real)) throw httpError('FORBIDDEN', 'the path resolves outside the root');
  // A symlink may point at a hidden file inside the root; that is as hidden as the file.
  if (hasHiddenSegment(path.relative(base, real))) return null;
  const stat = await fs.stat(real).catch(() => null);
  return stat === null ? null : { real, stat };
}

/**
 * Resolves validated segments under `base` (a real path) to a regular file, a redirect
 * (directory without trailing slash → 301, as nginx does) or a thrown 403/404.
 */
export async function locate(base: string, segments: readonly string[], trailingSlash: boolean): Promise<Located> {
  const hit = await checked(base, path.resolve(base, ...segments));
  if (hit === null) throw httpError('NOT_FOUND', 'no such file');
  if (hit.stat.isDirectory()) {
    if (!trailingSlash) return { kind: 'redirect', location: toUrlPath(segments, true) };
    const index = await checked(base, path.join(hit.real, 'index.html'));
    if (index === null || !index.stat.isFile()) throw httpError('NOT_FOUND', 'no such file');
    return { kind: 'file', realPath: index.real, name: 'index.html', stat: index.stat };
  }
  // "/file.txt/" names a directory that is not there, as on nginx and in POSIX.
  if (!hit.stat.isFile() || trailingSlash) throw httpError('NOT_FOUND', 'no such file');
  return { kind: 'file', realPath: hit.real, name: segments[segments.length - 1], stat: hit.stat };
}

/** The file name suffix of a precompressed sibling, by coding. */
const SIBLING_SUFFIX = Object.freeze({ br: '.br', gzip: '.gz' });

/**
 * `<file>.br` or `<file>.gz` next to a located file, when it is a regular file inside
 * `base` (the same containment and hidden-file rules as any request: a sibling that is a
 * symlink leaving the root is not served) and at least as new as the file itself, so a
 * sibling left over from an older version is never sent. Null otherwise.
 */
export async function freshSibling(
  base: string,
  realPath: string,
  coding: keyof typeof SIBLING_SUFFIX,
  mtimeMs: number,
): Promise<{ readonly realPath: string; readonly stat: Stats } | null> {
  let hit: { real: string; stat: Stats } | null;
  try {
    hit = await checked(base, `${realPath}${SIBLING_SUFFIX[coding]}`);
  } catch {
    return null; // escapes the root: as if it were not there
  }
  if (hit === null || !hit.stat.isFile() || hit.stat.mtimeMs < mtimeMs) return null;
  return { realPath: hit.real, stat: hit.stat };
}

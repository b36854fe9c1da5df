/**
 * Validators and conditional requests (RFC 9110 §8.8, §13), pure. The ETag is strong and
 * derived from size and mtime, like nginx's: cheap (no hashing) and stable across
 * restarts and across workers that share the files; a same-size edit within the same
 * millisecond would go unnoticed, which nginx accepts too.
 */

export interface Validators {
  readonly etag: string;
  /** mtime in whole seconds, the precision of HTTP dates. */
  readonly lastModifiedSec: number;
  readonly lastModified: string;
}

export function validatorsFor(size: number, mtimeMs: number): Validators {
  const lastModifiedSec = Math.floor(mtimeMs / 1000);
  return {
    etag: `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`,
    lastModifiedSec,
    lastModified: new Date(lastModifiedSec * 1000).toUTCString(),
  };
}

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** Parses `"a", W/"b"`; `*` → '*'; a malformed list → null (treated as no match). */
export function parseEtagList(value: string): EntityTag[] | '*' | null {
  const v = value.trim();
  if (v === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  while (i < v.length) {
    const c = v[i];
    if (c === ',' || c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let weak = false;
    if (v.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (v[i] !== '"') return null;
    const close = v.indexOf('"', i + 1);
    if (close < 0) return null;
    tags.push({ weak, opaque: v.slice(i, close + 1) });
    i = close + 1;
  }
  return tags;
}

function parseTag(value: string): EntityTag | null {
  const list = parseEtagList(value);
  return list !== null && list !== '*' && list.length === 1 ? list[0] : null;
}

/** Weak comparison (§8.8.3.2): opaque tags equal, W/ ignored. Used by If-None-Match. */
export function weakMatch(header: string, etag: string): boolean {
  const list = parseEtagList(header);
  if (list === '*') return true;
  if (list === null) return false;
  const mine = parseTag(etag);
  return mine !== null && list.some((t) => t.opaque === mine.opaque);
}

/** Parses an HTTP-date to whole seconds; null when invalid. */
export function parseHttpDateSec(value: string): number | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export interface ConditionalHeaders {
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
}

/**
 * True when a GET/HEAD should get 304. If-None-Match wins; If-Modified-Since is only
 * looked at when If-None-Match is absent (§13.2.2 steps 3–4).
 */
export function isNotModified(h: ConditionalHeaders, v: Validators): boolean {
  if (h.ifNoneMatch !== undefined) return weakMatch(h.ifNoneMatch, v.etag);
  if (h.ifModifiedSince !== undefined) {
    const since = parseHttpDateSec(h.ifModifiedSince);
    return since !== null && v.lastModifiedSec <= since;
  }
  return false;
}

/**
 * True when the Range header may be honoured given If-Range (§13.1.5): an entity tag must
 * match strongly (a weak tag never does), a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tag = parseTag(value);
    const mine = parseTag(v.etag);
    return tag !== null && mine !== null && !tag.weak && !mine.weak && tag.opaque === mine.opaque;
  }
  const date = parseHttpDateSec(value);
  return date !== null && date === v.lastModifiedSec;
}

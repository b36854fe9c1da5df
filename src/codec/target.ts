/** Request-target forms (RFC 9112 §3.2) reduced to a path and a query. */
import { protocolError } from './errors.js';

export interface Target {
  /** Path as received (percent-encoded). '*' for asterisk-form. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Authority of an absolute-form target (it overrides Host, RFC 9112 §3.2.2). */
  readonly authority: string | undefined;
}

const ABSOLUTE_RE = /^https?:\/\/([^/?#]*)/i;

export function parseTarget(method: string, target: string): Target {
  if (target.charCodeAt(0) === 0x2f /* / */) return split(target, undefined);
  if (target === '*') {
    if (method !== 'OPTIONS') throw protocolError('BAD_REQUEST', 'asterisk-form is only for OPTIONS');
    return { rawPath: '*', rawQuery: '', authority: undefined };
  }
  const m = ABSOLUTE_RE.exec(target);
  if (m !== null) {
    const rest = target.slice(m[0].length);
    return split(rest === '' || rest[0] === '?' ? `/${rest}` : rest, m[1]);
  }
  throw protocolError('BAD_REQUEST', 'request-target must be origin-form or absolute-form');
}

function split(t: string, authority: string | undefined): Target {
  const q = t.indexOf('?');
  return q === -1 ? { rawPath: t, rawQuery: '', authority } : { rawPath: t.slice(0, q), rawQuery: t.slice(q + 1), authority };
}

/** Decodes percent-escapes once; malformed escapes or invalid UTF-8 are a 400. */
export function decodePath(rawPath: string): string {
  if (rawPath.indexOf('%') === -1) return rawPath;
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw protocolError('BAD_REQUEST', 'malformed percent-encoding in path');
  }
}

/** Lower-cased host without port ('' when absent). */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return host.slice(0, end + 1).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

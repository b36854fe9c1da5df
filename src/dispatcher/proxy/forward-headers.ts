/**
 * Header rewriting of the forwarder: hop-by-hop fields (RFC 9110 §7.6.1) are dropped in
 * both directions, the proxy fields (X-Forwarded-*, Forwarded, X-Request-Id) are added.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { VIA_ENTRY } from '../loop-guard.js';

/** Hop-by-hop fields, plus those of Go's and Caddy's reverse proxies (Proxy-*). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request fields the forwarder rebuilds itself, or that undici must not be given. */
export const REBUILT: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'forwarded',
  'x-request-id',
  // The engine answers 100-continue when the body is read; undici refuses the field.
  'expect',
]);

/** Response fields the engine sets itself. */
const ENGINE_OWNED: ReadonlySet<string> = new Set(['date', 'x-request-id']);

/** The field names listed in Connection headers (lower-cased). */
export function connectionTokens(values: Iterable<string>): Set<string> {
  const tokens = new Set<string>();
  for (const value of values) {
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase();
      if (t !== '') tokens.add(t);
    }
  }
  return tokens;
}

/** The client's address as the proxy fields give it (IPv4-mapped IPv6 as plain IPv4). */
export function clientAddress(remoteAddress: string): string {
  const a = remoteAddress;
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** RFC 7239 node: IPv6 goes in quotes and brackets. */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

/** The upstream request's headers as a flat `[name, value…]` list, in the client's order. */
export function upstreamRequestHeaders(req: HttpRequest): string[] {
  const connection = req.headers.get('connection');
  // Most requests have no Connection field: no token set to build then.
  const dropped = connection === undefined ? undefined : connectionTokens([connection]);
  const out: string[] = [];
  for (const [name, value] of req.headers.entries()) {
    if (HOP_BY_HOP.has(name) || REBUILT.has(name) || dropped?.has(name) === true) continue;
    out.push(name, value);
  }
  const client = clientAddress(req.remoteAddress);
  out.push(...proxyFields(client, req.headers.get('x-forwarded-for'), req.headers.get('forwarded'), req.id));
  return out;
}

/**
 * The fields a proxy adds, as a flat `[name, value…]` list: the client's address appended
 * to X-Forwarded-For and Forwarded (RFC 7239) chains, the scheme, this dispatcher's Via
 * entry (a field line after the client's own Via lines, which stay: loop-guard.ts), and the
 * request id - last, as pass-through.ts relies on.
 */
export function proxyFields(client: string, xff: string | undefined, forwarded: string | undefined, id: string): string[] {
  const node = `for=${forwardedNode(client)};proto=http`;
  return [
    'x-forwarded-for',
    xff ? `${xff}, ${client}` : client,
    'x-forwarded-proto',
    'http',
    'forwarded',
    forwarded ? `${forwarded}, ${node}` : node,
    'via',
    VIA_ENTRY,
    'x-request-id',
    id,
  ];
}

/**
 * Copies the upstream response's end-to-end fields onto `res` (Content-Length kept). Both
 * clients refuse a head with CR, LF or NUL out of place, so setHeader does not throw here.
 */
export function copyResponseHeaders(headers: IncomingHttpHeaders, res: HttpResponse): void {
  const connection = headers.connection;
  const dropped = connection === undefined ? undefined : connectionTokens([connection]);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || ENGINE_OWNED.has(name) || dropped?.has(name) === true) continue;
    res.setHeader(name, value);
  }
}

/** The request-target in origin form (`/path?query`), as an upstream expects it; `*` stays `*`. */
export function originForm(req: HttpRequest): string {
  // Origin-form as received, and asterisk-form (OPTIONS *) as is: it is not a path.
  if (req.target.startsWith('/') || req.target === '*') return req.target;
  const path = req.rawPath.startsWith('/') ? req.rawPath : '/';
  return req.rawQuery === '' ? path : `${path}?${req.rawQuery}`;
}

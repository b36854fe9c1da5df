/**
 * Header rewriting of the forwarder (RFC 9110 §7.6): hop-by-hop fields - and those the
 * Connection field names - are dropped in both directions, the proxy fields
 * (X-Forwarded-*, Forwarded, X-Request-Id) are added to requests, and the fields the
 * engine writes itself (Date, X-Request-Id) are dropped from answers. Requests and answers
 * are relayed as text where nothing needs to go, so the common case builds no objects.
 */
import { nameIs } from '../../codec/fields.js';
import type { ResponseHead } from '../../codec/response-head.js';
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

/** Request fields the forwarder rebuilds itself, or that the upstream request must not carry. */
export const REBUILT: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'forwarded',
  'x-request-id',
  'content-length',
  // The engine answers 100-continue when the body is read.
  'expect',
]);

/** Answer fields dropped when re-framing: hop-by-hop ones, and what the engine writes itself. */
const DROPPED_FROM_ANSWERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'date', 'x-request-id']);
/** Dropped when relaying as framed: the same but Transfer-Encoding, which the relayed body keeps. */
const DROPPED_FROM_RELAYED: ReadonlySet<string> = new Set([...DROPPED_FROM_ANSWERS].filter((n) => n !== 'transfer-encoding'));
/** DROPPED_FROM_RELAYED by length: most names are ruled out without making a string. */
const DROPPED_LENGTHS: ReadonlySet<number> = new Set([...DROPPED_FROM_RELAYED].map((n) => n.length));

/** The field names listed in Connection values (lower-cased). */
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

/** The request-target in origin form (`/path?query`), as an upstream expects it; `*` stays `*`. */
export function originForm(req: HttpRequest): string {
  if (req.target.startsWith('/') || req.target === '*') return req.target;
  const path = req.rawPath.startsWith('/') ? req.rawPath : '/';
  return req.rawQuery === '' ? path : `${path}?${req.rawQuery}`;
}

/** The proxy fields but the id depend only on the client's address: built once per address. */
const PREFIXES = new Map<string, string>();
/** Bounds the cache: past it, it starts over (a burst of new clients costs a rebuild each). */
const MAX_PREFIXES = 4096;

/**
 * The request head for the upstream, without its framing fields (the caller adds
 * Content-Length or Transfer-Encoding for a body) and without the blank line: the
 * client's head as it came when no field needs to go (the common case), else rebuilt
 * from the parsed fields; then the proxy fields. latin1 text, a byte per character.
 * `authority` is the Host of a request that has none (HTTP/1.0 allows that; HTTP/1.1 does not).
 */
export function upstreamHead(req: HttpRequest, authority: string): string {
  const fields = req.fieldList;
  let rebuild = req.target.charCodeAt(0) !== 0x2f || req.httpMinor !== 1;
  for (let i = 0; !rebuild && i < fields.length; i += 2) {
    if (HOP_BY_HOP.has(fields[i]) || REBUILT.has(fields[i])) rebuild = true;
  }
  if (!rebuild) {
    const address = req.remoteAddress;
    let prefix = PREFIXES.get(address);
    if (prefix === undefined) {
      const added = proxyFields(clientAddress(address), undefined, undefined, '');
      prefix = '';
      for (let i = 0; i < added.length - 2; i += 2) prefix += `${added[i]}: ${added[i + 1]}\r\n`;
      prefix += `${added[added.length - 2]}: `;
      if (PREFIXES.size >= MAX_PREFIXES) PREFIXES.clear();
      PREFIXES.set(address, prefix);
    }
    return `${req.rawHead}${prefix}${req.id}\r\n`;
  }
  let xff: string | undefined;
  let forwarded: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
    else if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
    else if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
  }
  const dropped = connection === undefined ? undefined : connectionTokens([connection]);
  let text = `${req.method} ${originForm(req)} HTTP/1.1\r\n`;
  let host = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    if (HOP_BY_HOP.has(name) || REBUILT.has(name) || dropped?.has(name) === true) continue;
    if (name === 'host') host = true;
    text += `${name}: ${fields[i + 1]}\r\n`;
  }
  if (!host) text += `host: ${authority}\r\n`;
  const added = proxyFields(clientAddress(req.remoteAddress), xff, forwarded, req.id);
  for (let i = 0; i < added.length; i += 2) text += `${added[i]}: ${added[i + 1]}\r\n`;
  return text;
}

/**
 * An answer's status line and end-to-end fields as text, each line CRLF-ended, for
 * Response.relayHead: hop-by-hop fields (but Transfer-Encoding: the body goes on with the
 * upstream's framing), those its Connection names, Date and X-Request-Id cut out;
 * everything else as the upstream sent it.
 */
export function relayedLines(head: ResponseHead): string {
  const t = head.text;
  const o = head.offsets;
  let listed: Set<string> | undefined;
  for (let i = 0; i < o.length; i += 4) {
    if (nameIs(t, o[i], o[i + 1], 'connection')) {
      listed = connectionNames(head);
      break;
    }
  }
  if (listed?.size === 0) listed = undefined;
  let out = '';
  let from = 0;
  for (let i = 0; i < o.length; i += 4) {
    const ns = o[i];
    const ne = o[i + 1];
    if (listed === undefined && !DROPPED_LENGTHS.has(ne - ns)) continue;
    const name = t.slice(ns, ne).toLowerCase();
    if (!DROPPED_FROM_RELAYED.has(name) && listed?.has(name) !== true) continue;
    // Cut this line: from its name to just past its CRLF.
    out += t.slice(from, ns);
    from = t.indexOf('\r\n', o[i + 3]) + 2;
  }
  return from === 0 ? t : out + t.slice(from);
}

/** Field names a response's Connection lists (other than close and keep-alive). */
function connectionNames(head: ResponseHead): Set<string> {
  const t = head.text;
  const o = head.offsets;
  const values: string[] = [];
  for (let i = 0; i < o.length; i += 4) if (nameIs(t, o[i], o[i + 1], 'connection')) values.push(t.slice(o[i + 2], o[i + 3]));
  const names = connectionTokens(values);
  names.delete('close');
  names.delete('keep-alive');
  return names;
}

/** Copies an answer's end-to-end fields onto `res` (for a client that needs the answer re-framed). */
export function copyResponseHeaders(head: ResponseHead, res: HttpResponse): void {
  const list = head.fieldList();
  let dropped: Set<string> | undefined;
  for (let i = 0; i < list.length; i += 2) if (list[i] === 'connection') dropped = connectionNames(head);
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (DROPPED_FROM_ANSWERS.has(name) || dropped?.has(name) === true) continue;
    const prev = res.getHeader(name);
    if (prev === undefined) res.setHeader(name, list[i + 1]);
    else res.setHeader(name, [...(Array.isArray(prev) ? prev : [String(prev)]), list[i + 1]]);
  }
}

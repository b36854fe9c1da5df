/**
 * Text ↔ value for each option type. Parsing errors are one line naming where the value
 * came from (`--queue-size`, `DHTTP_QUEUE_SIZE`, `PORT`), the value, and what is allowed.
 */
import { resolve } from 'node:path';
import { parseCidr, parseFixedUpstream } from './addresses.js';
import { ConfigError } from './errors.js';
import type { HostPort, OptionSpec, OptionValue } from './schema.js';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function formatBound(spec: OptionSpec, n: number): string {
  if (spec.type === 'duration') return formatDuration(n);
  if (spec.type === 'size') return formatSize(n);
  return String(n);
}

function rangeText(spec: OptionSpec): string {
  if (spec.min === undefined || spec.max === undefined) return '';
  const range = ` in [${formatBound(spec, spec.min)}, ${formatBound(spec, spec.max)}]`;
  return spec.zero !== undefined ? `${range}, or 0 (${spec.zero})` : range;
}

/** What the option accepts, tersely, for --help and the docs table (units are explained once). */
export function allowedShort(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int':
    case 'number':
    case 'duration':
    case 'size': {
      if (spec.min === undefined || spec.max === undefined) return spec.type;
      const range = `${formatBound(spec, spec.min)}–${formatBound(spec, spec.max)}`;
      return spec.zero !== undefined ? `${range}, or 0 = ${spec.zero}` : range;
    }
    case 'enum':
      return (spec.values ?? []).join(', ');
    case 'url':
      return 'http(s) URL';
    case 'list':
      if (spec.item === 'url') return 'http(s) URLs';
      if (spec.item === 'upstream') return 'http(s):// origins, unix:/socket paths';
      return spec.item === 'cidr' ? 'IPv4/IPv6 addresses or CIDRs' : (spec.patternText ?? 'strings');
    case 'bool':
      return 'true, false';
    case 'host:port':
      return 'host:port';
    default:
      return spec.patternText ?? 'any';
  }
}

/** What the option accepts, as the end of "must be …". */
export function allowedText(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int':
      return `an integer${rangeText(spec)}`;
    case 'number':
      return `a number${rangeText(spec)}`;
    case 'duration':
      return `a duration with a unit (ms, s, m, h)${rangeText(spec)}`;
    case 'size':
      return `a size in bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)${rangeText(spec)}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${(spec.values ?? []).join(', ')}`;
    case 'url':
      return 'an http:// or https:// URL without query or fragment';
    case 'host:port':
      return 'host:port with a port in [1, 65535]';
    case 'list':
      if (spec.item === 'url') return 'comma-separated http:// or https:// URLs without query or fragment';
      if (spec.item === 'upstream') return 'comma-separated http(s)://host:port origins or unix:/absolute/socket/paths (at most 100 bytes)';
      return spec.item === 'cidr'
        ? 'comma-separated IPv4 or IPv6 addresses or CIDRs (10.0.0.0/8, fd00::/8)'
        : (spec.patternText ?? 'a list of strings');
    case 'path':
      return 'a non-empty path';
    case 'string':
      return spec.patternText ?? 'a non-empty string';
  }
}

function invalid(spec: OptionSpec, source: string, raw: string): ConfigError {
  return new ConfigError(`invalid ${source} ${JSON.stringify(raw)}: must be ${allowedText(spec)}`);
}

function invalidItem(spec: OptionSpec, source: string, item: string): never {
  throw invalid(spec, source, item);
}

function inRange(spec: OptionSpec, n: number): boolean {
  if (n === 0 && spec.zero !== undefined) return true;
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
}

/** Normalised URL: trailing "/" dropped so "http://h:1" and "http://h:1/" are one upstream. */
export function parseUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const href = url.href;
  return url.pathname === '/' && url.search === '' && url.hash === '' ? href.slice(0, -1) : href;
}

export function parseHostPort(raw: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(raw.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return Object.freeze({ host: m[1] ?? m[2], port });
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * One raw occurrence → value. Lists return their items; the caller concatenates repeated
 * flags. `source` is how the user spelled the field (flag or environment variable).
 */
export function parseValue(spec: OptionSpec, raw: string, source: string): OptionValue {
  const text = raw.trim();
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = NUMBER_RE.test(text) ? Number(text) : NaN;
      const ok = spec.type === 'int' ? Number.isSafeInteger(n) : Number.isFinite(n);
      if (!ok || !inRange(spec, n)) throw invalid(spec, source, raw);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === undefined || !inRange(spec, ms)) throw invalid(spec, source, raw);
      return ms;
    }
    case 'size': {
      const bytes = parseSize(text);
      if (bytes === undefined || !inRange(spec, bytes)) throw invalid(spec, source, raw);
      return bytes;
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw invalid(spec, source, raw);
    }
    case 'enum':
      if (!(spec.values ?? []).includes(text)) throw invalid(spec, source, raw);
      return text;
    case 'url': {
      const url = parseUrl(text);
      if (url === undefined) throw invalid(spec, source, raw);
      return url;
    }
    case 'host:port': {
      const hp = parseHostPort(text);
      if (hp === undefined) throw invalid(spec, source, raw);
      return hp;
    }
    case 'list': {
      if (spec.item === 'url') {
        const urls = text.split(/[\s,]+/).filter((s) => s !== '');
        return urls.map((item) => parseUrl(item) ?? invalidItem(spec, source, item));
      }
      if (spec.item === 'upstream') {
        const items = text.split(/[\s,]+/).filter((s) => s !== '');
        return items.map((item) => {
          try {
            return parseFixedUpstream(item);
          } catch {
            throw invalid(spec, source, item);
          }
        });
      }
      if (spec.item === 'cidr') {
        const items = text.split(/[\s,]+/).filter((s) => s !== '');
        return items.map((item) => {
          try {
            const cidr = parseCidr(item);
            return `${cidr.address}/${cidr.prefix}`;
          } catch {
            throw invalid(spec, source, item);
          }
        });
      }
      if (spec.pattern !== undefined && !spec.pattern.test(raw)) throw invalid(spec, source, raw);
      return [raw];
    }
    case 'path':
      if (text === '') throw invalid(spec, source, raw);
      return resolve(text);
    case 'string':
      if (text === '' || (spec.pattern !== undefined && !spec.pattern.test(text))) throw invalid(spec, source, raw);
      return text;
  }
}

/** Value → the text parseValue reads back to the same value (for child argv and docs). */
export function formatValue(spec: OptionSpec, value: OptionValue): string {
  if (value === undefined) return '';
  switch (spec.type) {
    case 'duration':
      return formatDuration(value as number);
    case 'size':
      return formatSize(value as number);
    case 'host:port':
      return formatHostPort(value as HostPort);
    case 'list':
      return (value as readonly string[]).join(',');
    default:
      return String(value);
  }
}

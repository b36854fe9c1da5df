/**
 * The one-line-per-request access logs, in exactly the JSON pino writes, appended to the
 * logger's own destination (so lines stay in order with the rest of the log). Built by hand
 * because they run on every request: one string and one copy into the destination's block,
 * where a pino call with an object costs several times more.
 *
 * Fields a client controls at length (query, target, user agent) are cut to `maxField`
 * characters, with `…` marking the cut.
 */
import { pino, type Logger } from 'pino';
import { AccessLineWriter } from './access-line-bytes.js';
import { LogDestination, MAX_INTO_BYTES } from './log-destination.js';

export interface AccessLogOptions {
  /** Longest query, target or user agent logged, in characters. @default 512 */
  maxField?: number;
}

export const ACCESS_LOG_DEFAULTS = Object.freeze({ maxField: 512 });

/** A worker's request. */
export interface AccessRecord {
  id: string;
  method: string;
  path: string;
  /** Raw query string without '?', '' when absent. */
  query: string;
  status: number;
  bytes: number;
  ms: number;
  /** '' for a client on the Unix socket. */
  client: string;
  userAgent: string | undefined;
}

/** A request the dispatcher forwarded (or answered itself when no worker took it). */
export interface DispatcherAccessRecord {
  id: string;
  client: string;
  method: string;
  /** The request-target with its query, as received. */
  target: string;
  status: number;
  /** Request body bytes read from the client. */
  bytesIn: number;
  /** Response body bytes sent to the client. */
  bytesOut: number;
  /** The id of the worker that answered; null when none did. */
  worker: string | null;
  retries: number;
  /** From the first byte sent to the worker to the last byte of its answer; null without one. */
  upstreamMs: number | null;
  /** The whole request, as the client saw it. */
  ms: number;
  userAgent: string | undefined;
}

export type AccessLog = (r: AccessRecord) => void;
export type DispatcherAccessLog = (r: DispatcherAccessRecord) => void;

let isoMs = -1;
let iso = '';

function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/** `s` as a JSON string of at most `max` characters of it (a surrogate pair is never split). */
function field(s: string, max: number): string {
  if (s === '') return '""';
  if (s.length <= max) return JSON.stringify(s);
  const cut = s.charCodeAt(max - 1) >= 0xd800 && s.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return JSON.stringify(`${s.slice(0, cut)}…`);
}

/** ".001" … ".999" for 1 … 999 thousandths, trailing zeros dropped; "" for 0. */
const THOUSANDTHS: readonly string[] = Array.from({ length: 1000 }, (_, k) =>
  k === 0 ? '' : `.${String(k).padStart(3, '0').replace(/0+$/, '')}`,
);

/**
 * `ms` rounded to the microsecond, as JSON prints that number: built from integers, because
 * printing a fraction (shortest round-trip digits) costs several times more on every line.
 */
export function millisText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= 0x7fffffff)) return String(Math.round(ms * 1000) / 1000);
  const whole = Math.floor(us / 1000);
  return `${whole}${THOUSANDTHS[us - whole * 1000]}`;
}

/** JSON.stringify of the last string asked for, kept: a client address or a path repeats from line to line. */
class LastJson {
  #input: string | undefined;
  #output = '';

  of(s: string): string {
    if (s !== this.#input) {
      this.#input = s;
      this.#output = JSON.stringify(s);
    }
    return this.#output;
  }
}

/**
 * The head every line of `logger` starts with up to its own fields: level, time and the
 * logger's bindings (pid, role, component…). `time` is an ISO string.
 */
export interface LinePrefix {
  /** Everything before the time value. */
  readonly head: string;
  /** From the end of the time value to the first field's name, exclusive: ends with a comma. */
  readonly afterTime: string;
}

export function linePrefix(logger: Logger): LinePrefix {
  const bindings = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym] as string;
  return { head: '{"level":30,"time":"', afterTime: `"${bindings},` };
}

const lastClient = new LastJson();
const lastPath = new LastJson();

/** A worker's access-log line (its text depends on its arguments only: the time is given). */
export function formatAccessLine(prefix: LinePrefix, time: string, r: AccessRecord, maxField: number): string {
  // id is [A-Za-z0-9._:-] (request-id.ts) and method a token: neither needs escaping.
  return `${prefix.head}${time}${prefix.afterTime}"id":"${r.id}","client":${lastClient.of(r.client)},"method":"${r.method}","path":${lastPath.of(r.path)},"query":${field(r.query, maxField)},"status":${r.status},"bytes":${r.bytes},"ms":${millisText(r.ms)},"ua":${field(r.userAgent ?? '', maxField)},"msg":"request"}\n`;
}

/** The dispatcher's access-log line (pure: the time is given). */
export function formatDispatcherAccessLine(prefix: LinePrefix, time: string, r: DispatcherAccessRecord, maxField: number): string {
  const worker = r.worker === null ? 'null' : JSON.stringify(r.worker);
  const upstream = r.upstreamMs === null ? 'null' : millisText(r.upstreamMs);
  return `${prefix.head}${time}${prefix.afterTime}"id":"${r.id}","client":${JSON.stringify(r.client)},"method":"${r.method}","target":${field(r.target, maxField)},"status":${r.status},"bytes_in":${r.bytesIn},"bytes_out":${r.bytesOut},"worker":${worker},"retries":${r.retries},"upstream_ms":${upstream},"ms":${millisText(r.ms)},"ua":${field(r.userAgent ?? '', maxField)},"msg":"request"}\n`;
}

function streamOf(logger: Logger): { write(s: string): unknown } {
  return (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { write(s: string): unknown };
}

/** The worker's access log; null when `info` is disabled: then nothing at all is done per request. */
export function createAccessLog(logger: Logger, options: AccessLogOptions = {}): AccessLog | null {
  if (!logger.isLevelEnabled('info')) return null;
  const prefix = linePrefix(logger);
  const stream = streamOf(logger);
  const max = options.maxField ?? ACCESS_LOG_DEFAULTS.maxField;
  if (stream instanceof LogDestination) {
    // Written in place as bytes; a line that could outgrow that (fields of kilobytes) as a string.
    const writer = new AccessLineWriter(prefix, max, field);
    return (r) => {
      const time = isoNow();
      const most = writer.prepare(time, r);
      if (most <= MAX_INTO_BYTES) stream.writeInto(most, writer.fill);
      else stream.write(formatAccessLine(prefix, time, r, max));
    };
  }
  return (r) => {
    stream.write(formatAccessLine(prefix, isoNow(), r, max));
  };
}

/** The dispatcher's access log; null when `info` is disabled. */
export function createDispatcherAccessLog(logger: Logger, options: AccessLogOptions = {}): DispatcherAccessLog | null {
  if (!logger.isLevelEnabled('info')) return null;
  const prefix = linePrefix(logger);
  const stream = streamOf(logger);
  const max = options.maxField ?? ACCESS_LOG_DEFAULTS.maxField;
  return (r) => {
    stream.write(formatDispatcherAccessLine(prefix, isoNow(), r, max));
  };
}

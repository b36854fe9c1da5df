/**
 * The worker's access line written as bytes straight into the log destination's block:
 * the same bytes as formatAccessLine (access-log.ts), without building the line as a string
 * of some twenty pieces and copying it once more. It runs on every request, where that
 * string and its flattening were a quarter of what a GET /ping allocates.
 *
 * Strings a line repeats (the logger's prefix, the client, the path, the user agent) are
 * encoded once and copied; the time, the request id and the method are ASCII (an ISO time,
 * request-id.ts, a token) and numbers are written digit by digit.
 */
import type { AccessRecord, LinePrefix } from './access-log.js';

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const CLIENT = ascii('","client":');
const METHOD = ascii(',"method":"');
const PATH = ascii('","path":');
const QUERY = ascii(',"query":');
const STATUS = ascii(',"status":');
const BYTES = ascii(',"bytes":');
const MS = ascii(',"ms":');
const UA = ascii(',"ua":');
const END = ascii(',"msg":"request"}\n');
const EMPTY_JSON = ascii('""');
/** The constant bytes of a line, and the longest a number can print (`String(-Number.MAX_VALUE)`). */
const FIXED =
  CLIENT.length + METHOD.length + PATH.length + QUERY.length + STATUS.length + BYTES.length + MS.length + UA.length + END.length;
const NUMBER_MAX = 24;

/** ".001" … ".999" for 1 … 999 thousandths, trailing zeros dropped; "" for 0 (as millisText). */
const THOUSANDTHS: readonly Uint8Array[] = Array.from({ length: 1000 }, (_, k) =>
  ascii(k === 0 ? '' : `.${String(k).padStart(3, '0').replace(/0+$/, '')}`),
);

function put(buf: Buffer, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 32) buf.set(src, at);
  else for (let i = 0; i < n; i++) buf[at + i] = src[i];
  return at + n;
}

/** `s` as UTF-8; a loop for ASCII (ids, methods), the encoder otherwise. */
function text(buf: Buffer, at: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return at + buf.write(s, at);
    buf[at + i] = c;
  }
  return at + n;
}

/** A non-negative integer's digits; anything else as String() prints it. */
function integer(buf: Buffer, at: number, n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return text(buf, at, String(n));
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let v = n;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(v / 10);
    buf[i] = 48 + (v - q * 10);
    v = q;
  }
  return at + digits;
}

/** millisText(ms) (access-log.ts) as bytes. */
function millis(buf: Buffer, at: number, ms: number): number {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= 0x7fffffff)) return text(buf, at, String(Math.round(ms * 1000) / 1000));
  const whole = Math.floor(us / 1000);
  return put(buf, integer(buf, at, whole), THOUSANDTHS[us - whole * 1000]);
}

/** The JSON of the last string asked for, as UTF-8 bytes, kept: it repeats from line to line. */
class LastJsonBytes {
  #input: string | undefined;
  #output: Uint8Array = EMPTY_JSON;

  of(s: string, json: (s: string) => string): Uint8Array {
    if (s !== this.#input) {
      this.#input = s;
      this.#output = Buffer.from(json(s));
    }
    return this.#output;
  }
}

export class AccessLineWriter {
  readonly #field: (s: string) => string;
  /** The line up to its time, and from the time to the id's value (bindings, `"id":"`). */
  readonly #head: Uint8Array;
  readonly #afterTime: Uint8Array;
  #time = '';
  readonly #client = new LastJsonBytes();
  readonly #path = new LastJsonBytes();
  readonly #ua = new LastJsonBytes();
  // What prepare() found for the line fill() writes next.
  #r: AccessRecord | undefined;
  #clientJson: Uint8Array = EMPTY_JSON;
  #pathJson: Uint8Array = EMPTY_JSON;
  #queryJson = '';
  #uaJson: Uint8Array = EMPTY_JSON;

  /** `field` is access-log.ts's JSON of a client-controlled string cut to `maxField` characters. */
  constructor(prefix: LinePrefix, maxField: number, field: (s: string, max: number) => string) {
    this.#head = Buffer.from(prefix.head);
    this.#afterTime = Buffer.from(`${prefix.afterTime}"id":"`);
    this.#field = (s) => field(s, maxField);
  }

  /** Readies the line of `r` at `time` for fill(); returns the most bytes it can take. */
  prepare(time: string, r: AccessRecord): number {
    this.#time = time;
    this.#r = r;
    this.#clientJson = this.#client.of(r.client, JSON.stringify);
    this.#pathJson = this.#path.of(r.path, JSON.stringify);
    this.#queryJson = r.query === '' ? '' : this.#field(r.query);
    const ua = r.userAgent ?? '';
    this.#uaJson = ua === '' ? EMPTY_JSON : this.#ua.of(ua, this.#field);
    // UTF-8 takes at most 3 bytes per UTF-16 unit; 2 for the empty query's quotes.
    const strings = 3 * (time.length + r.id.length + r.method.length + this.#queryJson.length) + 2;
    return (
      this.#head.length +
      this.#afterTime.length +
      FIXED +
      this.#clientJson.length +
      this.#pathJson.length +
      this.#uaJson.length +
      strings +
      3 * NUMBER_MAX
    );
  }

  /** Writes the prepared line into `buf` from `at`; returns where it ends. */
  readonly fill = (buf: Buffer, at: number): number => {
    const r = this.#r as AccessRecord;
    let p = put(buf, text(buf, put(buf, at, this.#head), this.#time), this.#afterTime);
    p = put(buf, text(buf, p, r.id), CLIENT);
    p = put(buf, put(buf, p, this.#clientJson), METHOD);
    p = put(buf, text(buf, p, r.method), PATH);
    p = put(buf, put(buf, p, this.#pathJson), QUERY);
    p = this.#queryJson === '' ? put(buf, p, EMPTY_JSON) : p + buf.write(this.#queryJson, p);
    p = integer(buf, put(buf, p, STATUS), r.status);
    p = integer(buf, put(buf, p, BYTES), r.bytes);
    p = millis(buf, put(buf, p, MS), r.ms);
    p = put(buf, put(buf, p, UA), this.#uaJson);
    this.#r = undefined;
    return put(buf, p, END);
  };
}

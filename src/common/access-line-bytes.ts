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
/** The constant bytes of a line's middle, and the longest a number can print (`String(-Number.MAX_VALUE)`). */
const FIXED = CLIENT.length + METHOD.length + PATH.length + QUERY.length + STATUS.length + BYTES.length + MS.length;
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

/** Fields a line's middle segment depends on (`"client":` … `"ms":`). */
interface MiddleKey {
  client: string;
  method: string;
  path: string;
  query: string;
  status: number;
  bytes: number;
}

export class AccessLineWriter {
  readonly #field: (s: string) => string;
  /** The line up to its time, and from the time to the id's value (bindings, `"id":"`). */
  readonly #head: Uint8Array;
  readonly #afterTime: Uint8Array;
  /** head, time and afterTime as bytes, for the time `#timeOf` (the time changes once a millisecond). */
  #start: Buffer;
  #startLength = 0;
  /** `#start`'s bytes in use, copied by TypedArray set (Node 20's Buffer#copy allocates a view per call). */
  #startView: Uint8Array = new Uint8Array(0);
  #timeOf = '';
  readonly #client = new LastJsonBytes();
  readonly #path = new LastJsonBytes();
  /** `,"ua":` the user agent's JSON and the line's end, for the user agent `#uaOf`. */
  #tail: Uint8Array;
  #uaOf = '';
  /**
   * The middle of the last line (from `","client":` to `,"ms":`) and what it was made of:
   * the lines of a client that repeats a request differ only in id, time and duration. It
   * is copied out of the block when a line repeats its predecessor's, so a stream of
   * different requests allocates nothing for it.
   */
  readonly #key: MiddleKey = { client: '', method: '', path: '', query: '', status: -1, bytes: -1 };
  #middle: Uint8Array | null = null;
  #keepMiddle = false;
  // What prepare() found for the line fill() writes next.
  #r: AccessRecord | undefined;
  #clientJson: Uint8Array = EMPTY_JSON;
  #pathJson: Uint8Array = EMPTY_JSON;
  #queryJson = '';

  /** `field` is access-log.ts's JSON of a client-controlled string cut to `maxField` characters. */
  constructor(prefix: LinePrefix, maxField: number, field: (s: string, max: number) => string) {
    this.#head = Buffer.from(prefix.head);
    this.#afterTime = Buffer.from(`${prefix.afterTime}"id":"`);
    this.#field = (s) => field(s, maxField);
    this.#start = Buffer.allocUnsafe(this.#head.length + this.#afterTime.length + 3 * 32);
    this.#tail = Buffer.concat([UA, EMPTY_JSON, END]);
  }

  /** Readies the line of `r` at `time` for fill(); returns the most bytes it can take. */
  prepare(time: string, r: AccessRecord): number {
    this.#r = r;
    if (time !== this.#timeOf) this.#setTime(time);
    const ua = r.userAgent ?? '';
    if (ua !== this.#uaOf) {
      this.#uaOf = ua;
      this.#tail = Buffer.concat([UA, ua === '' ? EMPTY_JSON : Buffer.from(this.#field(ua)), END]);
    }
    const k = this.#key;
    if (
      r.status === k.status &&
      r.bytes === k.bytes &&
      r.path === k.path &&
      r.client === k.client &&
      r.method === k.method &&
      r.query === k.query
    ) {
      if (this.#middle !== null) return this.#startLength + 3 * r.id.length + this.#middle.length + NUMBER_MAX + this.#tail.length;
      this.#keepMiddle = true;
    } else {
      k.client = r.client;
      k.method = r.method;
      k.path = r.path;
      k.query = r.query;
      k.status = r.status;
      k.bytes = r.bytes;
      this.#middle = null;
      this.#keepMiddle = false;
    }
    this.#clientJson = this.#client.of(r.client, JSON.stringify);
    this.#pathJson = this.#path.of(r.path, JSON.stringify);
    this.#queryJson = r.query === '' ? '' : this.#field(r.query);
    // UTF-8 takes at most 3 bytes per UTF-16 unit; 2 for the empty query's quotes.
    const strings = 3 * (r.id.length + r.method.length + this.#queryJson.length) + 2;
    return this.#startLength + FIXED + this.#clientJson.length + this.#pathJson.length + this.#tail.length + strings + 3 * NUMBER_MAX;
  }

  /** Writes the prepared line into `buf` from `at`; returns where it ends. */
  readonly fill = (buf: Buffer, at: number): number => {
    const r = this.#r as AccessRecord;
    this.#r = undefined;
    buf.set(this.#startView, at);
    let p = at + this.#startLength;
    p = text(buf, p, r.id);
    const middle = this.#middle;
    if (middle !== null) p = put(buf, p, middle);
    else {
      const from = p;
      p = put(buf, put(buf, p, CLIENT), this.#clientJson);
      p = put(buf, text(buf, put(buf, p, METHOD), r.method), PATH);
      p = put(buf, put(buf, p, this.#pathJson), QUERY);
      p = this.#queryJson === '' ? put(buf, p, EMPTY_JSON) : p + buf.write(this.#queryJson, p);
      p = integer(buf, put(buf, p, STATUS), r.status);
      p = put(buf, integer(buf, put(buf, p, BYTES), r.bytes), MS);
      if (this.#keepMiddle) this.#middle = Uint8Array.prototype.slice.call(buf, from, p);
    }
    return put(buf, millis(buf, p, r.ms), this.#tail);
  };

  #setTime(time: string): void {
    const most = this.#head.length + this.#afterTime.length + 3 * time.length;
    if (most > this.#start.length) this.#start = Buffer.allocUnsafe(most);
    this.#timeOf = time;
    this.#startLength = put(this.#start, text(this.#start, put(this.#start, 0, this.#head), time), this.#afterTime);
    this.#startView = new Uint8Array(this.#start.buffer, this.#start.byteOffset, this.#startLength);
  }
}

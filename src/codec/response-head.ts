/**
 * Parser of a response head (status line + field lines, RFC 9112 §4–§6), as strict as the
 * request side: a peer's answer that breaks framing is refused (BAD_RESPONSE), never
 * passed on. Fields are returned as offsets into the head's text, so a relay that keeps
 * most of them as they are makes no string per field; `fieldList()` makes them on demand.
 */
import { FIELD_VALUE } from './chars.js';
import { protocolError } from './errors.js';
import { type BodyFraming, responseFraming } from './framing.js';
import { lowerName, scanFields } from './fields.js';

export interface ResponseHeadLimits {
  /** Largest head, status line included. */
  readonly maxHeadBytes: number;
  readonly maxHeaders: number;
}

export const RESPONSE_HEAD_LIMITS: ResponseHeadLimits = Object.freeze({ maxHeadBytes: 64 * 1024, maxHeaders: 200 });

const FIELD_RULES = new WeakMap<ResponseHeadLimits, { maxHeaders: number; bad: 'BAD_RESPONSE'; tooMany: 'BAD_RESPONSE' }>();

export class ResponseHead {
  readonly status: number;
  readonly httpMinor: 0 | 1;
  /** Status line and field lines, each ending in CRLF, without the blank line (latin1). */
  readonly text: string;
  /** Four per field: name start, colon, value start, value end (offsets into `text`). */
  readonly offsets: readonly number[];
  /** Where the body ends and whether the connection stays open (RFC 9112 §6.3, §9.3). */
  readonly framing: BodyFraming;
  #list: string[] | undefined;

  constructor(status: number, httpMinor: 0 | 1, text: string, offsets: readonly number[], framing: BodyFraming) {
    this.status = status;
    this.httpMinor = httpMinor;
    this.text = text;
    this.offsets = offsets;
    this.framing = framing;
  }

  get fieldCount(): number {
    return this.offsets.length / 4;
  }

  /** Flat list: lower-cased name, value, name, value… (made once, on demand). */
  fieldList(): string[] {
    if (this.#list === undefined) {
      const o = this.offsets;
      const t = this.text;
      const list: string[] = new Array(o.length / 2);
      for (let i = 0, j = 0; i < o.length; i += 4, j += 2) {
        list[j] = lowerName(t.slice(o[i], o[i + 1]));
        list[j + 1] = t.slice(o[i + 2], o[i + 3]);
      }
      this.#list = list;
    }
    return this.#list;
  }

  /** The values of `name` (lower-case), joined with ", " when repeated; undefined if absent. */
  get(name: string): string | undefined {
    const list = this.fieldList();
    let out: string | undefined;
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) out = out === undefined ? list[i + 1] : `${out}, ${list[i + 1]}`;
    return out;
  }
}

/**
 * Parses the head in `text` (status line and field lines, each CRLF-ended, without the
 * blank line) of the answer to a `method` request. Interim (1xx) heads parse too: their
 * framing is 'none' and `status < 200` tells the caller to wait for the final one.
 * `upgradeExpected`: the request asked to switch protocols, so a 101 is a final answer.
 * `bytes` from `base` are the bytes `text` was decoded from, when the caller has them.
 */
export function parseResponseHead(
  text: string,
  method: string,
  upgradeExpected: boolean,
  limits: ResponseHeadLimits = RESPONSE_HEAD_LIMITS,
  bytes?: Uint8Array,
  base = 0,
): ResponseHead {
  if (text.length > limits.maxHeadBytes) throw protocolError('BAD_RESPONSE', `response head exceeds ${limits.maxHeadBytes} bytes`);
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = text.length;
  // The head is checked in the bytes `text` was decoded from (text[i] is b[at + i]).
  const b = bytes ?? Buffer.from(text, 'latin1');
  const at = bytes === undefined ? 0 : base;
  const status = statusOf(b, at, lineEnd, text);
  const httpMinor = b[at + 7] === 0x30 ? 0 : 1;
  const fieldsStart = Math.min(lineEnd + 2, text.length);
  const offsets = scanFields(b, at + fieldsStart, at + text.length, fieldRules(limits), at);
  if (status === 101 && !upgradeExpected) throw protocolError('BAD_RESPONSE', 'unexpected 101 Switching Protocols');
  const framing = responseFraming(text, offsets, method, status, httpMinor, b, at);
  return new ResponseHead(status, httpMinor, text, offsets, framing);
}

let lastLimits: unknown;
let lastRules: { maxHeaders: number; bad: 'BAD_RESPONSE'; tooMany: 'BAD_RESPONSE' } | undefined;

function fieldRules(limits: ResponseHeadLimits): { maxHeaders: number; bad: 'BAD_RESPONSE'; tooMany: 'BAD_RESPONSE' } {
  // A process has one or two limit objects: the last one answers without a WeakMap lookup.
  if (limits === lastLimits && lastRules !== undefined) return lastRules;
  lastLimits = limits;
  let rules = FIELD_RULES.get(limits);
  if (rules === undefined) {
    rules = { maxHeaders: limits.maxHeaders, bad: 'BAD_RESPONSE', tooMany: 'BAD_RESPONSE' };
    FIELD_RULES.set(limits, rules);
  }
  lastRules = rules;
  return rules;
}

/** `HTTP/1.x SP 3DIGIT [SP reason]` (RFC 9112 §4) in bytes[at, at + lineEnd): the status code, or a BAD_RESPONSE. */
function statusOf(bytes: Uint8Array, at: number, lineEnd: number, text: string): number {
  const d0 = bytes[at + 9] - 0x30;
  const d1 = bytes[at + 10] - 0x30;
  const d2 = bytes[at + 11] - 0x30;
  const minor = bytes[at + 7];
  const ok =
    lineEnd >= 12 &&
    text.startsWith('HTTP/1.') &&
    (minor === 0x30 || minor === 0x31) &&
    bytes[at + 8] === 0x20 &&
    d0 >= 1 &&
    d0 <= 9 &&
    d1 >= 0 &&
    d1 <= 9 &&
    d2 >= 0 &&
    d2 <= 9 &&
    (lineEnd === 12 || bytes[at + 12] === 0x20) &&
    reasonIsValid(bytes, at + 13, at + lineEnd);
  if (!ok) throw protocolError('BAD_RESPONSE', `invalid status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 80)))}`);
  return d0 * 100 + d1 * 10 + d2;
}

/** reason-phrase = *( HTAB / SP / VCHAR / obs-text ): no CR, LF, NUL or other CTL. */
function reasonIsValid(bytes: Uint8Array, from: number, to: number): boolean {
  const valid = FIELD_VALUE;
  for (let i = from; i < to; i++) if (valid[bytes[i]] !== 1) return false;
  return true;
}

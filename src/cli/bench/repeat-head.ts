/**
 * The last response head the codec's decoder accepted on a connection, kept so that its
 * repeats are recognised without being decoded again. A load test reads the same answer
 * tens of thousands of times a second, and the answers differ only in values such as Date
 * or X-Request-Id; the bench reads an answer's status, framing and body length, never a
 * field's value. So a head whose bytes equal the kept head's everywhere but inside the
 * values of fields that do not decide framing, where they are still valid field values,
 * gets the decoder's earlier verdict. Any other head goes to the decoder.
 *
 * Why that is as strict as decoding it: the status line, every field name, colon and line
 * end, the blank line, and the whole of every field that framing reads (Content-Length,
 * Transfer-Encoding, Connection, Keep-Alive) are compared byte for byte. The bytes in
 * between pass the decoder's own field-value class (codec/chars.ts), which holds no CR or
 * LF, so the decoder would find the head ending at the same byte, with the same fields in
 * the same order and number, each of them valid, and the same framing.
 */
import { FIELD_VALUE } from '../../codec/chars.js';
import type { ResponseHead } from '../../codec/response-head.js';

/** The fields responseFraming (codec/framing.ts) reads: kept whole. */
const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export class RepeatHead {
  /** The head's bytes, blank line included. */
  readonly #bytes: Uint8Array;
  /** Pairs of offsets [from, to): the value stretches that may differ (each field's bytes from its colon to its CR). */
  readonly #free: readonly number[];
  readonly status: number;
  readonly keepAlive: boolean;
  /** Body bytes after the head (Content-Length, or 0 for a head without a body). */
  readonly bodyBytes: number;
  /** The head answered a HEAD request: its repeats match only answers to HEAD. */
  readonly noBody: boolean;

  private constructor(head: ResponseHead, noBody: boolean, free: number[]) {
    this.#bytes = Buffer.from(`${head.text}\r\n`, 'latin1');
    this.#free = free;
    this.status = head.status;
    this.keepAlive = head.framing.keepAlive;
    this.bodyBytes = head.framing.kind === 'length' ? head.framing.length : 0;
    this.noBody = noBody;
  }

  /**
   * The repeat-recogniser of a final head the decoder accepted for a request with (noBody)
   * or without a body in its answer; null when its framing is read from the body itself
   * (chunked, until close): those heads are always decoded.
   */
  static of(head: ResponseHead, noBody: boolean): RepeatHead | null {
    const kind = head.framing.kind;
    if ((kind !== 'length' && kind !== 'none') || head.status < 200) return null;
    const text = head.text;
    const o = head.offsets;
    const free: number[] = [];
    for (let i = 0; i < o.length; i += 4) {
      const name = text.slice(o[i], o[i + 1]).toLowerCase();
      if (FRAMING_FIELDS.has(name)) continue;
      const cr = text.indexOf('\r\n', o[i + 3]);
      free.push(o[i + 1] + 1, cr);
    }
    return new RepeatHead(head, noBody, free);
  }

  /** The head's length in bytes, blank line included. */
  get length(): number {
    return this.#bytes.length;
  }

  /** Whether buf[pos, end) starts with a repeat of this head (the whole head must be there). */
  matches(buf: Uint8Array, pos: number, end: number): boolean {
    const bytes = this.#bytes;
    const n = bytes.length;
    if (end - pos < n) return false;
    const free = this.#free;
    const valueClass = FIELD_VALUE;
    let i = 0;
    for (let f = 0; f <= free.length; f += 2) {
      const same = f < free.length ? free[f] : n;
      for (; i < same; i++) if (buf[pos + i] !== bytes[i]) return false;
      if (f === free.length) break;
      const to = free[f + 1];
      for (; i < to; i++) if (valueClass[buf[pos + i]] !== 1) return false;
    }
    return true;
  }
}

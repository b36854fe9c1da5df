/**
 * The in-process readers of answers, each driven the way its product code drives it:
 * the codec's ResponseDecoder in decoding mode and in raw (relay) mode, one decoder per
 * answer as the client's connection uses it, and `dhttp bench`'s ResponseParser. Each
 * turns a stream cut into pieces into the same Outcome, so a test can hold them all to
 * one expectation. They also check the event contract as they go (one head per answer,
 * data only after it, the end reported exactly once, nothing after it).
 */
import assert from 'node:assert/strict';
import { ResponseParseError, ResponseParser } from '../../../src/cli/bench/parser.js';
import { ProtocolError } from '../../../src/codec/errors.js';
import { ResponseDecoder } from '../../../src/codec/response-decoder.js';
import type { ResponseHead } from '../../../src/codec/response-head.js';
import type { ResponseCase } from './response-cases.js';

export interface Delivered {
  status: number;
  /** The decoded body (latin1); absent where the reader only counts it (bench). */
  payload?: string;
  payloadBytes: number;
  /** The body as framed (raw mode). */
  framed?: string;
  keepAlive?: boolean;
}

/**
 * How a stream ended for a reader: 'none' every answer delivered; 'error' a framing error
 * raised while bytes came; 'cut' an answer incomplete when the connection ended; 'extra'
 * bytes beyond every answer asked for; 'pending' still waiting for bytes with no EOF.
 */
export type Refusal = 'none' | 'error' | 'cut' | 'extra' | 'pending';

export interface Outcome {
  answers: Delivered[];
  refusal: Refusal;
  detail?: string;
}

export type Reader = (pieces: readonly Buffer[], methods: readonly string[], eof: boolean) => Outcome;

/** What a case must come to, for the in-process readers. */
export function expectedOutcome(c: ResponseCase): Outcome {
  const refusal: Refusal = c.bad === undefined ? 'none' : c.bad.refusal === 'framing' ? 'error' : c.bad.refusal;
  return {
    refusal,
    answers: c.answers.map((a) => ({
      status: a.status,
      payload: a.payload,
      payloadBytes: a.payload.length,
      framed: a.framed,
      keepAlive: a.keepAlive,
    })),
  };
}

/** Keeps only the fields a reader reports, so readers that report less are held to what they do report. */
export function comparable(expected: Outcome, got: Outcome): Outcome {
  const answers = expected.answers.map((e, i) => {
    const g = got.answers[i];
    const out: Delivered = { status: e.status, payloadBytes: e.payloadBytes };
    if (g?.payload !== undefined) out.payload = e.payload;
    if (g?.framed !== undefined) out.framed = e.framed;
    if (g?.keepAlive !== undefined) out.keepAlive = e.keepAlive;
    return out;
  });
  return { answers, refusal: expected.refusal };
}

/**
 * The payload of a body as framed, decoded by a deliberately simple reference (no
 * validation: the bytes came from a reader that validated them).
 */
function referencePayload(framed: string, head: ResponseHead): string {
  if (head.framing.kind !== 'chunked') return framed;
  let out = '';
  let p = 0;
  for (;;) {
    const le = framed.indexOf('\r\n', p);
    const size = Number.parseInt(framed.slice(p, le), 16);
    if (size === 0) return out;
    out += framed.slice(le + 2, le + 2 + size);
    p = le + 2 + size + 2;
  }
}

/** The ResponseDecoder, one per answer, fed as the client's connection feeds it. */
function decoderReader(raw: boolean): Reader {
  return (pieces, methods, eof) => {
    const answers: Delivered[] = [];
    let decoder: ResponseDecoder | undefined;
    let head: ResponseHead | undefined;
    let parts: Buffer[] = [];
    let complete = false;
    const start = (method: string): ResponseDecoder => {
      head = undefined;
      parts = [];
      complete = false;
      return new ResponseDecoder(
        method,
        {
          onHead(h, body, done) {
            assert.equal(head, undefined, 'one final head per answer');
            head = h;
            if (body !== undefined) {
              assert.ok(raw, 'body bytes with the head in raw mode only');
              parts.push(Buffer.from(body));
            }
            complete = done;
          },
          onData(data, done) {
            assert.notEqual(head, undefined, 'data after the head');
            assert.equal(complete, false, 'nothing after the end');
            parts.push(Buffer.from(data));
            complete = done;
          },
        },
        { raw },
      );
    };
    const finish = (d: ResponseDecoder): void => {
      assert.ok(complete, 'the end was reported');
      assert.equal(d.head, head);
      const h = head as ResponseHead;
      const body = Buffer.concat(parts).toString('latin1');
      const payload = raw ? referencePayload(body, h) : body;
      const delivered: Delivered = { status: h.status, payload, payloadBytes: payload.length, keepAlive: h.framing.keepAlive };
      if (raw) delivered.framed = body;
      answers.push(delivered);
      decoder = undefined;
    };
    for (const piece of pieces) {
      let pos = 0;
      while (pos < piece.length) {
        if (decoder === undefined) {
          if (answers.length >= methods.length) return { answers, refusal: 'extra' };
          decoder = start(methods[answers.length]);
        }
        const before = pos;
        try {
          pos = decoder.feed(piece, pos);
        } catch (err) {
          if (!(err instanceof ProtocolError) || err.code !== 'BAD_RESPONSE') throw err;
          return { answers, refusal: 'error', detail: err.message };
        }
        if (decoder.done) finish(decoder);
        else assert.ok(pos > before, 'an incomplete answer consumes its bytes');
      }
    }
    if (decoder !== undefined) {
      if (!eof) return { answers, refusal: 'pending' };
      if (!decoder.end()) return { answers, refusal: 'cut' };
      finish(decoder);
    }
    return { answers, refusal: 'none' };
  };
}

export const decodedReader: Reader = decoderReader(false);
export const rawReader: Reader = decoderReader(true);

/** `dhttp bench`'s parser: it reads answer after answer on its own. */
export const benchReader: Reader = (pieces, methods, eof) => {
  const answers: Delivered[] = [];
  const parser = new ResponseParser((r) => {
    answers.push({ status: r.status, payloadBytes: r.bodyBytes, keepAlive: r.keepAlive });
    parser.noBody = methods[answers.length] === 'HEAD';
  });
  parser.noBody = methods[0] === 'HEAD';
  const beyond = (): boolean => answers.length > methods.length;
  for (const piece of pieces) {
    try {
      parser.execute(piece);
    } catch (err) {
      if (!(err instanceof ResponseParseError)) throw err;
      if (answers.length >= methods.length) return { answers: answers.slice(0, methods.length), refusal: 'extra' };
      return { answers, refusal: 'error', detail: err.message };
    }
    if (beyond()) return { answers: answers.slice(0, methods.length), refusal: 'extra' };
  }
  if (!parser.idle) {
    if (answers.length >= methods.length) return { answers: answers.slice(0, methods.length), refusal: 'extra' };
    if (!eof) return { answers, refusal: 'pending' };
    if (!parser.end()) return { answers, refusal: 'cut' };
    if (beyond()) return { answers: answers.slice(0, methods.length), refusal: 'extra' };
  }
  return { answers, refusal: 'none' };
};

export const IN_PROCESS_READERS: Readonly<Record<string, Reader>> = {
  'decoder (decoded)': decodedReader,
  'decoder (raw)': rawReader,
  'bench parser': benchReader,
};

/**
 * Split points of a stream: every offset of a short one; of a long one, every offset near
 * its start, its end and each answer's boundaries, and a stride through the rest.
 */
export function splitPoints(length: number, boundaries: readonly number[] = []): number[] {
  if (length <= 4096) return Array.from({ length: length + 1 }, (_, i) => i);
  const points = new Set<number>();
  const near = (at: number, r: number): void => {
    for (let k = Math.max(0, at - r); k <= Math.min(length, at + r); k++) points.add(k);
  };
  near(0, 300);
  near(length, 300);
  for (const b of boundaries) near(b, 32);
  for (let k = 0; k <= length; k += 211) points.add(k);
  return [...points].sort((a, b) => a - b);
}

/** The ways a stream is cut for the in-process readers: in two at `k`, and byte by byte. */
export function* cuts(stream: Buffer, points: readonly number[]): Generator<{ label: string; pieces: Buffer[] }> {
  for (const k of points) yield { label: `split at ${k}`, pieces: [stream.subarray(0, k), stream.subarray(k)].filter((p) => p.length > 0) };
  yield { label: 'byte by byte', pieces: Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1)) };
}

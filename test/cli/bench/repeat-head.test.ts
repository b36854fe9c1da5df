/**
 * `dhttp bench`'s parser recognises repeats of the last decoded head (src/cli/bench/repeat-head.ts)
 * instead of decoding them again. Held to the parser that decodes every head: over streams
 * of answers made from one head, some repeated as they are, some with their values changed,
 * some with any byte of the head changed, added or removed, and every stream cut at random
 * points, both must deliver the same answers and refuse at the same place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ResponseParseError, ResponseParser } from '../../../src/cli/bench/parser.js';
import { splitAt } from '../../helpers/split-at.js';

interface Field {
  name: string;
  value: string;
}

/** What a parser delivered for a stream fed in pieces: answers, and the piece it refused at (-1: none). */
function run(
  pieces: readonly Buffer[],
  methods: readonly string[],
  repeats: boolean,
): { answers: string[]; refusedAt: number; idle: boolean } {
  const answers: string[] = [];
  const parser = new ResponseParser(
    (r) => {
      answers.push(`${r.status}/${r.bodyBytes}/${r.keepAlive}`);
      parser.noBody = methods[answers.length] === 'HEAD';
    },
    { repeats },
  );
  parser.noBody = methods[0] === 'HEAD';
  for (let i = 0; i < pieces.length; i++) {
    try {
      parser.execute(pieces[i]);
    } catch (err) {
      assert.ok(err instanceof ResponseParseError, String(err));
      return { answers, refusedAt: i, idle: parser.idle };
    }
  }
  return { answers, refusedAt: -1, idle: parser.idle };
}

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&*+.^`|~');
const valueChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constantFrom(0x20, 0x09, 0x80, 0xff) },
);
const otherField: fc.Arbitrary<Field> = fc.record({
  name: fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }),
  value: fc.array(valueChar, { maxLength: 20 }).map((cs) => String.fromCharCode(...cs).trim()),
});
const framingField: fc.Arbitrary<Field> = fc.oneof(
  fc.constant({ name: 'Connection', value: 'close' }),
  fc.constant({ name: 'Connection', value: 'keep-alive' }),
  fc.constant({ name: 'Keep-Alive', value: 'timeout=5' }),
  fc.constant({ name: 'Transfer-Encoding', value: 'chunked' }),
);

/** How one answer of the stream is made from the base head. */
const variant = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'same' as const }) },
  // A value's bytes replaced by any bytes of the same length (CR, LF, NUL and DEL among them).
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('value' as const),
      field: fc.nat(),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }),
    }),
  },
  // Any byte of the head set to any value, or a byte added or removed anywhere.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), to: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), to: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }) },
  // A different Content-Length with as many digits.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('length' as const), length: fc.integer({ min: 10, max: 99 }) }) },
);

type Variant = typeof variant extends fc.Arbitrary<infer T> ? T : never;

/** One answer on the wire; to a HEAD request without its body. */
function answer(status: number, fields: readonly Field[], length: number, v: Variant, toHead: boolean): Buffer {
  const lines = fields.map((f) => `${f.name}: ${f.value}`);
  const bodyLength = v.kind === 'length' ? v.length : length;
  let head = Buffer.from(
    `HTTP/1.1 ${status} X\r\n${lines.join('\r\n')}${lines.length > 0 ? '\r\n' : ''}Content-Length: ${bodyLength}\r\n\r\n`,
    'latin1',
  );
  if (v.kind === 'value' && fields.length > 0) {
    const f = fields[v.field % fields.length];
    const line = Buffer.from(`\r\n${f.name}: ${f.value}\r\n`, 'latin1');
    const at = head.indexOf(line);
    const valueAt = at + 2 + f.name.length + 2;
    for (let i = 0; i < f.value.length && i < v.bytes.length; i++) head[valueAt + i] = v.bytes[i];
  } else if (v.kind === 'byte') {
    head[v.at % head.length] = v.to;
  } else if (v.kind === 'insert') {
    const at = v.at % (head.length + 1);
    head = Buffer.concat([head.subarray(0, at), Buffer.from([v.to]), head.subarray(at)]);
  } else if (v.kind === 'remove') {
    const at = v.at % head.length;
    head = Buffer.concat([head.subarray(0, at), head.subarray(at + 1)]);
  }
  return Buffer.concat([head, Buffer.alloc(toHead ? 0 : bodyLength, 0x61)]);
}

describe('dhttp bench: repeats of a decoded head', () => {
  it('deliver and refuse exactly as decoding every head does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 201, 204, 404, 503),
        fc.array(fc.oneof({ weight: 4, arbitrary: otherField }, { weight: 1, arbitrary: framingField }), { maxLength: 6 }),
        fc.integer({ min: 10, max: 99 }),
        fc.array(fc.tuple(variant, fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (status, fields, length, answers, points) => {
          const wire = Buffer.concat(answers.map(([v, head]) => answer(status, fields, length, v, head)));
          const methods = answers.map(([, head]) => (head ? 'HEAD' : 'GET'));
          const pieces = splitAt(wire, points);
          const decoded = run(pieces, methods, false);
          const repeated = run(pieces, methods, true);
          assert.deepEqual(repeated, decoded);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('take a repeat of the whole stream, split at every byte, as decoding does', () => {
    const head = (id: string, date: string, length: number) =>
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nDate: ${date}\r\nX-Request-Id: ${id}\r\n\r\n${'x'.repeat(length)}`;
    const wire = Buffer.from(
      head('a-1', 'Mon, 07 Dec 2026 09:30:36 GMT', 24) +
        head('a-2', 'Mon, 07 Dec 2026 09:30:37 GMT', 24) +
        head('a-3', 'Mon, 07 Dec 2026 09:30:37 GMT', 25) +
        head('a-4', 'Mon, 07 Dec 2026 09:30:37 GMT', 25) +
        head('a-10', 'Mon, 07 Dec 2026 09:30:37 GMT', 25) +
        head('a\r\n1', 'Mon, 07 Dec 2026 09:30:37 GMT', 25),
      'latin1',
    );
    const methods = Array(6).fill('GET');
    for (let at = 0; at <= wire.length; at++) {
      const pieces = splitAt(wire, [at]);
      const decoded = run(pieces, methods, false);
      assert.deepEqual(run(pieces, methods, true), decoded, `cut at ${at}`);
      assert.deepEqual(decoded.answers, ['200/24/true', '200/24/true', '200/25/true', '200/25/true', '200/25/true']);
      assert.notEqual(decoded.refusedAt, -1, 'the id with a CRLF in it is refused');
    }
  });
});

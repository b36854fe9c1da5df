/**
 * Request mutations for the property tests (fast-check): flip, insert a special token,
 * delete, truncate, duplicate - the ways a request gets broken on the wire.
 */
import fc from 'fast-check';

const SPECIAL = [
  '\r',
  '\n',
  '\r\n',
  '\0',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '\x0b',
  '\xff',
  '0',
  'chunked',
  'Content-Length: 7\r\n',
  'Transfer-Encoding: chunked\r\n',
];

export const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SPECIAL) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

export function apply(src: Buffer, m: Mutation): Buffer {
  const at = src.length === 0 ? 0 : m.at % src.length;
  switch (m.kind) {
    case 'flip': {
      const b = Buffer.from(src);
      if (b.length > 0) b[at] = m.byte;
      return b;
    }
    case 'insert':
      return Buffer.concat([src.subarray(0, at), Buffer.from(m.text, 'latin1'), src.subarray(at)]);
    case 'delete':
      return Buffer.concat([src.subarray(0, at), src.subarray(at + m.len)]);
    case 'truncate':
      return src.subarray(0, at);
    case 'duplicate':
      return Buffer.concat([src.subarray(0, at + m.len), src.subarray(at)]);
  }
}

/** The request split into pieces of `every * 7` bytes (0: whole), as a slow client sends it. */
export function splitInto(bytes: Buffer, every: number): Buffer[] {
  if (every === 0) return [bytes];
  const size = every * 7;
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

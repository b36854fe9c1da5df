/**
 * The field-line scanner on its own: offsets relative to a base inside a larger buffer, the
 * edges of the value bytes, and which error a line gets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../src/codec/errors.js';
import { scanFields } from '../../src/codec/fields.js';

const RULES = { maxHeaders: 10, bad: 'BAD_REQUEST', tooMany: 'HEADERS_TOO_LARGE' } as const;

function scan(lines: string): number[] | ProtocolError {
  try {
    return scanFields(Buffer.from(lines, 'latin1'), 0, lines.length, RULES);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
}

test('offsets: name start, colon, value start and end with OWS trimmed, empty values included', () => {
  assert.deepEqual(scan('A: 1\r\nBb:\t x y \t\r\nC:\r\n'), [0, 1, 3, 4, 6, 8, 11, 14, 18, 19, 20, 20]);
});

test('offsets count from base; bytes outside [start, end) are not read as fields', () => {
  const bytes = Buffer.from('GET / HTTP/1.1\r\nA: 1\r\n\r\n\x00garbage', 'latin1');
  assert.deepEqual(scanFields(bytes, 16, 22, RULES, 4), [12, 13, 15, 16]);
});

test('value bytes: obs-text and HTAB pass, DEL and other controls do not', () => {
  assert.ok(Array.isArray(scan('A: x\xff\x80\ty\r\n')));
  for (const bad of ['\x7f', '\x00', '\x1f', '\x0b']) {
    const r = scan(`A: x${bad}y\r\n`);
    assert.ok(r instanceof ProtocolError, JSON.stringify(bad));
    assert.equal(r.code, 'BAD_REQUEST');
  }
});

test('a line that starts with whitespace is named as obs-fold; other bad names as malformed', () => {
  for (const lines of ['A: 1\r\n b\r\n', 'A: 1\r\n\tb\r\n']) {
    const r = scan(lines);
    assert.ok(r instanceof ProtocolError);
    assert.match(r.message, /obsolete line folding/);
  }
  const r = scan('A: 1\r\n@: b\r\n');
  assert.ok(r instanceof ProtocolError);
  assert.match(r.message, /malformed header field name/);
});

test('more than maxHeaders lines is the tooMany code', () => {
  const r = scan('A: 1\r\n'.repeat(11));
  assert.ok(r instanceof ProtocolError);
  assert.equal(r.code, 'HEADERS_TOO_LARGE');
  assert.equal((scan('A: 1\r\n'.repeat(10)) as number[]).length, 40);
});

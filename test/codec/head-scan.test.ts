/**
 * HeadScan.decode against Buffer#toString: whatever views of whichever buffers are asked
 * for, in any order, the text is that view's latin1 text - a slice of the last window only
 * when the range lies inside it, in the same ArrayBuffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HeadScan } from '../../src/codec/request-head.js';

test('decode gives the latin1 text of every range asked, from a slice or a fresh decode', () => {
  const ask = fc.record({ which: fc.nat(2), view: fc.nat(64), from: fc.nat(64), len: fc.nat(64) });
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.array(ask, { maxLength: 30 }), (bytes, asks) => {
      // An ArrayBuffer of its own (views from offset 0), one with other bytes, and the same
      // bytes at an offset inside Node's pool.
      const buffers = [
        Buffer.from(new Uint8Array(bytes).buffer),
        Buffer.from(new Uint8Array(bytes.map((b) => b ^ 0x55)).buffer),
        Buffer.from(bytes),
      ];
      const scan = new HeadScan();
      for (const { which, view, from, len } of asks) {
        const buf = buffers[which].subarray(view);
        const f = Math.min(from, buf.length);
        const t = Math.min(f + len, buf.length);
        assert.equal(scan.decode(buf, f, t), buf.toString('latin1', f, t));
        if (len % 3 === 0) scan.reset(); // keeps the window
      }
    }),
    { numRuns: 500 },
  );
});

test('a range that runs past the last window is decoded, not cut short', () => {
  const buf = Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
  const scan = new HeadScan();
  assert.equal(scan.decode(buf, 0, 20), buf.toString('latin1', 0, 20));
  assert.equal(scan.decode(buf, 5, 24), buf.toString('latin1', 5, 24));
  assert.equal(scan.decode(buf.subarray(28), 0, 28), buf.toString('latin1', 28, 56));
});

test('after forget(), a range is decoded again: nothing of the last window is kept', () => {
  const buf = Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
  const scan = new HeadScan();
  assert.equal(scan.decode(buf, 0, 20), buf.toString('latin1', 0, 20));
  scan.forget();
  // Only a fresh decode sees bytes rewritten since (the connection's own bytes never are).
  buf.write('PUT', 0, 'latin1');
  assert.equal(scan.decode(buf, 0, 20), buf.toString('latin1', 0, 20));
});

/**
 * parseResponseHead given the bytes its text came from: it reads them from `base`, and
 * without bytes it checks the text itself whatever `base` says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESPONSE_HEAD_LIMITS, parseResponseHead } from '../../src/codec/response-head.js';

const TEXT = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n';

test('the head is read from the bytes at base; without bytes, base is ignored', () => {
  const bytes = Buffer.from(`HTTP/1.1 404 Earlier answer\r\n\r\n${TEXT}\r\nok`, 'latin1');
  const base = bytes.indexOf('HTTP/1.1 200');
  for (const head of [
    parseResponseHead(TEXT, 'GET', false, RESPONSE_HEAD_LIMITS, bytes, base),
    parseResponseHead(TEXT, 'GET', false, RESPONSE_HEAD_LIMITS, undefined, base),
  ]) {
    assert.equal(head.status, 200);
    assert.deepEqual(head.fieldList(), ['content-length', '2', 'connection', 'close']);
    assert.equal(head.framing.kind, 'length');
    assert.equal(head.framing.length, 2);
    assert.equal(head.framing.keepAlive, false);
  }
});

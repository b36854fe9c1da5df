/** The Via mark of loop detection (loop-guard.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIA_ENTRY, passedThrough } from '../../src/dispatcher/loop-guard.js';

const mark = VIA_ENTRY.slice(4);

test('our mark as a received-by, wherever it is in the list', () => {
  assert.match(VIA_ENTRY, /^1\.1 dhttp-[A-Za-z0-9_-]{16}$/);
  for (const via of [
    VIA_ENTRY,
    `1.0 edge, ${VIA_ENTRY}`,
    `${VIA_ENTRY}, 1.1 other`,
    `1.1 a,${VIA_ENTRY} (dhttp),1.1 b`,
    `HTTP/1.1\t${mark}`,
  ]) {
    assert.equal(passedThrough(via), true, via);
  }
});

test('anything else is not ours', () => {
  for (const via of ['', '1.1 edge', '1.1 dhttp-AAAAAAAAAAAAAAAA', `1.1 x${mark}`, `1.1 ${mark}x`, `1.1 ${mark.slice(0, -1)}`, mark]) {
    assert.equal(passedThrough(via), false, via);
  }
});

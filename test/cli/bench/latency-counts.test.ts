/**
 * LatencyCounts against hdr-histogram-js itself: whatever the values, moving the counts
 * into a histogram gives the same histogram, encoded byte for byte, as recording each value
 * there directly - so percentiles and merges across threads are unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { LatencyCounts } from '../../../src/cli/bench/latency-counts.js';

const newHistogram = () => build({ numberOfSignificantValueDigits: 3 });

/** Values around every bucket edge that matters: unit range, each power of two, the 2^31 limit. */
const latency = fc.oneof(
  fc.integer({ min: 0, max: 4096 }),
  fc.integer({ min: 0, max: 30 }).chain((k) => fc.integer({ min: Math.max(0, 2 ** k - 2), max: 2 ** (k + 1) + 1 })),
  fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }),
  fc.integer({ min: 0, max: 2 ** 40 }),
);

test('moving the counts equals recording each value, encoded byte for byte; the counts start over', () => {
  fc.assert(
    fc.property(fc.array(latency, { maxLength: 200 }), fc.array(latency, { maxLength: 50 }), (first, second) => {
      const counts = new LatencyCounts();
      const moved = newHistogram();
      const direct = newHistogram();
      for (const v of first) counts.record(v);
      counts.moveInto(moved);
      for (const v of second) counts.record(v);
      counts.moveInto(moved);
      for (const v of [...first, ...second]) direct.recordValue(v);
      assert.equal(encodeIntoCompressedBase64(moved), encodeIntoCompressedBase64(direct));
      assert.equal(moved.totalCount, first.length + second.length);
      moved.destroy();
      direct.destroy();
    }),
    { numRuns: 300 },
  );
});

/**
 * LiveList: the server's sockets and connections (src/server/live-list.ts). Checked against a
 * Set over random joins and leaves, since it stands in for one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LiveList } from '../../src/server/live-list.js';

test('joins and leaves in any order keep the same members as a Set would', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(15)), { maxLength: 200 }), (ops) => {
      const items = Array.from({ length: 16 }, (_, id) => ({ id }));
      const list = new LiveList<{ id: number }>();
      const set = new Set<{ id: number }>();
      for (const [join, k] of ops) {
        const item = items[k];
        if (join) {
          list.add(item);
          set.add(item);
        } else {
          assert.equal(list.delete(item), set.delete(item));
        }
        assert.equal(list.size, set.size);
        for (const x of items) assert.equal(list.has(x), set.has(x));
      }
      assert.deepEqual(new Set(list.toArray()), set);
      assert.equal(list.toArray().length, set.size);
    }),
  );
});

test('an item may be in two lists at once, and toArray is a copy', () => {
  const a = new LiveList<object>();
  const b = new LiveList<object>();
  const x = {};
  const y = {};
  a.add(x);
  a.add(y);
  b.add(y);
  const before = a.toArray();
  assert.equal(a.delete(x), true);
  assert.equal(a.delete(x), false);
  assert.deepEqual(before, [x, y]);
  assert.deepEqual(a.toArray(), [y]);
  assert.deepEqual(b.toArray(), [y]);
  assert.equal(b.delete(y), true);
  assert.equal(a.has(y), true);
  assert.equal(b.has(y), false);
});

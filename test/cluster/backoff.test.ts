import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, BACKOFF_DEFAULTS } from '../../src/cluster/backoff.js';

test('doubles from the initial delay per crash in a row, capped at the maximum', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, stableMs: 10_000 });
  const delays = Array.from({ length: 7 }, () => b.crashed(50));
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
  assert.equal(b.streak, 7);
});

test('a child that stayed up stableMs starts a new streak', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, stableMs: 10_000 });
  b.crashed(10);
  b.crashed(10);
  assert.equal(b.crashed(9_999), 400);
  assert.equal(b.crashed(10_000), 100);
  assert.equal(b.crashed(10), 200);
});

test('stays finite after very many crashes', () => {
  const b = new Backoff({ initialMs: 1, maxMs: 5000 });
  let last = 0;
  for (let i = 0; i < 2000; i++) last = b.crashed(0);
  assert.equal(last, 5000);
});

test('defaults match the CLI defaults (250 ms doubling to 10 s, reset after 10 s up)', () => {
  assert.deepEqual({ ...BACKOFF_DEFAULTS }, { initialMs: 250, maxMs: 10_000, stableMs: 10_000 });
  assert.equal(new Backoff().crashed(0), 250);
});

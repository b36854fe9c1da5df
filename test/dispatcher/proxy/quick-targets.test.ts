/** QuickTargets: which request targets the fast path may pipeline (src/dispatcher/quick-targets.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CAP_MS, FACTOR, FLOOR_MS, MAX_TARGET_LENGTH, MIN_SAMPLES, QuickTargets } from '../../../src/dispatcher/proxy/quick-targets.js';
import { Upstream } from '../../../src/dispatcher/upstreams/upstream.js';

describe('quick targets', () => {
  test('the limit is FACTOR times the probe, between FLOOR_MS and CAP_MS', () => {
    assert.equal(QuickTargets.limitMs(0), FLOOR_MS, 'no probe yet');
    assert.equal(QuickTargets.limitMs(0.1), FLOOR_MS);
    assert.equal(QuickTargets.limitMs(5), FACTOR * 5);
    assert.equal(QuickTargets.limitMs(1000), CAP_MS);
  });

  test(`a target is judged after ${MIN_SAMPLES} answers, by method and whole target`, () => {
    const q = new QuickTargets();
    for (let i = 1; i <= MIN_SAMPLES; i++) {
      assert.equal(q.isQuick('GET', '/ping', 1), false, `after ${i - 1}`);
      q.record('GET', '/ping', 0.5);
    }
    assert.equal(q.isQuick('GET', '/ping', 1), true);
    assert.equal(q.isQuick('HEAD', '/ping', 1), false, 'another method is another request');
    assert.equal(q.isQuick('GET', '/ping?x=1', 1), false, 'another query is another request');
  });

  test('slow targets are not quick; the limit follows the probe; one slow answer ends it', () => {
    const q = new QuickTargets();
    for (let i = 0; i < MIN_SAMPLES; i++) {
      q.record('GET', '/sleep?seconds=1', 1000);
      q.record('GET', '/file', 10);
      q.record('GET', '/ping', 0.3);
    }
    assert.equal(q.isQuick('GET', '/sleep?seconds=1', 1), false);
    assert.equal(q.isQuick('GET', '/sleep?seconds=1', 10_000), false, 'never beyond CAP_MS');
    assert.equal(q.isQuick('GET', '/file', 1), false, '10 ms against a 1 ms probe');
    assert.equal(q.isQuick('GET', '/file', 5), true, 'the same 10 ms when a trivial request waits 5 ms');
    q.record('GET', '/ping', 1000);
    assert.equal(q.isQuick('GET', '/ping', 1), false, 'a long answer weighs at once');
  });

  test('bounded: the oldest target goes first', () => {
    const q = new QuickTargets(3);
    for (const t of ['/a', '/b', '/c', '/d']) for (let i = 0; i < MIN_SAMPLES; i++) q.record('GET', t, 0.1);
    assert.equal(q.isQuick('GET', '/a', 1), false, 'forgotten');
    for (const t of ['/b', '/c', '/d']) assert.equal(q.isQuick('GET', t, 1), true, t);
    const long = `/${'x'.repeat(MAX_TARGET_LENGTH)}`;
    for (let i = 0; i < MIN_SAMPLES; i++) q.record('GET', long, 0.1);
    assert.equal(q.isQuick('GET', long, 1), false, 'too long to keep');
    assert.equal(q.isQuick('GET', '/b', 1), true, 'and it evicted nothing');
  });

  test('the probe reference follows a faster probe at once and a slower one gradually', () => {
    const u = new Upstream('w1', 'http://127.0.0.1:1');
    u.probed(40);
    assert.equal(u.probeMs, 40);
    u.probed(1);
    assert.equal(u.probeMs, 1, 'down at once: a cold start is forgotten');
    u.probed(11);
    assert.ok(u.probeMs > 1 && u.probeMs < 11, String(u.probeMs));
  });
});

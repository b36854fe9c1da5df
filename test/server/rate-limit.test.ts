import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/server/rate-limit.js';

describe('RateLimiter', () => {
  it('allows exactly burst, then refuses with a sane Retry-After', () => {
    const rl = new RateLimiter({ ratePerSec: 2, burst: 5, sweepIntervalMs: 0 });
    for (let i = 0; i < 5; i++) assert.deepEqual(rl.take('a', 1000), { ok: true }, `request ${i}`);
    assert.deepEqual(rl.take('a', 1000), { ok: false, retryAfterSec: 1 });
    // Other keys are independent.
    assert.deepEqual(rl.take('b', 1000), { ok: true });
    rl.close();
  });

  it('Retry-After rounds up to whole seconds for slow rates', () => {
    const rl = new RateLimiter({ ratePerSec: 0.1, burst: 1, sweepIntervalMs: 0 });
    assert.equal(rl.take('k', 0).ok, true);
    assert.deepEqual(rl.take('k', 0), { ok: false, retryAfterSec: 10 });
    assert.deepEqual(rl.take('k', 4_000), { ok: false, retryAfterSec: 6 });
    assert.equal(rl.take('k', 10_000).ok, true);
    rl.close();
  });

  it('refills over time with an injected clock, capped at burst', () => {
    const rl = new RateLimiter({ ratePerSec: 10, burst: 3, sweepIntervalMs: 0 });
    for (let i = 0; i < 3; i++) assert.equal(rl.take('k', 0).ok, true);
    assert.equal(rl.take('k', 0).ok, false);
    assert.equal(rl.take('k', 50).ok, false); // half a token
    assert.equal(rl.take('k', 100).ok, true); // one token
    assert.equal(rl.take('k', 100).ok, false);
    // A long idle refills to burst, not beyond.
    let ok = 0;
    for (let i = 0; i < 10; i++) if (rl.take('k', 60_000).ok) ok++;
    assert.equal(ok, 3);
    // A clock stepping back never drains tokens nor goes negative.
    assert.equal(rl.take('k', 0).ok, false);
    assert.equal(rl.take('k', 60_100).ok, true);
    rl.close();
  });

  it('a refused request does not consume a token', () => {
    const rl = new RateLimiter({ ratePerSec: 1, burst: 1, sweepIntervalMs: 0 });
    assert.equal(rl.take('k', 0).ok, true);
    for (let t = 0; t < 1000; t += 100) assert.equal(rl.take('k', t).ok, false);
    assert.equal(rl.take('k', 1000).ok, true);
    rl.close();
  });

  it('sweep drops only full buckets; maxKeys evicts the least recently seen', () => {
    const rl = new RateLimiter({ ratePerSec: 1, burst: 2, maxKeys: 3, sweepIntervalMs: 0 });
    rl.take('a', 0);
    rl.take('b', 0);
    rl.take('b', 0);
    assert.equal(rl.size, 2);
    assert.equal(rl.sweep(1000), 1); // a is full again at t=1s, b has 1 token
    assert.equal(rl.size, 1);
    rl.take('c', 1000);
    rl.take('d', 1000);
    rl.take('b', 1000); // b becomes most recent: LRU order c, d, b
    rl.take('e', 1000); // evicts c
    assert.equal(rl.size, 3);
    rl.take('d', 1000); // still limited state kept: d had 2 → 1 → 0
    assert.equal(rl.take('d', 1000).ok, false);
    assert.equal(rl.take('c', 1000).ok, true); // c was evicted, so it starts fresh
    rl.close();
  });

  it('stays bounded under a flood of distinct keys', () => {
    const rl = new RateLimiter({ ratePerSec: 1, burst: 1, maxKeys: 1000, sweepIntervalMs: 0 });
    for (let i = 0; i < 20_000; i++) rl.take(`10.0.${i >> 8}.${i & 255}`, 0);
    assert.equal(rl.size, 1000);
    rl.close();
    assert.equal(rl.size, 0);
  });

  it('defaults and validation', () => {
    const rl = new RateLimiter({ ratePerSec: 2.5 });
    let ok = 0;
    for (let i = 0; i < 10; i++) if (rl.take('k', 0).ok) ok++;
    assert.equal(ok, 3); // burst defaults to ceil(rate)
    rl.close();
    assert.throws(() => new RateLimiter({ ratePerSec: 0 }), /ratePerSec/);
    assert.throws(() => new RateLimiter({ ratePerSec: Number.NaN }), /ratePerSec/);
    assert.throws(() => new RateLimiter({ ratePerSec: 1, burst: 0.5 }), /burst/);
    assert.throws(() => new RateLimiter({ ratePerSec: 1, maxKeys: 0 }), /maxKeys/);
    assert.throws(() => new RateLimiter({ ratePerSec: 1, sweepIntervalMs: -1 }), /sweepIntervalMs/);
  });

  it('the sweep timer does not keep the process alive and close() stops it', () => {
    const rl = new RateLimiter({ ratePerSec: 1, sweepIntervalMs: 10 });
    rl.close();
    rl.close();
  });
});

/**
 * The zero-loss acceptance: 20 keep-alive connections in a closed loop against
 * `dhttp start --workers 3` while each worker in turn is SIGKILLed and restarted - not one
 * request may fail. bench/zero-loss.ts runs the same thing longer and reports figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zeroLoss, type ZeroLossResult } from '../../bench/zero-loss.js';

function explain(r: ZeroLossResult): string {
  return JSON.stringify({ ...r, failedRequests: r.failedRequests.slice(0, 3) }, null, 2);
}

test('a rolling SIGKILL of every worker under load loses no request', { timeout: 90_000 }, async () => {
  const r = await zeroLoss({ workers: 3, connections: 20, durationMs: 6000, killEveryMs: 1500, path: '/fibonacci?num=200' });
  assert.equal(r.kills.length, 3, explain(r));
  assert.deepEqual(new Set(r.kills.map((k) => k.id)), new Set(['w1', 'w2', 'w3']));
  assert.ok(r.requests > 100, explain(r));
  assert.equal(r.failures, 0, explain(r));
  assert.ok(r.restarts >= 3, explain(r));
  assert.equal(r.clusterExitCode, 0);
});

// With one worker every in-flight request must wait for its replacement: the dispatcher
// retries a reset on the same (not yet removed) worker after one try-interval, and the
// refused connection that follows leads into the hold (src/dispatcher/forward.ts).
test('the only worker SIGKILLed under load loses no request', { timeout: 90_000 }, async () => {
  const r = await zeroLoss({ workers: 1, connections: 20, durationMs: 5000, killEveryMs: 2000, path: '/ping' });
  assert.equal(r.kills.length, 2, explain(r));
  assert.equal(r.failures, 0, explain(r));
  assert.ok(r.restarts >= 2, explain(r));
});

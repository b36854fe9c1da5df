import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { EVENT_LOOP_LAG_METRICS, registerEventLoopLag } from '../../src/common/event-loop-lag.js';
import { registerProcessMetrics } from '../../src/common/process-metrics.js';

async function values(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of await registry.getMetricsAsJSON()) if (m.values.length > 0) out.set(m.name, Number(m.values[0].value));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('event-loop lag gauges', () => {
  it('report a blocked loop, and scrapes within the interval reuse the statistics', async () => {
    const registry = new Registry();
    registerEventLoopLag(registry, 300);
    await sleep(50);
    const blockUntil = performance.now() + 120;
    while (performance.now() < blockUntil) {
      // the event loop is blocked for 120 ms
    }
    await sleep(20);
    const first = await values(registry);
    assert.ok(first.get('nodejs_eventloop_lag_max_seconds')! >= 0.1, `max ${first.get('nodejs_eventloop_lag_max_seconds')}`);
    // Within the interval: the same numbers (no walk over the histogram's buckets).
    await sleep(30);
    const again = await values(registry);
    for (const s of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'])
      assert.equal(again.get(`nodejs_eventloop_lag_${s}_seconds`), first.get(`nodejs_eventloop_lag_${s}_seconds`), s);
    // After it: a fresh window, without the blocked stretch.
    await sleep(350);
    const later = await values(registry);
    assert.ok(later.get('nodejs_eventloop_lag_max_seconds')! < 0.1, `max ${later.get('nodejs_eventloop_lag_max_seconds')}`);
  });

  it("replace prom-client's own under the same names, once each", async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const text = await registry.metrics();
    for (const name of EVENT_LOOP_LAG_METRICS) {
      assert.equal(text.split('\n').filter((l) => l === `# TYPE ${name} gauge`).length, 1, name);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from '../../src/common/process-metrics.js';

async function values(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of await registry.getMetricsAsJSON()) if (m.values.length > 0) out.set(m.name, Number(m.values[0].value));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('process metrics', () => {
  it('are gathered at most once a second: scrapes in between show the same values', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    await sleep(50);
    const blockUntil = performance.now() + 120;
    while (performance.now() < blockUntil) {
      // the event loop is blocked for 120 ms
    }
    await sleep(20);
    const first = await values(registry);
    assert.ok(first.get('nodejs_eventloop_lag_max_seconds')! >= 0.1, `max ${first.get('nodejs_eventloop_lag_max_seconds')}`);
    // Work between two scrapes within the second: the numbers do not move.
    Buffer.alloc(8 * 1024 * 1024, 1);
    await sleep(30);
    const again = await values(registry);
    for (const name of [
      'nodejs_eventloop_lag_max_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
    ])
      assert.equal(again.get(name), first.get(name), name);
    // A second later: gathered again, a fresh event-loop window without the blocked stretch.
    await sleep(1050);
    const later = await values(registry);
    assert.ok(later.get('nodejs_eventloop_lag_max_seconds')! < 0.1, `max ${later.get('nodejs_eventloop_lag_max_seconds')}`);
    assert.ok(later.get('process_cpu_seconds_total')! > first.get('process_cpu_seconds_total')!, 'CPU time moved on');
  });

  it('leave out the _total gauges promtool rejects, and carry the build info', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const text = await registry.metrics();
    assert.doesNotMatch(text, /^nodejs_active_handles_total/m);
    assert.match(text, /^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
    assert.match(text, /^dhttp_build_info\{version="[^"]+",node="v\d+/m);
  });
});

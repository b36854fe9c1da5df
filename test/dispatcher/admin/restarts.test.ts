/**
 * Acceptance 1 (issue 20), stable identities: a SIGKILLed worker of `dhttp start` comes
 * back under the same `id`; `dhttp_upstream_restarts_total{id="w1"}` goes up by one and
 * every per-worker series of w1 continues (same labels, counters not reset), while its
 * address moves to the info metric's new value. /workers shows Restarts and DownSeconds,
 * `/workers/<id>/metrics` reaches the new process, and the state changes are logged once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterProcess, waitGone } from '../../../bench/cluster-process.js';
import { waitActive } from '../../../bench/zero-loss.js';
import { sample } from './helpers.js';

async function text(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return res.text();
}

/** The label sets of w1's per-worker series (names with labels, no values). */
function seriesOf(metrics: string, id: string): string[] {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('dhttp_upstream_') && l.includes(`id="${id}"`) && !l.startsWith('dhttp_upstream_info'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .sort();
}

test('a killed worker of dhttp start continues its series under its id, one restart up', { timeout: 90_000 }, async (t) => {
  // A generous probe timeout: on a loaded machine a slow probe must not add a down/up of its own.
  const cluster = await ClusterProcess.start(2, { args: ['--restart-backoff', '300ms', '--threads', '1', '--health-timeout', '5s'] });
  t.after(async () => {
    cluster.kill('SIGKILL');
    await waitGone(cluster.allPids, 5000);
  });
  await waitActive(cluster.url, 2);
  for (let i = 0; i < 20; i++) assert.equal((await fetch(`${cluster.url}/fibonacci?num=${i}`)).status, 200);

  const before = await text(`${cluster.url}/metrics`);
  const completed = sample(before, 'dhttp_upstream_completed_total{id="w1"}') ?? Number.NaN;
  assert.ok(completed > 0, 'w1 answered some of the requests');
  assert.equal(sample(before, 'dhttp_upstream_restarts_total{id="w1"}'), 0);
  const address = /^dhttp_upstream_info\{id="w1",address="([^"]+)"\} 1$/m.exec(before)?.[1];
  assert.ok(address !== undefined, 'w1 has an info metric');
  const fib = 'dhttp_worker_http_requests_total{route="/fibonacci",status="200",worker="w1"}';
  assert.ok((sample(await text(`${cluster.url}/workers/w1/metrics`), fib) ?? 0) > 0, 'the old process served fibonacci');

  const pid = cluster.pids.get('w1') as number;
  process.kill(pid, 'SIGKILL');
  await cluster.waitFor((l) => l.msg === 'worker restarted' && l.id === 'w1', 20_000);
  await waitActive(cluster.url, 2);

  const after = await text(`${cluster.url}/metrics`);
  assert.equal(sample(after, 'dhttp_upstream_restarts_total{id="w1"}'), 1);
  assert.equal(sample(after, 'dhttp_upstream_restarts_total{id="w2"}'), 0);
  assert.ok((sample(after, 'dhttp_upstream_completed_total{id="w1"}') ?? 0) >= completed, 'the counter went on, not back to 0');
  const down = sample(after, 'dhttp_upstream_down_seconds_total{id="w1"}') ?? 0;
  assert.ok(down > 0 && down < 30, `w1 was down ${down} s`);
  assert.deepEqual(seriesOf(after, 'w1'), seriesOf(before, 'w1'), 'the same series, nothing new for the new life');
  const newAddress = /^dhttp_upstream_info\{id="w1",address="([^"]+)"\} 1$/m.exec(after)?.[1];
  assert.ok(newAddress !== undefined && newAddress !== address, `the info metric follows the new address (${newAddress})`);
  t.diagnostic(
    `w1: ${address} → ${newAddress}, down ${down} s, completed ${completed} → ${sample(after, 'dhttp_upstream_completed_total{id="w1"}')}`,
  );

  const w1 = ((await (await fetch(`${cluster.url}/workers`)).json()) as Array<Record<string, unknown>>).find((w) => w.ID === 'w1');
  assert.equal(w1?.Restarts, 1);
  assert.ok((w1?.DownSeconds as number) > 0, JSON.stringify(w1));
  assert.equal(w1?.Address, newAddress);

  // The relayed /metrics is the new process's: it has served no fibonacci yet.
  assert.equal(sample(await text(`${cluster.url}/workers/w1/metrics`), fib), undefined);
  assert.equal((await fetch(`${cluster.url}/workers/w9/metrics`)).status, 404);

  // State changes once each; per-probe chatter stays at debug.
  const w1Events = (event: string): number => cluster.lines.filter((l) => l.event === event && l.worker === 'w1').length;
  assert.equal(w1Events('upstream_down'), 1);
  assert.equal(w1Events('upstream_up'), 2, 'up at its start and after its restart');
  assert.equal(cluster.lines.filter((l) => l.event === 'health_check').length, 0);
});

/**
 * Acceptance (SPEC §5 health): a worker killed with SIGKILL is marked inactive within
 * two health intervals, and active again once it is restarted on the same port. Real
 * `dhttp worker` and `dhttp dispatcher` processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../../helpers/http.js';
import { startProcess, startWorker } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';

const INTERVAL_MS = 200;

interface WorkerRow {
  ID: string;
  Address: string;
  Active: boolean;
}

async function rows(dispatcherUrl: string): Promise<WorkerRow[]> {
  return (await call(`${dispatcherUrl}/workers`)).json as WorkerRow[];
}

test('a SIGKILLed worker goes inactive within 2 health intervals and comes back on restart', async (t) => {
  const w1 = await startWorker(['--threads', '1'], { context: t });
  const w2 = await startWorker(['--threads', '1'], { context: t });
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--upstreams', `${w1.url},${w2.url}`, '--health-interval', `${INTERVAL_MS}ms`],
    { context: t },
  );
  await waitFor('both workers active', async () => ((await rows(d.url)).every((r) => r.Active) ? true : undefined), 10_000);

  const killedAt = Date.now();
  await w1.stop('SIGKILL');
  await waitFor(
    'w1 inactive',
    async () => ((await rows(d.url)).find((r) => r.Address === w1.url)?.Active === false ? true : undefined),
    5000,
  );
  // Timed by the dispatcher's own log line, so the test's polling does not count.
  // (The log is written asynchronously: it may trail the /workers answer a little.)
  const down = await waitFor(
    'the down transition logged',
    () =>
      d.lines
        .map((l) => JSON.parse(l) as { event?: string; worker?: string; time: string })
        .find((e) => e.event === 'upstream_down' && e.worker === 'w1'),
    2000,
  );
  const downAfter = Date.parse(down.time) - killedAt;
  t.diagnostic(`killed worker marked inactive after ${downAfter} ms (health interval ${INTERVAL_MS} ms, --health-fails 2)`);
  // Two intervals, plus the timer lag of a busy 2-core CI machine running other tests.
  assert.ok(downAfter <= 2 * INTERVAL_MS + 500, `inactive after ${downAfter} ms`);
  assert.equal((await rows(d.url)).find((r) => r.Address === w2.url)?.Active, true, 'the other worker is untouched');

  // Meanwhile the survivor serves everything.
  for (let i = 0; i < 5; i++) {
    const r = await call(`${d.url}/ping`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-worker-id'], w2.listening.id);
  }

  const restartedAt = performance.now();
  const again = await startProcess('worker', ['--host', '127.0.0.1', '--port', String(w1.port), '--threads', '1'], { context: t });
  const listeningAfter = performance.now() - restartedAt;
  await waitFor(
    'w1 active again',
    async () => ((await rows(d.url)).find((r) => r.Address === again.url)?.Active === true ? true : undefined),
    5000,
  );
  const upAfter = performance.now() - restartedAt;
  t.diagnostic(`restarted worker listening after ${Math.round(listeningAfter)} ms, active after ${Math.round(upAfter)} ms`);
  assert.ok(upAfter - listeningAfter <= 2 * INTERVAL_MS + 500, `active ${Math.round(upAfter - listeningAfter)} ms after listening`);
  const list = await rows(d.url);
  assert.equal(list.length, 2);
  assert.equal(list.find((r) => r.Address === again.url)?.ID, 'w1', 'the address keeps its ID');

  // The operator sees the return in the log too.
  await waitFor(
    'up logged twice',
    () => (d.lines.filter((l) => l.includes('"upstream_up"') && l.includes('"w1"')).length >= 2 ? true : undefined),
    2000,
  );

  const stopped = await d.stop('SIGTERM');
  assert.deepEqual(stopped, { code: 0, signal: null });
});

/**
 * Acceptance "Discovery" (SPEC §1, §5): DNS discovery through the app with a stub
 * resolver; `--discover localhost:PORT` end to end; and self-registration of a real
 * `dhttp worker --register`, which re-registers after the dispatcher restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { call } from '../../helpers/http.js';
import { startProcess, startWorker } from '../../helpers/processes.js';
import { startMiniWorker, testDispatcherConfig, waitFor } from '../helpers/app-worker.js';

interface WorkerRow {
  ID: string;
  Address: string;
  Active: boolean;
}

async function rows(url: string): Promise<WorkerRow[]> {
  return (await call(`${url}/workers`)).json as WorkerRow[];
}

test('--discover with a stub resolver: records become workers, vanished ones are drained', async () => {
  const w = await startMiniWorker('dns');
  let answer = ['127.0.0.1'];
  const asked: string[] = [];
  const d = await startDispatcher(testDispatcherConfig(['--discover', `workers.internal:${w.port}`, '--discover-interval', '100ms']), {
    jobs: null,
    defaultMetrics: false,
    resolver: async (host) => {
      asked.push(host);
      return answer;
    },
  });
  try {
    await waitFor('discovered worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
    assert.equal(asked[0], 'workers.internal');
    assert.equal(d.upstreams.list()[0].address, w.url);
    const r = await call(`${d.url}/whoami`);
    assert.deepEqual(r.json, { worker: 'dns' });

    answer = [];
    await waitFor('vanished worker removed', () => (d.upstreams.size === 0 ? true : undefined));
    answer = ['127.0.0.1'];
    await waitFor('returning record active again', () => (d.upstreams.available().length === 1 ? true : undefined));
    assert.equal(d.upstreams.list()[0].id, 'w1', 'a returning address keeps its ID');
  } finally {
    await d.close();
    await w.close();
  }
});

test('dhttp dispatcher --discover localhost:PORT finds a live worker and forwards to it', async (t) => {
  const w = await startWorker(['--threads', '1'], { context: t });
  const d = await startProcess(
    'dispatcher',
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--discover',
      `localhost:${w.port}`,
      '--discover-interval',
      '500ms',
      '--health-interval',
      '200ms',
    ],
    { context: t },
  );
  const found = await waitFor(
    'worker discovered and active',
    async () => (await rows(d.url)).find((r) => r.Active && r.Address === `http://127.0.0.1:${w.port}`),
    10_000,
  );
  assert.match(found.ID, /^w\d+$/);
  const r = await call(`${d.url}/fibonacci?num=20`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { num: 20, result: '6765' });
  assert.equal(r.headers['x-worker-id'], w.listening.id);
  await waitFor('discovery logged', () => (d.lines.some((l) => l.includes('"discovered"')) ? true : undefined), 2000);

  // The jobs module is wired in by default: the dispatcher splits /montecarlo itself.
  const job = await call(`${d.url}/montecarlo?points=2500000&seed=7`);
  assert.equal(job.status, 200, job.text);
  assert.equal(job.headers['x-worker-id'], undefined, 'answered by the dispatcher');
  assert.equal((job.json as { chunks: number }).chunks, 3);
  assert.match((await call(`${d.url}/metrics`)).text, /dhttp_dispatcher_http_requests_total\{route="jobs\/montecarlo",status="200"\} 1/);
});

test('a worker started with --register appears, serves, and re-registers after a dispatcher restart', async (t) => {
  // Both read the cluster token from the environment, as a deployment would pass it.
  const env = { DHTTP_CLUSTER_TOKEN: 'discovery-test-token-0123' };
  let d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--health-interval', '200ms'], { context: t, env });
  const port = d.port;
  const w = await startWorker(['--threads', '1', '--register', d.url, '--register-interval', '300ms'], { context: t, env });
  const id = w.listening.id as string;

  const row = await waitFor('registered worker active', async () => (await rows(d.url)).find((r) => r.Active && r.ID === id), 10_000);
  assert.equal(row.Address, w.url);
  const r = await call(`${d.url}/reverse?text=abc`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-worker-id'], id);

  assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
  const restartedAt = performance.now();
  d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', String(port), '--health-interval', '200ms'], { context: t, env });
  const listeningAfter = performance.now() - restartedAt;
  await waitFor('re-registered worker active', async () => (await rows(d.url)).find((x) => x.Active && x.ID === id), 10_000);
  const back = performance.now() - restartedAt - listeningAfter;
  t.diagnostic(`worker back in the restarted dispatcher ${Math.round(back)} ms after it listened (register interval 300 ms)`);
  assert.ok(back < 3000);
  assert.equal((await call(`${d.url}/reverse?text=xy`)).headers['x-worker-id'], id);

  // A worker that stops deregisters itself.
  await w.stop('SIGTERM');
  await waitFor('deregistered', async () => ((await rows(d.url)).length === 0 ? true : undefined), 5000);
});

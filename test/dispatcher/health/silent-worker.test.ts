/**
 * A worker that stops answering without closing anything (a hung host, a cut link seen from
 * loopback): once the health checks mark it down, the requests already waiting on its
 * connections are cut and retried on another worker at once, instead of waiting out
 * --upstream-timeout; and being cut so spends no retry. test/cluster/multi-host.test.ts
 * does the same across real links.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { runLoad } from '../../helpers/load-client.js';
import { startProcess, startWorker } from '../../helpers/processes.js';

interface SilentRun {
  detectionMs: number;
  heldByTheSilent: number;
  failed: unknown[];
  slowest: number;
}

/** Load through a dispatcher (`args` added) over a real worker and one that goes silent 1 s in. */
async function silentWorkerRun(t: TestContext, args: readonly string[]): Promise<SilentRun> {
  let silent = false;
  let heldByTheSilent = 0;
  // Answers like a worker until silenced; then reads requests and never answers.
  const fake = http.createServer((req, res) => {
    req.resume();
    if (silent) {
      heldByTheSilent++;
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","load":0}');
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.after(() => {
    fake.closeAllConnections();
    fake.close();
  });
  const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const real = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const d = await startProcess(
    'dispatcher',
    // No access log: the test reads the health events from the last 5 000 lines kept, and a
    // fast machine writes more request lines than that after the worker is marked down.
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--upstreams',
      `${real.url},${fakeUrl}`,
      '--balance',
      'round-robin',
      '--access-log',
      'off',
      ...args,
    ],
    { context: t },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const rows = (await (await fetch(`${d.url}/workers`)).json()) as { Active: boolean }[];
    if (rows.length === 2 && rows.every((r) => r.Active)) break;
    await new Promise((r) => setTimeout(r, 50));
  }

  const running = runLoad({ urls: [d.url], targets: ['/fibonacci?num=30', '/hash?text=x'], connections: 6, durationMs: 5000 });
  await new Promise((r) => setTimeout(r, 1000));
  const silencedAt = Date.now();
  silent = true;
  const { records } = await running;
  // On a loaded machine the health checks may need longer than the load ran: wait for them.
  const downLine = (): { time?: string } | undefined =>
    d.lines
      .map((l) => JSON.parse(l) as { event?: string; time?: string; address?: string })
      .find((l) => l.event === 'upstream_down' && l.address === fakeUrl);
  const downDeadline = Date.now() + 15_000;
  while (downLine() === undefined && Date.now() < downDeadline) await new Promise((r) => setTimeout(r, 50));
  const down = downLine();
  assert.ok(down?.time !== undefined, 'the silent worker was marked down');
  const detectionMs = Date.parse(down.time) - silencedAt;
  const failed = records.filter((r) => r.status !== 200);
  const slowest = Math.max(...records.map((r) => r.ms));
  console.log(
    `silent worker${args.length > 0 ? ` (${args.join(' ')})` : ''}: detection ${detectionMs} ms, ${records.length} requests, ${failed.length} failed, ${heldByTheSilent} held by the silent worker, slowest ${Math.round(slowest)} ms`,
  );
  return { detectionMs, heldByTheSilent, failed, slowest };
}

test('requests in flight on a worker that went silent are retried once it is marked down', { timeout: 60_000 }, async (t) => {
  const run = await silentWorkerRun(t, []);
  assert.ok(run.heldByTheSilent > 0, 'some requests were waiting on the silent worker');
  assert.deepEqual(run.failed, []);
  assert.ok(run.slowest <= 2 * run.detectionMs, `slowest ${run.slowest} ms > 2 × detection ${run.detectionMs} ms`);
});

test('a request cut because its worker went silent spends no retry: with --retries 0 it still succeeds', { timeout: 60_000 }, async (t) => {
  const run = await silentWorkerRun(t, ['--retries', '0']);
  assert.ok(run.heldByTheSilent > 0, 'some requests were waiting on the silent worker');
  assert.deepEqual(run.failed, []);
});

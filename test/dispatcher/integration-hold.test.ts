/**
 * Acceptance "Hold" (SPEC §5): while no worker is available the dispatcher holds a
 * request, answering it once a worker comes up within --try-duration; past it, 503
 * NO_WORKER with Retry-After. Real processes; the worker comes back on the same port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, errorOf } from '../helpers/http.js';
import { startProcess, startWorker } from '../helpers/processes.js';
import { waitFor } from './helpers/app-worker.js';

async function activeCount(url: string): Promise<number> {
  return ((await call(`${url}/workers`)).json as Array<{ Active: boolean }>).filter((w) => w.Active).length;
}

test('a request held while the only worker is down is answered when it comes back', async (t) => {
  const w = await startWorker(['--threads', '1'], { context: t });
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--upstreams', w.url, '--health-interval', '100ms', '--try-duration', '10s'],
    { context: t },
  );
  await waitFor('worker active', async () => ((await activeCount(d.url)) === 1 ? true : undefined), 10_000);
  await w.stop('SIGKILL');
  await waitFor('worker inactive', async () => ((await activeCount(d.url)) === 0 ? true : undefined), 5000);

  const sentAt = performance.now();
  const held = call(`${d.url}/fibonacci?num=10`, { headers: { 'x-request-id': 'held-1' } });
  // The request must still be waiting while the worker is away.
  const early = await Promise.race([held.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
  assert.equal(early, 'waiting');

  const back = await startProcess('worker', ['--host', '127.0.0.1', '--port', String(w.port), '--threads', '1'], { context: t });
  const r = await held;
  const waited = performance.now() - sentAt;
  t.diagnostic(`held request answered after ${Math.round(waited)} ms`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { num: 10, result: '55' });
  assert.equal(r.headers['x-request-id'], 'held-1');
  assert.equal(r.headers['x-worker-id'], back.listening.id);

  // The hold is a state: one line when it begins (with the first held request's id), one when it ends.
  const events = (): Array<Record<string, unknown>> => d.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  await waitFor('hold end logged', () => (events().some((e) => e.event === 'hold_end') ? true : undefined), 3000);
  const begins = events().filter((e) => e.event === 'hold_begin');
  assert.equal(begins.length, 1);
  assert.equal(begins[0].request_id, 'held-1', 'the hold is logged with the request id');
  assert.equal(events().filter((e) => e.event === 'hold_end').length, 1);
  assert.equal(events().filter((e) => e.event === 'hold').length, 0, 'the per-request line is debug');
});

test('past --try-duration a held request gets 503 NO_WORKER with Retry-After, logged with its id', async (t) => {
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--upstreams', 'http://127.0.0.1:9', '--health-interval', '100ms', '--try-duration', '400ms'],
    { context: t },
  );
  const sentAt = performance.now();
  const r = await call(`${d.url}/timestamp`, { headers: { 'x-request-id': 'late-1' } });
  const waited = performance.now() - sentAt;
  t.diagnostic(`503 after ${Math.round(waited)} ms (try-duration 400 ms)`);
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal(errorOf(r)?.code, 'NO_WORKER');
  assert.equal(errorOf(r)?.request_id, 'late-1');
  assert.ok(waited >= 350 && waited < 3000, `waited ${Math.round(waited)} ms`);

  await waitFor('5xx logged', () => (d.lines.some((l) => l.includes('"response_5xx"') && l.includes('"late-1"')) ? true : undefined), 2000);
  const status = (await call(`${d.url}/status`)).json as { forwarding: { holds: number; no_worker: number }; errors: { '5xx': number } };
  assert.equal(status.forwarding.holds, 1);
  assert.equal(status.forwarding.no_worker, 1);
  assert.equal(status.errors['5xx'], 1);
  const metrics = (await call(`${d.url}/metrics`)).text;
  assert.match(metrics, /^dhttp_dispatcher_holds_total 1$/m);
  assert.match(metrics, /^dhttp_dispatcher_no_worker_total 1$/m);
});

/**
 * Issue 16, rate limiting at the entry point: `--rate-limit` / `--rate-burst` act on
 * `dhttp start` (whose workers do not limit) and `dhttp dispatcher` per client address,
 * with 429 and Retry-After; the dispatcher's own probes are never limited; with
 * `--trusted-proxies` the client address comes from X-Forwarded-For, and only then.
 * The rate is 0.1/s, so no token comes back while a test runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess, startWorker } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { type Answer, errorCode, send, workerRows } from './helpers.js';

function assertLimited(a: Answer, what: string): void {
  assert.equal(a.status, 429, what);
  assert.equal(errorCode(a), 'RATE_LIMITED', what);
  const after = Number(a.headers['retry-after']);
  assert.ok(Number.isInteger(after) && after >= 1 && after <= 10, `${what}: Retry-After ${a.headers['retry-after']}`);
}

test('dhttp start --rate-limit: the burst passes, then 429 with Retry-After; per client address; probes exempt', async (t) => {
  const c = await startProcess(
    'start',
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--workers',
      '1',
      '--threads',
      '1',
      '--rate-limit',
      '0.1',
      '--rate-burst',
      '3',
      '--log-level',
      'warn',
    ],
    { context: t },
  );
  // /ready is never limited, so waiting on it spends no token.
  await waitFor('ready', async () => ((await send(`${c.url}/ready`)).status === 200 ? true : undefined), 10_000);
  for (let i = 0; i < 3; i++) assert.equal((await send(`${c.url}/ping`)).status, 200, `request ${i + 1} of the burst`);
  assertLimited(await send(`${c.url}/fibonacci?num=10`), 'over the burst');
  assertLimited(await send(`${c.url}/workers`), "the dispatcher's own routes");
  for (const path of ['/health', '/ready', '/metrics']) assert.equal((await send(`${c.url}${path}`)).status, 200, path);

  // Another client address has its own bucket.
  const other = await send(`${c.url}/fibonacci?num=10`, { localAddress: '127.0.0.2' });
  assert.equal(other.status, 200);
  assert.deepEqual(other.json, { num: 10, result: '55' });
});

test('dhttp start without --rate-limit does not limit', async (t) => {
  const c = await startProcess('start', ['--host', '127.0.0.1', '--port', '0', '--workers', '1', '--threads', '1', '--log-level', 'warn'], {
    context: t,
  });
  await waitFor('worker active', async () => ((await workerRows(c.url))[0]?.Active ? true : undefined), 10_000);
  for (let i = 0; i < 30; i++) assert.equal((await send(`${c.url}/ping`)).status, 200);
});

test('--trusted-proxies: X-Forwarded-For is believed from a trusted peer only, right-most untrusted entry', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const d = await startProcess(
    'dispatcher',
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--upstreams',
      w.url,
      '--rate-limit',
      '0.1',
      '--rate-burst',
      '2',
      '--trusted-proxies',
      '127.0.0.1/32,10.0.0.0/8',
      '--log-level',
      'warn',
    ],
    { context: t },
  );
  await waitFor('ready', async () => ((await send(`${d.url}/ready`)).status === 200 ? true : undefined), 10_000);
  const via = (xff: string, localAddress = '127.0.0.1'): Promise<Answer> =>
    send(`${d.url}/ping`, { headers: { 'x-forwarded-for': xff }, localAddress });

  // From the trusted proxy (127.0.0.1): each forwarded client has its own bucket.
  assert.equal((await via('198.51.100.1')).status, 200);
  assert.equal((await via('198.51.100.1')).status, 200);
  assertLimited(await via('198.51.100.1'), 'client 1 over its burst');
  assert.equal((await via('198.51.100.2')).status, 200, 'client 2 is another client');
  // A client cannot escape its bucket by writing addresses in front of its own, nor by
  // claiming a trusted one: the right-most entry that is not trusted is the client.
  assertLimited(await via('203.0.113.77, 198.51.100.1'), 'forged entries on the left');
  assertLimited(await via('198.51.100.1, 10.1.2.3'), 'behind a second trusted proxy');

  // From an untrusted peer (127.0.0.3) X-Forwarded-For is ignored: one bucket, the peer's.
  assert.equal((await via('192.0.2.1', '127.0.0.3')).status, 200);
  assert.equal((await via('192.0.2.2', '127.0.0.3')).status, 200);
  assertLimited(await via('192.0.2.3', '127.0.0.3'), 'an untrusted peer cannot pick its client address');
});

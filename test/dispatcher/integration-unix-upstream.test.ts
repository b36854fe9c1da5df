/**
 * `dhttp dispatcher --upstreams unix:/path`: a fixed worker known only by its Unix-domain
 * socket (`dhttp worker --unix-socket`), as nginx's `server unix:…`. Health checks and
 * forwarded requests go over the socket; the worker's row names it. Real processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call } from '../helpers/http.js';
import { startProcess, startWorker } from '../helpers/processes.js';
import { tempDir } from '../helpers/unix-socket.js';
import { waitFor } from './helpers/app-worker.js';

interface WorkerRow {
  ID: string;
  Address: string;
  Active: boolean;
  Socket: string | null;
}

async function row(dispatcherUrl: string): Promise<WorkerRow | undefined> {
  return ((await call(`${dispatcherUrl}/workers`)).json as WorkerRow[])[0];
}

test('a worker on a Unix socket: forwarded to, health-checked, down when killed and back when restarted', async (t) => {
  const path = join(tempDir(t, 'dhttp-uup-'), 'w.sock');
  const workerArgs = ['--unix-socket', path, '--threads', '1', '--id', 'w-unix'];
  const first = await startWorker(workerArgs, { context: t });
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--upstreams', `unix:${path}`, '--health-interval', '200ms', '--try-duration', '5s'],
    { context: t },
  );
  const up = await waitFor(
    'the socket worker active',
    async () => {
      const r = await row(d.url);
      return r?.Active === true ? r : undefined;
    },
    10_000,
  );
  assert.deepEqual({ Address: up.Address, Socket: up.Socket }, { Address: `unix:${path}`, Socket: path });

  const ping = await call(`${d.url}/ping`);
  assert.equal(ping.status, 200, ping.text);
  assert.equal(ping.headers['x-worker-id'], 'w-unix', 'answered by the worker behind the socket');
  const rev = await call(`${d.url}/reverse?text=socket`);
  assert.equal(rev.status, 200, rev.text);
  assert.match(rev.text, /tekcos/);

  // The dispatcher knows no TCP address for it: killing the process is seen on the socket.
  await first.stop('SIGKILL');
  await waitFor('the socket worker inactive', async () => ((await row(d.url))?.Active === false ? true : undefined), 5000);
  const second = await startWorker(workerArgs, { context: t });
  await waitFor('the socket worker active again', async () => ((await row(d.url))?.Active === true ? true : undefined), 5000);
  const again = await call(`${d.url}/ping`);
  assert.equal(again.status, 200, again.text);
  await second.stop('SIGTERM');
});

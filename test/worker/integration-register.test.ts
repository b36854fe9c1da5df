/**
 * `--register`: a worker announces itself to the dispatcher now and every
 * --register-interval (so a restarted dispatcher learns it again), survives a dispatcher
 * that is down, and deregisters on SIGTERM.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWorker } from '../helpers/processes.js';

it('registers, re-registers every interval, deregisters on shutdown', async (t) => {
  const seen: Array<{ path: string; body: { address?: string; id?: string }; authorization: string | undefined }> = [];
  const fake = http.createServer((req, res) => {
    let text = '';
    req
      .setEncoding('utf8')
      .on('data', (s: string) => {
        text += s;
      })
      .on('end', () => {
        seen.push({
          path: req.url ?? '',
          body: JSON.parse(text) as { address?: string; id?: string },
          authorization: req.headers.authorization,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => fake.close(() => r())));
  const dispatcher = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;

  const w = await startWorker(
    ['--register', dispatcher, '--register-interval', '200ms', '--id', 'w-reg', '--threads', '1', '--log-level', 'warn'],
    { context: t, env: { DHTTP_CLUSTER_TOKEN: 'register-test-token-0123' } },
  );
  const deadline = Date.now() + 5000;
  while (seen.filter((s) => s.path === '/workers/register').length < 3 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const regs = seen.filter((s) => s.path === '/workers/register');
  assert.ok(regs.length >= 3, `re-announced: ${regs.length}`);
  assert.deepEqual(regs[0].body, { address: w.url, id: 'w-reg' });
  assert.ok(
    seen.every((s) => s.authorization === 'Bearer register-test-token-0123'),
    'every announcement carries the cluster token',
  );
  const { code } = await w.stop();
  assert.equal(code, 0);
  const dereg = seen.filter((s) => s.path === '/workers/deregister');
  assert.equal(dereg.length, 1);
  assert.deepEqual(dereg[0].body, { address: w.url, id: 'w-reg' });
});

it('a dispatcher that is down does not stop the worker; --advertise is what it announces', async (t) => {
  const w = await startWorker(
    ['--register', 'http://127.0.0.1:9', '--register-interval', '100ms', '--advertise', 'http://worker-1:8081', '--threads', '1'],
    { context: t },
  );
  await new Promise((r) => setTimeout(r, 400));
  const res = await fetch(`${w.url}/ping`);
  assert.equal(res.status, 200);
  const warnings = w.lines.filter((l) => l.includes('registration failed'));
  assert.equal(warnings.length, 1, 'warned once, not on every attempt');
  const started = Date.now();
  const { code } = await w.stop();
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, 'deregistering from a dead dispatcher is bounded');
});

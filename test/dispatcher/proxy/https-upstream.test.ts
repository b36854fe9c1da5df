/**
 * `https://` workers (issue 19): the dispatcher reaches a TLS worker over TLS, trusting a
 * private CA with --upstream-ca; without it the worker's certificate is refused (a 502,
 * never plain text to a TLS port); a bad CA file is a one-line start error.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { call } from '../../helpers/http.js';
import { startProcess, type StartedProcess } from '../../helpers/processes.js';
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../helpers/processes.js';

describe('https:// workers', () => {
  let certs: TestCerts;
  let worker: StartedProcess;

  before(async () => {
    certs = makeTestCerts();
    worker = await startProcess('worker', [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      certs.a.cert,
      '--tls-key',
      certs.a.key,
      '--log-level',
      'warn',
    ]);
  });
  after(async () => {
    await worker.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  test('with --upstream-ca the dispatcher forwards over TLS; without it, 502', async (t) => {
    assert.match(worker.url, /^https:/);
    const trusted = await startProcess(
      'dispatcher',
      ['--port', '0', '--upstreams', worker.url, '--upstream-ca', certs.caFile, '--health-interval', '100ms', '--log-level', 'warn'],
      { context: t },
    );
    for (let i = 0; i < 100 && (await call(`${trusted.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    const r = await call(`${trusted.url}/fibonacci?num=50`);
    assert.equal(r.status, 200);
    assert.match(r.text, /"result":"12586269025"/);
    const body = await call(`${trusted.url}/api/v1/compute/fast`, { method: 'POST', body: '{"number":7}' });
    assert.equal(body.status, 200);
    assert.match(body.text, /"result":49/);

    const untrusted = await startProcess(
      'dispatcher',
      ['--port', '0', '--upstreams', worker.url, '--health-interval', '100ms', '--try-duration', '300ms', '--log-level', 'warn'],
      {
        context: t,
      },
    );
    await new Promise((r) => setTimeout(r, 400));
    const refused = await call(`${untrusted.url}/fibonacci?num=5`);
    assert.ok(refused.status === 502 || refused.status === 503, `got ${refused.status}`);
    const rows = JSON.parse((await call(`${untrusted.url}/workers`)).text) as Array<{ Active: boolean; LastError: string | null }>;
    assert.equal(rows[0].Active, false);
    assert.match(rows[0].LastError ?? '', /certificate|self.signed|issuer/i);
  });

  test('a bad --upstream-ca is a one-line start error', () => {
    const main = fileURLToPath(new URL('dist/src/cli/main.js', PROJECT_ROOT));
    const r = spawnSync(process.execPath, [main, 'dispatcher', '--port', '0', '--upstream-ca', certs.a.key], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--upstream-ca/);
  });
});

/**
 * The shared HTTP/1.1 conformance corpus over TLS, against a worker process serving
 * HTTPS (--tls-cert): the engine behind the TLS listener must answer exactly as it does
 * over TCP. In CI (CI=true) a missing corpus is a failure, not a skip.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { CONFORMANCE_RUNNER, assertConformance, conformanceSkip } from '../helpers/conformance.js';
import { startWorker } from '../helpers/processes.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';

const inCi = process.env.CI === 'true';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.remove());

it('conformance corpus over TLS: N passed, 0 failed', { skip: inCi ? false : conformanceSkip, timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(CONFORMANCE_RUNNER), `the conformance corpus is missing: no runner at ${CONFORMANCE_RUNNER}`);
  const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--tls-cert', certs.a.cert, '--tls-key', certs.a.key], {
    context: t,
  });
  assert.match(w.url, /^https:/);
  await assertConformance(t, w.port, { tls: true });
});

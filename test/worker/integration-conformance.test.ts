/**
 * The shared HTTP/1.1 conformance corpus against a real worker process: every case must pass.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertConformance, assertCorpusPresent, conformanceSkip, conformanceSkipFor } from '../helpers/conformance.js';
import { startWorker } from '../helpers/processes.js';

it('conformance corpus: N passed, 0 failed', { skip: conformanceSkip, timeout: 180_000 }, async (t) => {
  assertCorpusPresent();
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  await assertConformance(t, w.port);
});

it('a missing corpus skips the test outside CI, and fails it in CI', () => {
  const missing = '/nonexistent/conformance/run.mjs';
  assert.match(String(conformanceSkipFor(missing, {})), /no runner at/);
  assert.equal(conformanceSkipFor(missing, { CI: 'true' }), false, 'in CI the test runs');
  assert.throws(() => assertCorpusPresent(missing), /conformance corpus is missing/);
});

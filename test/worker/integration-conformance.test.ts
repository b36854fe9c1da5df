/**
 * The shared HTTP/1.1 conformance corpus against a real worker process: every case must pass.
 */
import { it } from 'node:test';
import { assertConformance, conformanceSkip } from '../helpers/conformance.js';
import { startWorker } from '../helpers/processes.js';

it('conformance corpus: N passed, 0 failed', { skip: conformanceSkip, timeout: 180_000 }, async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  await assertConformance(t, w.port);
});

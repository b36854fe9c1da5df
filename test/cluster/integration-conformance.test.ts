/**
 * The shared HTTP/1.1 conformance corpus against `dhttp start` - the entry point users
 * reach: what the dispatcher answers itself and what it forwards must both conform.
 */
import { it } from 'node:test';
import { ClusterProcess } from '../../bench/cluster-process.js';
import { waitActive } from '../../bench/zero-loss.js';
import { assertConformance, assertCorpusPresent, conformanceSkip } from '../helpers/conformance.js';

it('conformance corpus through the dispatcher: N passed, 0 failed', { skip: conformanceSkip, timeout: 180_000 }, async (t) => {
  assertCorpusPresent();
  const cluster = await ClusterProcess.start(2, { args: ['--threads', '1'] });
  t.after(() => cluster.stop());
  await waitActive(cluster.url, 2);
  await assertConformance(t, Number(new URL(cluster.url).port));
});

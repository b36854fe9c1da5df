import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unknownEnvironment } from '../../src/cli/env-check.js';
import { call } from '../helpers/http.js';
import { startProcess, startWorker } from '../helpers/processes.js';

describe('unknown DHTTP_ variables', () => {
  it('are reported with the nearest real name', () => {
    assert.deepEqual(unknownEnvironment({ DHTTP_WORKRS: '3' }), ['unknown variable DHTTP_WORKRS; did you mean DHTTP_WORKERS? (ignored)']);
    assert.deepEqual(unknownEnvironment({ DHTTP_QUEUESIZE: '3', DHTTP_COMPRES: 'off' }), [
      'unknown variable DHTTP_QUEUESIZE; did you mean DHTTP_QUEUE_SIZE? (ignored)',
      'unknown variable DHTTP_COMPRES; did you mean DHTTP_COMPRESS? (ignored)',
    ]);
    assert.deepEqual(unknownEnvironment({ DHTTP_NOTHING_LIKE_IT: '1' }), ['unknown variable DHTTP_NOTHING_LIKE_IT (ignored)']);
  });

  it('leave real names alone, those of other commands and non-DHTTP names included', () => {
    assert.deepEqual(
      unknownEnvironment({
        DHTTP_WORKERS: '3', // start's, while this may be a worker
        DHTTP_CONNECTIONS: '5', // bench's
        DHTTP_QUEUE_SIZE: '1',
        DHTTP_LIFELINE: '1', // the cluster's own, for its children
        PORT: '1',
        HOME: '/root',
        dhttp_workrs: 'lower case is not ours',
      }),
      [],
    );
  });

  it('are warned about once at start, by a real worker and by dhttp start (not again by its children)', async (t) => {
    const env = { DHTTP_WORKRS: '3', DHTTP_THREADS: '1', DHTTP_LOG_LEVEL: 'warn' };
    const worker = await startWorker([], { env, context: t });
    const cluster = await startProcess('start', ['--host', '127.0.0.1', '--port', '0', '--workers', '2'], { env, context: t });
    // Both children up: each would have printed its own warning by now.
    await waitFor(async () => ((await call(`${cluster.url}/workers`)).json as unknown[]).length === 2);
    for (const p of [worker, cluster]) {
      await p.stop();
      const warnings = p
        .stderr()
        .split('\n')
        .filter((l) => l.includes('DHTTP_'));
      assert.deepEqual(warnings, ['dhttp: warning: unknown variable DHTTP_WORKRS; did you mean DHTTP_WORKERS? (ignored)'], p.stderr());
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

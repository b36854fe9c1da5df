/**
 * The shared HTTP/1.1 conformance corpus (../shared/conformance, next to the project
 * checkout) against a real worker process: every case must pass.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, startWorker } from '../helpers/processes.js';

const RUNNER = fileURLToPath(new URL('../shared/conformance/run.mjs', PROJECT_ROOT));

it('conformance corpus: N passed, 0 failed', { skip: existsSync(RUNNER) ? false : `no runner at ${RUNNER}`, timeout: 180_000 }, async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const p = spawn(process.execPath, [RUNNER, `127.0.0.1:${w.port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 170_000);
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
  const lines = out.stdout.trim().split('\n');
  const last = lines[lines.length - 1];
  t.diagnostic(last);
  assert.match(last, /^\d+ passed, 0 failed$/, lines.filter((l) => l.startsWith('FAIL')).join('\n'));
  assert.equal(out.code, 0);
});

/**
 * Runs the shared HTTP/1.1 conformance corpus (../shared/conformance, next to the project
 * checkout) against a server, and asserts its verdict: `N passed, 0 failed`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { PROJECT_ROOT } from './processes.js';

export const CONFORMANCE_RUNNER = fileURLToPath(new URL('../shared/conformance/run.mjs', PROJECT_ROOT));

/**
 * `false`, or why the corpus cannot run here (for `{ skip }`). In CI (`CI=true`) a missing
 * corpus is never a reason to skip: the test runs and fails (assertCorpusPresent), so a
 * checkout without it cannot pass for conforming.
 */
export function conformanceSkipFor(runner: string, env: NodeJS.ProcessEnv = process.env): false | string {
  if (existsSync(runner) || env.CI === 'true') return false;
  return `no runner at ${runner} (with CI=true this fails instead)`;
}

export const conformanceSkip: false | string = conformanceSkipFor(CONFORMANCE_RUNNER);

/** Fails the test at once when the corpus is missing (it only runs then in CI: see conformanceSkipFor). */
export function assertCorpusPresent(runner: string = CONFORMANCE_RUNNER): void {
  assert.ok(existsSync(runner), `the shared conformance corpus is missing: no runner at ${runner}`);
}

/** With `tls`, the corpus is sent over TLS (the runner's --tls: any certificate accepted). */
export async function assertConformance(t: TestContext, port: number, options: { tls?: boolean } = {}): Promise<void> {
  const args = [CONFORMANCE_RUNNER, `127.0.0.1:${port}`, ...(options.tls === true ? ['--tls'] : [])];
  assertCorpusPresent();
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
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
}

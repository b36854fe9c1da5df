/** Shared by the admin tests: `promtool check metrics`, and reading one sample out of Prometheus text. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The promtool command, or undefined after skipping the test where it cannot be installed
 * (not root, or no apt-get). Where scripts/install-test-deps.sh could have installed it (CI
 * runs as root with apt) a missing promtool fails the test instead of skipping it.
 */
export function promtool(t: { skip(message: string): void }): string | undefined {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0) return 'promtool';
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    t.skip('promtool is missing and cannot be installed here (not root or no apt-get); scripts/install-test-deps.sh installs it');
    return undefined;
  }
  assert.fail("promtool is missing: run scripts/install-test-deps.sh (as .ci/run does) to install Debian's prometheus package");
}

/** `promtool check metrics` on `text`: its exit code and what it printed. */
export function checkMetrics(command: string, text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** The value of the sample `name{labels}` (labels exactly as printed), or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

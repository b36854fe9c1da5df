/**
 * Runs `dhttp …` to completion as a real process (compiled CLI from dist/, else the sources
 * through tsx) and returns its exit code and output. Bounded: killed after `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../helpers/processes.js';

const COMPILED = import.meta.url.endsWith('.js');

export function cliArgv(): string[] {
  const root = fileURLToPath(PROJECT_ROOT);
  return COMPILED ? [`${root}dist/src/cli/main.js`] : ['--import', 'tsx', `${root}src/cli/main.ts`];
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (only when this process is root). */
  uid?: number;
  /** @default 20000 */
  timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const proc = spawn(process.execPath, [...cliArgv(), ...args], {
    cwd: fileURLToPath(PROJECT_ROOT),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
